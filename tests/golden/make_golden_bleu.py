#!/usr/bin/python3
"""Golden corpus BLEU scores from NLTK for heed's data::corpus_bleu (tests/test_data_metrics.cpp
reads the JSON written here).

Run with the Python that has nltk:
    /usr/bin/python3 tests/golden/make_golden_bleu.py
It writes bleu.json beside itself: each case holds tokenized hypotheses, one tokenized reference
per hypothesis, and nltk.translate.bleu_score.corpus_bleu of them with the default weights
(0.25 each) and no smoothing, on NLTK's 0..1 scale (heed reports 0..100).

Every hypothesis here has at least 4 tokens: for a shorter one NLTK counts max(1, 0) = 1 candidate
n-gram where Papineni et al. (and heed) count 0, and the scores would differ by design.
Without smoothing NLTK replaces a zero precision by the smallest float, so a case with no 4-gram
match scores about 1e-77 rather than exactly 0.
"""
import json
import os
import warnings

import nltk
from nltk.translate.bleu_score import corpus_bleu

warnings.filterwarnings("ignore", module="nltk")  # the zero-precision warning, expected here

HERE = os.path.dirname(os.path.abspath(__file__))


def case(name, pairs):
    """pairs: (hypothesis, reference) sentences, tokenized on spaces."""
    hypotheses = [h.split() for h, _ in pairs]
    references = [r.split() for _, r in pairs]
    assert all(len(h) >= 4 for h in hypotheses), name
    bleu = corpus_bleu([[r] for r in references], hypotheses)
    return {"name": name, "hypotheses": hypotheses, "references": references, "nltk_bleu": float(bleu)}


CASES = [
    case("identical", [("the cat sat on the mat", "the cat sat on the mat")]),
    case("partial overlap", [("the cat sat on a red mat today", "the cat sat on the mat today")]),
    case("brevity penalty", [("the cat sat on", "the cat sat on the mat in the sun")]),
    case("longer than the reference", [("so the cat sat on the mat there", "the cat sat on the mat")]),
    case("no 4-gram match", [("a b c x b c d y c d e", "a b c d e")]),
    case("no match at all", [("one two three four", "five six seven eight")]),
    case("clipped repeats", [("the the the cat the cat sat on the mat", "the cat sat on the mat the cat")]),
    case("corpus of different lengths", [
        ("le chat est sur le tapis", "le chat est sur le tapis"),
        ("il fait beau aujourd'hui à Paris", "il fait très beau aujourd'hui à Paris"),
        ("un deux trois quatre cinq six sept huit neuf dix", "un deux trois quatre cinq six sept huit neuf"),
        ("je ne sais pas pourquoi", "je ne comprends pas pourquoi il est parti"),
    ]),
    case("corpus with brevity penalty", [
        ("soixante et onze mille", "soixante et onze mille deux cent trois"),
        ("deux cent quatre-vingt-dix-neuf euros", "deux cent quatre-vingt-dix-neuf euros"),
        ("2021 - 03 - 04", "2021 - 03 - 04"),
    ]),
    case("digits, reversed words", [
        ("1 2 3 4 5 6 7", "7 6 5 4 3 2 1"),
        ("4 8 1 5 5 9", "4 8 1 5 5 9"),
    ]),
    case("accented tokens", [("élève à Noël , élève", "l' élève à Noël , élève")]),
]

with open(os.path.join(HERE, "bleu.json"), "w") as out:
    json.dump({"generator": f"make_golden_bleu.py, nltk {nltk.__version__}", "cases": CASES}, out,
              ensure_ascii=False, indent=1)
    out.write("\n")
print("wrote", os.path.join(HERE, "bleu.json"))
