// The grammar-fr task's small grammar: its lexicon, a sentence's parse, and the two renderings of
// a parse, English (the source) and French (the target). Not part of the public API (heed.h does
// not include it); data/grammar_fr_task.cpp draws the task's sentences from it.
//
//   grammar_fr::Sentence s{.subject = {.determiner = "the", .adjective = "old", .noun = "man"},
//                          .verb = "like", .object = {.determiner = "a", .noun = "apple"}, .negated = true};
//   grammar_fr::english(s)   // "the old man does not like an apple ."
//   grammar_fr::french(s)    // "le vieil homme n' aime pas de pomme ."
//
// Both sides are lowercase and tokenized: words separated by single spaces, a final " .", and an
// elided word standing alone with its apostrophe ("l' oiseau", "j' aime", "n' a", "d' arbres").
// The French is right in gender and number (determiners, adjectives, "bel", "vieil" and "nouvel"
// before a masculine vowel), puts adjectives after the noun except petit, grand, bon, beau, vieux,
// nouveau and jeune, conjugates every verb in the present for every person, negates with ne … pas,
// and turns an indefinite article into "de" after a negation ("je ne vois pas de chat") and before
// a plural adjective ("de petits chats").
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace heed::data::grammar_fr {

enum class Gender { masculine, feminine };

struct Noun {
  std::string english, english_plural;
  std::string french, french_plural;  // every h in the lexicon is mute: "l' homme"
  Gender gender;
};

struct Adjective {
  std::string english;
  std::string masculine, feminine, masculine_plural, feminine_plural;
  std::string before_vowel;  // masculine singular before a vowel: "bel", "vieil", "nouvel"; else masculine
  bool before_noun;          // "un petit chat" but "un chat noir"
};

struct Verb {
  std::string english, english_third;  // "wait for", "waits for"
  std::array<std::string, 6> french;   // je, tu, il/elle, nous, vous, ils
};

const std::vector<Noun>& nouns();
const std::vector<Adjective>& adjectives();
const std::vector<Verb>& verbs();
// "the", "a" (plural "some"; "any" after a negation), "this" (plural "these"), "my", "our".
const std::vector<std::string>& determiners();
// The subject pronouns: "i", "you" (tu), "he", "she", "we", "you all" (vous), "they" (ils).
const std::vector<std::string>& pronouns();
// The pronouns whose French gender and number are known, so they can take an adjective: he, she, they.
const std::vector<std::string>& predicative_pronouns();

// Words are given by their English base form: the noun's singular, the verb's infinitive.
// (Every member has an initializer so that designated initializers may leave any of them out.)
struct NounPhrase {
  std::string determiner{};
  std::string adjective{};  // empty: none
  std::string noun{};
  bool plural = false;
};

// Either transitive ("subject verb object", `verb` set) or predicative ("subject is predicate",
// `predicate` set to an adjective).
struct Sentence {
  std::string pronoun{};  // the subject pronoun; empty: the subject is `subject`
  NounPhrase subject{};
  std::string verb{};
  NounPhrase object{};
  std::string predicate{};
  bool negated = false;
};

// heed::Error for an unknown word or a sentence that is neither transitive nor predicative.
std::string english(const Sentence& sentence);
std::string french(const Sentence& sentence);

// An adjective and a noun that never meet in a training sentence of grammar-fr; every valid and
// test sentence applies the adjective to the noun at least once.
struct HeldOutPair {
  std::string adjective, noun;
};

// One masculine and one feminine noun for each adjective, each noun held out with exactly one
// adjective, chosen by the seed.
std::vector<HeldOutPair> held_out_pairs(uint64_t seed);

}  // namespace heed::data::grammar_fr
