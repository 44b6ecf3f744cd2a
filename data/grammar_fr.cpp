// The grammar-fr lexicon and the rendering of a parsed sentence in English and in French: where
// agreement, elision, adjective placement, conjugation and negation are decided.
#include "heed/data/grammar_fr.h"

#include <algorithm>
#include <string_view>

#include "heed/core/error.h"
#include "heed/data/task_generators.h"

namespace heed::data::grammar_fr {
namespace {

constexpr Gender M = Gender::masculine, F = Gender::feminine;

// Looks a word up by its English base form.
template <class Entry>
const Entry& find(const std::vector<Entry>& entries, const std::string& english, const char* kind) {
  auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.english == english; });
  HEED_CHECK(it != entries.end(), "grammar-fr", "unknown {} '{}'", kind, english);
  return *it;
}

bool contains(const std::vector<std::string>& words, const std::string& word) {
  return std::find(words.begin(), words.end(), word) != words.end();
}

// Elision and cet/bel/mon happen before a vowel sound; every h of the lexicon is mute.
bool french_vowel(std::string_view word) {
  for (std::string_view start : {"a", "e", "i", "o", "u", "y", "h", "â", "é", "è", "ê", "î", "ô"})
    if (word.starts_with(start)) return true;
  return false;
}

// "an" before a vowel letter: "an old cat", "an apple", but "a young cat".
bool english_vowel(std::string_view word) {
  return !word.empty() && std::string_view("aeiou").find(word[0]) != std::string_view::npos;
}

// The words of a sentence, joined with single spaces and closed by " .".
class Words {
 public:
  Words& operator<<(const std::string& word) {
    if (!word.empty()) words_.push_back(word);
    return *this;
  }
  std::string sentence() const {
    std::string text;
    for (const std::string& word : words_) text += word + " ";
    return text + ".";
  }

 private:
  std::vector<std::string> words_;
};

// The French adjective agreeing with a noun; `next_is_vowel_noun` selects bel, vieil, nouvel.
const std::string& agree(const Adjective& adjective, Gender gender, bool plural, bool next_is_vowel_noun) {
  if (gender == F) return plural ? adjective.feminine_plural : adjective.feminine;
  if (plural) return adjective.masculine_plural;
  return next_is_vowel_noun ? adjective.before_vowel : adjective.masculine;
}

// `after_negation`: the noun phrase is the object of a negated verb, where "a" and "some" become
// "de" in French and "some" becomes "any" in English.
void english_noun_phrase(Words& out, const NounPhrase& np, bool after_negation) {
  const Noun& noun = find(nouns(), np.noun, "noun");
  const std::string& noun_word = np.plural ? noun.english_plural : noun.english;
  if (!np.adjective.empty()) find(adjectives(), np.adjective, "adjective");  // a known adjective
  const std::string& next = np.adjective.empty() ? noun_word : np.adjective;
  const std::string& d = np.determiner;
  HEED_CHECK(contains(determiners(), d), "grammar-fr", "unknown determiner '{}'", d);
  if (d == "a") out << (np.plural ? (after_negation ? "any" : "some") : (english_vowel(next) ? "an" : "a"));
  else if (d == "this") out << (np.plural ? "these" : "this");
  else out << d;
  out << np.adjective << noun_word;
}

// The determiner agrees with the noun's gender and number and elides before the next word's vowel;
// the adjective agrees with the noun and goes before or after it.
void french_noun_phrase(Words& out, const NounPhrase& np, bool after_negation) {
  const Noun& noun = find(nouns(), np.noun, "noun");
  const std::string& noun_word = np.plural ? noun.french_plural : noun.french;
  const Adjective* adjective = np.adjective.empty() ? nullptr : &find(adjectives(), np.adjective, "adjective");
  const bool before = adjective && adjective->before_noun;
  const std::string adjective_word =
      adjective ? agree(*adjective, noun.gender, np.plural, french_vowel(noun_word)) : std::string();
  const bool vowel = french_vowel(before ? adjective_word : noun_word);  // the sound after the determiner
  const bool feminine = noun.gender == F;
  const std::string& d = np.determiner;
  HEED_CHECK(contains(determiners(), d), "grammar-fr", "unknown determiner '{}'", d);
  if (d == "the") out << (np.plural ? "les" : vowel ? "l'" : feminine ? "la" : "le");
  // "pas de chat", "pas d' arbres", "de petits chats"
  else if (d == "a" && (after_negation || (np.plural && before))) out << (vowel ? "d'" : "de");
  else if (d == "a") out << (np.plural ? "des" : feminine ? "une" : "un");
  else if (d == "this") out << (np.plural ? "ces" : feminine ? "cette" : vowel ? "cet" : "ce");
  else if (d == "my") out << (np.plural ? "mes" : feminine && !vowel ? "ma" : "mon");
  else out << (np.plural ? "nos" : "notre");
  if (before) out << adjective_word << noun_word;
  else out << noun_word << adjective_word;
}

struct Pronoun {
  std::string english, french;
  int person;  // the verb's form: 0 je, 1 tu, 2 il/elle, 3 nous, 4 vous, 5 ils
};

const std::vector<Pronoun>& pronoun_table() {
  static const std::vector<Pronoun> table = {{"i", "je", 0},   {"you", "tu", 1},      {"he", "il", 2},
                                             {"she", "elle", 2}, {"we", "nous", 3},     {"you all", "vous", 4},
                                             {"they", "ils", 5}};
  return table;
}

// The subject's person, which picks the French verb form (and the English one: 2 is "sees").
int person(const Sentence& s) {
  if (s.pronoun.empty()) return s.subject.plural ? 5 : 2;
  return find(pronoun_table(), s.pronoun, "pronoun").person;
}

void check_kind(const Sentence& s) {
  HEED_CHECK(s.verb.empty() != s.predicate.empty(), "grammar-fr",
             "a sentence has a verb (transitive) or a predicate adjective, not {}",
             s.verb.empty() ? "neither" : "both");
  HEED_CHECK(s.predicate.empty() || s.pronoun.empty() || contains(predicative_pronouns(), s.pronoun), "grammar-fr",
             "'{}' has no known gender and cannot take a predicate adjective; expected he, she or they", s.pronoun);
}

}  // namespace

const std::vector<Noun>& nouns() {
  // English singular and plural, French singular and plural, gender.
  static const std::vector<Noun> table = {
      {"cat", "cats", "chat", "chats", M},
      {"dog", "dogs", "chien", "chiens", M},
      {"horse", "horses", "cheval", "chevaux", M},
      {"book", "books", "livre", "livres", M},
      {"boy", "boys", "garçon", "garçons", M},
      {"cake", "cakes", "gâteau", "gâteaux", M},
      {"newspaper", "newspapers", "journal", "journaux", M},
      {"bird", "birds", "oiseau", "oiseaux", M},
      {"animal", "animals", "animal", "animaux", M},
      {"tree", "trees", "arbre", "arbres", M},
      {"man", "men", "homme", "hommes", M},
      {"friend", "friends", "ami", "amis", M},
      {"elephant", "elephants", "éléphant", "éléphants", M},
      {"bear", "bears", "ours", "ours", M},
      {"apple", "apples", "pomme", "pommes", F},
      {"house", "houses", "maison", "maisons", F},
      {"table", "tables", "table", "tables", F},
      {"girl", "girls", "fille", "filles", F},
      {"mouse", "mice", "souris", "souris", F},
      {"car", "cars", "voiture", "voitures", F},
      {"flower", "flowers", "fleur", "fleurs", F},
      {"letter", "letters", "lettre", "lettres", F},
      {"woman", "women", "femme", "femmes", F},
      {"chair", "chairs", "chaise", "chaises", F},
      {"school", "schools", "école", "écoles", F},
      {"orange", "oranges", "orange", "oranges", F},
      {"star", "stars", "étoile", "étoiles", F},
      {"island", "islands", "île", "îles", F},
  };
  return table;
}

const std::vector<Adjective>& adjectives() {
  // English; French masculine, feminine, masculine plural, feminine plural, masculine before a
  // vowel; whether it comes before the noun.
  static const std::vector<Adjective> table = {
      {"black", "noir", "noire", "noirs", "noires", "noir", false},
      {"white", "blanc", "blanche", "blancs", "blanches", "blanc", false},
      {"red", "rouge", "rouge", "rouges", "rouges", "rouge", false},
      {"green", "vert", "verte", "verts", "vertes", "vert", false},
      {"happy", "heureux", "heureuse", "heureux", "heureuses", "heureux", false},
      {"grey", "gris", "grise", "gris", "grises", "gris", false},
      {"tired", "fatigué", "fatiguée", "fatigués", "fatiguées", "fatigué", false},
      {"small", "petit", "petite", "petits", "petites", "petit", true},
      {"big", "grand", "grande", "grands", "grandes", "grand", true},
      {"good", "bon", "bonne", "bons", "bonnes", "bon", true},
      {"beautiful", "beau", "belle", "beaux", "belles", "bel", true},
      {"old", "vieux", "vieille", "vieux", "vieilles", "vieil", true},
      {"new", "nouveau", "nouvelle", "nouveaux", "nouvelles", "nouvel", true},
      {"young", "jeune", "jeune", "jeunes", "jeunes", "jeune", true},
  };
  return table;
}

const std::vector<Verb>& verbs() {
  // English base and third person singular; French present: je, tu, il/elle, nous, vous, ils.
  static const std::vector<Verb> table = {
      {"see", "sees", {"vois", "vois", "voit", "voyons", "voyez", "voient"}},
      {"eat", "eats", {"mange", "manges", "mange", "mangeons", "mangez", "mangent"}},
      {"like", "likes", {"aime", "aimes", "aime", "aimons", "aimez", "aiment"}},
      {"have", "has", {"ai", "as", "a", "avons", "avez", "ont"}},
      {"take", "takes", {"prends", "prends", "prend", "prenons", "prenez", "prennent"}},
      {"want", "wants", {"veux", "veux", "veut", "voulons", "voulez", "veulent"}},
      {"find", "finds", {"trouve", "trouves", "trouve", "trouvons", "trouvez", "trouvent"}},
      {"buy", "buys", {"achète", "achètes", "achète", "achetons", "achetez", "achètent"}},
      {"sell", "sells", {"vends", "vends", "vend", "vendons", "vendez", "vendent"}},
      {"hear", "hears", {"entends", "entends", "entend", "entendons", "entendez", "entendent"}},
      {"wait for", "waits for", {"attends", "attends", "attend", "attendons", "attendez", "attendent"}},
      {"look at", "looks at", {"regarde", "regardes", "regarde", "regardons", "regardez", "regardent"}},
  };
  return table;
}

const std::vector<std::string>& determiners() {
  static const std::vector<std::string> words = {"the", "a", "this", "my", "our"};
  return words;
}

const std::vector<std::string>& pronouns() {
  static const std::vector<std::string> words = [] {
    std::vector<std::string> english;
    for (const Pronoun& pronoun : pronoun_table()) english.push_back(pronoun.english);
    return english;
  }();
  return words;
}

const std::vector<std::string>& predicative_pronouns() {
  static const std::vector<std::string> words = {"he", "she", "they"};
  return words;
}

std::string english(const Sentence& s) {
  check_kind(s);
  Words out;
  const bool third_singular = person(s) == 2;
  if (s.pronoun.empty()) english_noun_phrase(out, s.subject, false);
  else out << s.pronoun;
  if (!s.predicate.empty()) {
    find(adjectives(), s.predicate, "adjective");  // a known adjective
    out << (third_singular ? "is" : "are") << (s.negated ? "not" : "") << s.predicate;
    return out.sentence();
  }
  const Verb& verb = find(verbs(), s.verb, "verb");
  if (s.negated) out << (third_singular ? "does not" : "do not") << verb.english;
  else out << (third_singular ? verb.english_third : verb.english);
  english_noun_phrase(out, s.object, s.negated);
  return out.sentence();
}

std::string french(const Sentence& s) {
  check_kind(s);
  Words out;
  const int p = person(s);
  const std::string verb_word = s.predicate.empty() ? find(verbs(), s.verb, "verb").french[static_cast<size_t>(p)]
                                                    : std::string(p == 2 ? "est" : "sont");
  const bool vowel = french_vowel(verb_word);
  if (s.pronoun.empty()) french_noun_phrase(out, s.subject, false);
  else out << (p == 0 && vowel && !s.negated ? "j'" : find(pronoun_table(), s.pronoun, "pronoun").french);
  if (s.negated) out << (vowel ? "n'" : "ne") << verb_word << "pas";
  else out << verb_word;
  if (s.predicate.empty()) {
    french_noun_phrase(out, s.object, s.negated);
  } else {
    const Adjective& adjective = find(adjectives(), s.predicate, "adjective");
    const bool plural = s.pronoun.empty() ? s.subject.plural : s.pronoun == "they";
    const Gender gender = s.pronoun.empty() ? find(nouns(), s.subject.noun, "noun").gender
                          : s.pronoun == "she" ? F : M;
    out << agree(adjective, gender, plural, false);
  }
  return out.sentence();
}

std::vector<HeldOutPair> held_out_pairs(uint64_t seed) {
  std::vector<std::string> by_gender[2];
  for (const Noun& noun : nouns()) by_gender[noun.gender == F].push_back(noun.english);
  const size_t count = adjectives().size();
  HEED_CHECK(by_gender[0].size() == count && by_gender[1].size() == count, "grammar-fr",
             "the lexicon needs as many masculine and feminine nouns as adjectives; got {}, {} and {}",
             by_gender[0].size(), by_gender[1].size(), count);
  // Decorrelated from the sentence draws, which use `seed` itself.
  detail::TaskRandom random(seed ^ 0x9e3779b97f4a7c15ULL);
  std::vector<HeldOutPair> pairs;
  for (std::vector<std::string>& group : by_gender) {
    for (size_t i = group.size() - 1; i > 0; --i) std::swap(group[i], group[random.below(i + 1)]);
    for (size_t i = 0; i < count; ++i) pairs.push_back({adjectives()[i].english, group[i]});
  }
  return pairs;
}

}  // namespace heed::data::grammar_fr
