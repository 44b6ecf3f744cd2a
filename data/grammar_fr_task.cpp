// The grammar-fr task: English sentences of data/grammar_fr.h's grammar -> French. Training never
// shows the two words of a held-out (adjective, noun) pair in one sentence; every valid and test
// sentence applies a held-out adjective to its noun ("the black cat", "the cat is black") and uses
// only words, English and French, that training shows in other combinations.
#include <algorithm>
#include <sstream>
#include <unordered_set>

#include "heed/core/error.h"
#include "heed/data/grammar_fr.h"
#include "heed/data/task_generators.h"

namespace heed::data::detail {
namespace {

using grammar_fr::HeldOutPair;
using grammar_fr::NounPhrase;
using grammar_fr::Sentence;

constexpr int64_t kTrainSize = 20000, kValidSize = 500, kTestSize = 500;

// Half the noun phrases are plural, half have an adjective.
NounPhrase random_noun_phrase(TaskRandom& random) {
  NounPhrase np;
  np.determiner = random.pick(grammar_fr::determiners());
  np.noun = random.pick(grammar_fr::nouns()).english;
  np.plural = random.below(2) == 1;
  if (random.below(2) == 0) np.adjective = random.pick(grammar_fr::adjectives()).english;
  return np;
}

// One sentence in five is predicative, three in ten have a pronoun subject, two in five are negated.
Sentence random_sentence(TaskRandom& random) {
  Sentence s;
  const bool predicative = random.below(5) == 0;
  if (random.below(10) < 3) {
    s.pronoun = random.pick(predicative ? grammar_fr::predicative_pronouns() : grammar_fr::pronouns());
  } else {
    s.subject = random_noun_phrase(random);
  }
  if (predicative) {
    s.predicate = random.pick(grammar_fr::adjectives()).english;
  } else {
    s.verb = random.pick(grammar_fr::verbs()).english;
    s.object = random_noun_phrase(random);
  }
  s.negated = random.below(5) < 2;
  return s;
}

// The pair's adjective and noun both occur in the sentence, whatever they qualify. The noun
// phrases a sentence does not use are empty and match nothing.
bool mentions(const Sentence& s, const HeldOutPair& pair) {
  const bool adjective = s.subject.adjective == pair.adjective || s.object.adjective == pair.adjective ||
                         s.predicate == pair.adjective;
  return adjective && (s.subject.noun == pair.noun || s.object.noun == pair.noun);
}

// The pair's adjective qualifies its noun.
bool applies(const Sentence& s, const HeldOutPair& pair) {
  auto qualifies = [&](const NounPhrase& np, const std::string& adjective) {
    return np.noun == pair.noun && adjective == pair.adjective;
  };
  return qualifies(s.subject, s.subject.adjective) || qualifies(s.object, s.object.adjective) ||
         qualifies(s.subject, s.predicate);
}

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> tokens;
  std::istringstream stream(text);
  for (std::string token; stream >> token;) tokens.push_back(token);
  return tokens;
}

// Every word of `text` is in `known`.
bool all_known(const std::string& text, const std::unordered_set<std::string>& known) {
  const std::vector<std::string> tokens = words(text);
  return std::all_of(tokens.begin(), tokens.end(), [&](const std::string& w) { return known.contains(w); });
}

int64_t size_or(int64_t size, int64_t fallback) { return size > 0 ? size : fallback; }

}  // namespace

ToyTask make_grammar_fr_task(const TaskOptions& options) {
  const int64_t train_size = size_or(options.train_size, kTrainSize);
  const int64_t valid_size = size_or(options.valid_size, kValidSize);
  const int64_t held_out_size = valid_size + size_or(options.test_size, kTestSize);
  ToyTask task;
  task.name = "grammar-fr";
  task.source_tokenizer = task.target_tokenizer = "words";
  const std::vector<HeldOutPair> held_out = grammar_fr::held_out_pairs(options.seed);
  TaskRandom random(options.seed);
  std::unordered_set<std::string> sources, train_source_words, train_target_words;

  // Training: sentences free of every held-out pair, each source once.
  const int64_t max_train_draws = 10 * train_size + 10000;
  for (int64_t draws = 0; std::ssize(task.train) < train_size; ++draws) {
    HEED_CHECK(draws < max_train_draws, "grammar-fr", "only {} distinct training sentences in {} draws; asked for {}",
               task.train.size(), draws, train_size);
    const Sentence s = random_sentence(random);
    if (std::any_of(held_out.begin(), held_out.end(), [&](const HeldOutPair& p) { return mentions(s, p); })) continue;
    SentencePair pair{grammar_fr::english(s), grammar_fr::french(s)};
    if (!sources.insert(pair.first).second) continue;
    for (std::string& word : words(pair.first)) train_source_words.insert(std::move(word));
    for (std::string& word : words(pair.second)) train_target_words.insert(std::move(word));
    task.train.push_back(std::move(pair));
  }

  // Valid, then test: a held-out pair applied, every word known from training, new sources.
  // About one draw in twenty applies a pair; a small training set also rejects unseen words.
  const int64_t max_held_out_draws = 200 * held_out_size + 100000;
  for (int64_t draws = 0; std::ssize(task.valid) + std::ssize(task.test) < held_out_size; ++draws) {
    HEED_CHECK(draws < max_held_out_draws, "grammar-fr",
               "only {} valid and test sentences in {} draws, asked for {}: with train_size {} too few words "
               "appear in training; ask for a larger training set",
               task.valid.size() + task.test.size(), draws, held_out_size, train_size);
    const Sentence s = random_sentence(random);
    if (std::none_of(held_out.begin(), held_out.end(), [&](const HeldOutPair& p) { return applies(s, p); })) continue;
    SentencePair pair{grammar_fr::english(s), grammar_fr::french(s)};
    if (!all_known(pair.first, train_source_words) || !all_known(pair.second, train_target_words)) continue;
    if (!sources.insert(pair.first).second) continue;
    (std::ssize(task.valid) < valid_size ? task.valid : task.test).push_back(std::move(pair));
  }
  return task;
}

}  // namespace heed::data::detail
