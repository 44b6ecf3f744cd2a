// The grammar-fr task: hand-checked translations of parsed sentences (agreement, elision,
// adjective placement, conjugation, negation), then the generated splits: determinism,
// disjointness, held-out adjective-noun pairs and well-formed French.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "heed/data/grammar_fr.h"
#include "heed/data/task_generators.h"
#include "test_util.h"

namespace heed::data {
namespace {

using grammar_fr::NounPhrase;
using grammar_fr::Sentence;

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> tokens;
  std::istringstream stream(text);
  for (std::string token; stream >> token;) tokens.push_back(token);
  return tokens;
}

NounPhrase np(std::string determiner, std::string noun, std::string adjective = "", bool plural = false) {
  return {.determiner = std::move(determiner), .adjective = std::move(adjective), .noun = std::move(noun),
          .plural = plural};
}
NounPhrase nps(std::string determiner, std::string noun, std::string adjective = "") {
  return np(std::move(determiner), std::move(noun), std::move(adjective), true);
}

Sentence by_pronoun(std::string pronoun, std::string verb, NounPhrase object, bool negated = false) {
  return {.pronoun = std::move(pronoun), .verb = std::move(verb), .object = std::move(object), .negated = negated};
}
Sentence by_noun(NounPhrase subject, std::string verb, NounPhrase object, bool negated = false) {
  return {.subject = std::move(subject), .verb = std::move(verb), .object = std::move(object), .negated = negated};
}
Sentence pronoun_is(std::string pronoun, std::string adjective, bool negated = false) {
  return {.pronoun = std::move(pronoun), .predicate = std::move(adjective), .negated = negated};
}
Sentence noun_is(NounPhrase subject, std::string adjective, bool negated = false) {
  return {.subject = std::move(subject), .predicate = std::move(adjective), .negated = negated};
}

struct Translation {
  Sentence sentence;
  std::string english, french;
};

TEST(GrammarFr, HandCheckedTranslations) {
  const std::vector<Translation> table = {
      // elision of je, le/la, ne, de
      {by_pronoun("i", "like", np("the", "apple")), "i like the apple .", "j' aime la pomme ."},
      {by_pronoun("i", "like", np("a", "apple"), true), "i do not like an apple .", "je n' aime pas de pomme ."},
      {by_pronoun("i", "see", np("the", "bird")), "i see the bird .", "je vois l' oiseau ."},
      {by_pronoun("i", "hear", nps("a", "animal"), true), "i do not hear any animals .",
       "je n' entends pas d' animaux ."},
      {by_pronoun("we", "see", np("the", "animal"), true), "we do not see the animal .",
       "nous ne voyons pas l' animal ."},
      {by_pronoun("you", "eat", np("a", "cake")), "you eat a cake .", "tu manges un gâteau ."},
      {by_pronoun("you", "buy", np("this", "apple", "small"), true), "you do not buy this small apple .",
       "tu n' achètes pas cette petite pomme ."},
      // pre-nominal adjectives, bel / vieil / nouvel before a masculine vowel
      {by_pronoun("he", "have", np("a", "cat", "small")), "he has a small cat .", "il a un petit chat ."},
      {by_pronoun("she", "have", np("a", "friend", "old"), true), "she does not have an old friend .",
       "elle n' a pas de vieil ami ."},
      {by_pronoun("he", "sell", np("a", "tree", "old")), "he sells an old tree .", "il vend un vieil arbre ."},
      {by_noun(np("the", "man", "old"), "buy", np("a", "horse", "white")), "the old man buys a white horse .",
       "le vieil homme achète un cheval blanc ."},
      {by_noun(np("this", "elephant", "beautiful"), "sell", nps("our", "newspaper"), true),
       "this beautiful elephant does not sell our newspapers .", "ce bel éléphant ne vend pas nos journaux ."},
      {by_noun(np("my", "school"), "wait for", np("a", "friend", "new")), "my school waits for a new friend .",
       "mon école attend un nouvel ami ."},
      {by_pronoun("i", "have", np("a", "newspaper", "new"), true), "i do not have a new newspaper .",
       "je n' ai pas de nouveau journal ."},
      {by_noun(np("a", "man", "young"), "look at", np("the", "star")), "a young man looks at the star .",
       "un jeune homme regarde l' étoile ."},
      // cet, mon before a feminine vowel, ma when an adjective comes first
      {by_noun(np("this", "elephant"), "hear", nps("the", "bird")), "this elephant hears the birds .",
       "cet éléphant entend les oiseaux ."},
      {by_noun(np("my", "school", "old"), "look at", np("the", "island"), true),
       "my old school does not look at the island .", "ma vieille école ne regarde pas l' île ."},
      {by_noun(np("the", "girl", "good"), "want", np("my", "friend")), "the good girl wants my friend .",
       "la bonne fille veut mon ami ."},
      // plurals: agreement, irregular nouns, des -> de before an adjective
      {by_pronoun("we", "take", nps("the", "tree", "beautiful")), "we take the beautiful trees .",
       "nous prenons les beaux arbres ."},
      {by_pronoun("you all", "want", np("this", "car", "new")), "you all want this new car .",
       "vous voulez cette nouvelle voiture ."},
      {by_pronoun("they", "find", nps("my", "mouse", "black")), "they find my black mice .",
       "ils trouvent mes souris noires ."},
      {by_noun(nps("a", "cat", "small"), "see", np("a", "apple", "green")), "some small cats see a green apple .",
       "de petits chats voient une pomme verte ."},
      {by_noun(nps("a", "woman", "happy"), "eat", nps("a", "cake"), true),
       "some happy women do not eat any cakes .", "des femmes heureuses ne mangent pas de gâteaux ."},
      {by_pronoun("i", "want", nps("a", "book", "new")), "i want some new books .", "je veux de nouveaux livres ."},
      {by_noun(nps("the", "house", "new"), "have", np("a", "table", "grey")), "the new houses have a grey table .",
       "les nouvelles maisons ont une table grise ."},
      {by_noun(nps("our", "horse", "young"), "look at", np("this", "orange")),
       "our young horses look at this orange .", "nos jeunes chevaux regardent cette orange ."},
      {by_noun(np("a", "bear"), "take", nps("the", "star", "red")), "a bear takes the red stars .",
       "un ours prend les étoiles rouges ."},
      {by_noun(nps("the", "man", "old"), "find", nps("a", "island")), "the old men find some islands .",
       "les vieux hommes trouvent des îles ."},
      {by_pronoun("you all", "wait for", nps("the", "dog", "young"), true), "you all do not wait for the young dogs .",
       "vous n' attendez pas les jeunes chiens ."},
      // predicative adjectives agree with the subject and never take bel
      {noun_is(np("the", "cat"), "black"), "the cat is black .", "le chat est noir ."},
      {noun_is(nps("the", "flower"), "white"), "the flowers are white .", "les fleurs sont blanches ."},
      {noun_is(np("the", "tree"), "beautiful", true), "the tree is not beautiful .", "l' arbre n' est pas beau ."},
      {noun_is(nps("my", "bear", "grey"), "happy"), "my grey bears are happy .", "mes ours gris sont heureux ."},
      {pronoun_is("she", "happy"), "she is happy .", "elle est heureuse ."},
      {pronoun_is("they", "old", true), "they are not old .", "ils ne sont pas vieux ."},
      {pronoun_is("he", "tired"), "he is tired .", "il est fatigué ."},
  };
  for (const Translation& t : table) {
    EXPECT_EQ(grammar_fr::english(t.sentence), t.english);
    EXPECT_EQ(grammar_fr::french(t.sentence), t.french) << t.english;
  }
}

TEST(GrammarFr, EveryVerbForEveryPerson) {
  const std::vector<std::string> persons = {"i", "you", "he", "she", "we", "you all", "they"};
  const std::map<std::string, std::vector<std::string>> conjugations = {
      {"see", {"je vois", "tu vois", "il voit", "elle voit", "nous voyons", "vous voyez", "ils voient"}},
      {"eat", {"je mange", "tu manges", "il mange", "elle mange", "nous mangeons", "vous mangez", "ils mangent"}},
      {"like", {"j' aime", "tu aimes", "il aime", "elle aime", "nous aimons", "vous aimez", "ils aiment"}},
      {"have", {"j' ai", "tu as", "il a", "elle a", "nous avons", "vous avez", "ils ont"}},
      {"take", {"je prends", "tu prends", "il prend", "elle prend", "nous prenons", "vous prenez", "ils prennent"}},
      {"want", {"je veux", "tu veux", "il veut", "elle veut", "nous voulons", "vous voulez", "ils veulent"}},
      {"find", {"je trouve", "tu trouves", "il trouve", "elle trouve", "nous trouvons", "vous trouvez",
                "ils trouvent"}},
      {"buy", {"j' achète", "tu achètes", "il achète", "elle achète", "nous achetons", "vous achetez",
               "ils achètent"}},
      {"sell", {"je vends", "tu vends", "il vend", "elle vend", "nous vendons", "vous vendez", "ils vendent"}},
      {"hear", {"j' entends", "tu entends", "il entend", "elle entend", "nous entendons", "vous entendez",
                "ils entendent"}},
      {"wait for", {"j' attends", "tu attends", "il attend", "elle attend", "nous attendons", "vous attendez",
                    "ils attendent"}},
      {"look at", {"je regarde", "tu regardes", "il regarde", "elle regarde", "nous regardons", "vous regardez",
                   "ils regardent"}},
  };
  ASSERT_EQ(conjugations.size(), grammar_fr::verbs().size());
  for (const grammar_fr::Verb& verb : grammar_fr::verbs()) {
    ASSERT_TRUE(conjugations.contains(verb.english)) << verb.english;
    for (size_t p = 0; p < persons.size(); ++p) {
      const Sentence s = by_pronoun(persons[p], verb.english, np("the", "cat"));
      EXPECT_EQ(grammar_fr::french(s), conjugations.at(verb.english)[p] + " le chat .");
      const bool third = persons[p] == "he" || persons[p] == "she";
      EXPECT_EQ(grammar_fr::english(s), persons[p] + " " + (third ? verb.english_third : verb.english) + " the cat .");
    }
  }
}

TEST(GrammarFr, RejectsUnknownWordsAndBadSentences) {
  testing::expect_error([] { grammar_fr::french(by_pronoun("i", "fly", np("the", "cat"))); }, {"unknown verb 'fly'"});
  testing::expect_error([] { grammar_fr::english(by_pronoun("i", "see", np("the", "unicorn"))); },
                        {"unknown noun 'unicorn'"});
  testing::expect_error([] { grammar_fr::french(by_pronoun("i", "see", np("the", "cat", "purple"))); },
                        {"unknown adjective 'purple'"});
  testing::expect_error([] { grammar_fr::french(by_pronoun("i", "see", np("every", "cat"))); },
                        {"unknown determiner 'every'"});
  testing::expect_error([] { grammar_fr::french(pronoun_is("i", "happy")); }, {"'i'", "he, she or they"});
  testing::expect_error([] { grammar_fr::french(Sentence{.pronoun = "he"}); }, {"neither"});
}

TEST(GrammarFr, HeldOutPairsCoverEveryAdjectiveAndNounOnce) {
  const auto pairs = grammar_fr::held_out_pairs(7);
  std::map<std::string, std::set<grammar_fr::Gender>> genders_by_adjective;
  std::map<std::string, int> noun_uses;
  for (const auto& pair : pairs) {
    auto noun = std::find_if(grammar_fr::nouns().begin(), grammar_fr::nouns().end(),
                             [&](const grammar_fr::Noun& n) { return n.english == pair.noun; });
    ASSERT_NE(noun, grammar_fr::nouns().end()) << pair.noun;
    genders_by_adjective[pair.adjective].insert(noun->gender);
    ++noun_uses[pair.noun];
  }
  EXPECT_EQ(genders_by_adjective.size(), grammar_fr::adjectives().size());
  for (const auto& [adjective, genders] : genders_by_adjective) EXPECT_EQ(genders.size(), 2u) << adjective;
  EXPECT_EQ(noun_uses.size(), grammar_fr::nouns().size());
  for (const auto& [noun, uses] : noun_uses) EXPECT_EQ(uses, 1) << noun;
  auto nouns_of = [](const std::vector<grammar_fr::HeldOutPair>& held) {
    std::vector<std::string> nouns;
    for (const auto& pair : held) nouns.push_back(pair.noun);
    return nouns;
  };
  EXPECT_EQ(nouns_of(grammar_fr::held_out_pairs(7)), nouns_of(pairs));
  EXPECT_NE(nouns_of(grammar_fr::held_out_pairs(8)), nouns_of(pairs));
}

// The default-sized task, made once for the tests that read it.
const ToyTask& default_task() {
  static const ToyTask task = detail::make_grammar_fr_task({.seed = 5});
  return task;
}

TEST(GrammarFrTask, DefaultSizesAndTokenizers) {
  const ToyTask& task = default_task();
  EXPECT_EQ(task.name, "grammar-fr");
  EXPECT_EQ(task.source_tokenizer, "words");
  EXPECT_EQ(task.target_tokenizer, "words");
  EXPECT_EQ(task.train.size(), 20000u);
  EXPECT_EQ(task.valid.size(), 500u);
  EXPECT_EQ(task.test.size(), 500u);
}

TEST(GrammarFrTask, SameSeedSameDataOtherSeedOtherData) {
  const TaskOptions options{.seed = 3, .train_size = 300, .valid_size = 20, .test_size = 20};
  const ToyTask a = detail::make_grammar_fr_task(options);
  const ToyTask b = detail::make_grammar_fr_task(options);
  EXPECT_EQ(a.train, b.train);
  EXPECT_EQ(a.valid, b.valid);
  EXPECT_EQ(a.test, b.test);
  const ToyTask c = detail::make_grammar_fr_task({.seed = 4, .train_size = 300, .valid_size = 20, .test_size = 20});
  EXPECT_NE(a.train, c.train);
  EXPECT_NE(a.test, c.test);
  EXPECT_EQ(a.train.size(), 300u);
  EXPECT_EQ(a.valid.size(), 20u);
  EXPECT_EQ(a.test.size(), 20u);
}

TEST(GrammarFrTask, SplitsShareNoSource) {
  const ToyTask& task = default_task();
  std::set<std::string> sources;
  size_t total = 0;
  for (const auto* split : {&task.train, &task.valid, &task.test}) {
    for (const SentencePair& pair : *split) sources.insert(pair.first);
    total += split->size();
  }
  EXPECT_EQ(sources.size(), total);
}

// The adjective qualifies the noun in the English source: "black cat(s)" or "cat(s) is/are [not] black".
bool qualifies(const std::vector<std::string>& tokens, const std::string& adjective, const grammar_fr::Noun& noun) {
  auto is_noun = [&](const std::string& t) { return t == noun.english || t == noun.english_plural; };
  for (size_t i = 0; i + 1 < tokens.size(); ++i)
    if (tokens[i] == adjective && is_noun(tokens[i + 1])) return true;
  auto is_be = [](const std::string& t) { return t == "is" || t == "are"; };
  const auto verb = std::find_if(tokens.begin(), tokens.end(), is_be);
  return verb != tokens.begin() && verb != tokens.end() && is_noun(*(verb - 1)) &&
         tokens[tokens.size() - 2] == adjective;
}

TEST(GrammarFrTask, HeldOutPairsOnlyInValidAndTest) {
  const ToyTask& task = default_task();
  const auto pairs = grammar_fr::held_out_pairs(5);
  std::map<std::string, const grammar_fr::Noun*> nouns;
  for (const grammar_fr::Noun& noun : grammar_fr::nouns()) nouns[noun.english] = &noun;
  for (const SentencePair& pair : task.train) {
    const std::vector<std::string> tokens = split(pair.first);
    for (const auto& held : pairs) {
      const grammar_fr::Noun& noun = *nouns.at(held.noun);
      const bool adjective = std::count(tokens.begin(), tokens.end(), held.adjective) > 0;
      const bool has_noun = std::count(tokens.begin(), tokens.end(), noun.english) +
                                std::count(tokens.begin(), tokens.end(), noun.english_plural) > 0;
      ASSERT_FALSE(adjective && has_noun) << "training sentence '" << pair.first << "' has " << held.adjective
                                          << " and " << held.noun;
    }
  }
  for (const auto* split_pairs : {&task.valid, &task.test}) {
    for (const SentencePair& pair : *split_pairs) {
      const std::vector<std::string> tokens = split(pair.first);
      EXPECT_TRUE(std::any_of(pairs.begin(), pairs.end(), [&](const auto& held) {
        return qualifies(tokens, held.adjective, *nouns.at(held.noun));
      })) << pair.first;
    }
  }
}

TEST(GrammarFrTask, EveryHeldOutWordAppearsInTraining) {
  const ToyTask& task = default_task();
  std::set<std::string> source_words, target_words;
  for (const SentencePair& pair : task.train) {
    for (const std::string& w : split(pair.first)) source_words.insert(w);
    for (const std::string& w : split(pair.second)) target_words.insert(w);
  }
  for (const auto* split_pairs : {&task.valid, &task.test}) {
    for (const SentencePair& pair : *split_pairs) {
      for (const std::string& w : split(pair.first)) EXPECT_TRUE(source_words.contains(w)) << w;
      for (const std::string& w : split(pair.second)) EXPECT_TRUE(target_words.contains(w)) << w;
    }
  }
}

bool starts_with_vowel(const std::string& word) {
  for (const char* start : {"a", "e", "i", "o", "u", "h", "é", "è", "ê", "î"})
    if (word.starts_with(start)) return true;
  return false;
}

// Spacing, the final ".", and French elision rules checked over every generated sentence.
TEST(GrammarFrTask, EverySentenceIsWellFormed) {
  const ToyTask& task = default_task();
  const std::set<std::string> elided = {"l'", "j'", "n'", "d'", "cet", "bel", "vieil", "nouvel"};
  const std::set<std::string> never_before_vowel = {"le", "la", "je", "ne", "de", "ce", "ma", "beau", "nouveau"};
  for (const auto* split_pairs : {&task.train, &task.valid, &task.test}) {
    for (const SentencePair& pair : *split_pairs) {
      for (const std::string& side : {pair.first, pair.second}) {
        EXPECT_TRUE(side.ends_with(" .")) << side;
        EXPECT_EQ(side.find("  "), std::string::npos) << side;
        EXPECT_NE(side.front(), ' ') << side;
        EXPECT_EQ(side.find('.'), side.size() - 1) << side;
      }
      const std::vector<std::string> tokens = split(pair.second);
      for (size_t i = 0; i + 1 < tokens.size(); ++i) {
        if (elided.contains(tokens[i])) {
          EXPECT_TRUE(starts_with_vowel(tokens[i + 1])) << pair.second;
        }
        if (never_before_vowel.contains(tokens[i])) {
          EXPECT_FALSE(starts_with_vowel(tokens[i + 1])) << pair.second;
        }
      }
    }
  }
}

TEST(GrammarFrTask, TooSmallTrainingSetIsRefused) {
  // One training sentence cannot show both words of a held-out pair, which every test sentence needs.
  testing::expect_error(
      [] { detail::make_grammar_fr_task({.seed = 1, .train_size = 1, .valid_size = 5, .test_size = 5}); },
      {"grammar-fr", "train_size 1"});
}

}  // namespace
}  // namespace heed::data
