// data tokenizers: words and chars round trips, strict UTF-8, and SentencePiece trained on a small
// generated corpus (round trip, save/load, errors).
#include <algorithm>
#include <chrono>
#include <unistd.h>

#include <filesystem>

#include "heed/data/tokenizer.h"
#include "heed/data/vocab.h"
#include "test_util.h"

namespace heed {
namespace {

using data::Tokenizer;
using testing::expect_error;
using Tokens = std::vector<std::string>;

TEST(DataTokenizer, WordsSplitOnAnyAsciiWhitespace) {
  auto words = data::make_tokenizer("words");
  EXPECT_EQ(words->kind(), "words");
  EXPECT_EQ(words->tokenize("  le\tchat \r\n dort\v\fbien  "), (Tokens{"le", "chat", "dort", "bien"}));
  EXPECT_TRUE(words->tokenize(" \t ").empty());
  EXPECT_EQ(words->detokenize({"le", "chat", "dort"}), "le chat dort");
  EXPECT_EQ(words->detokenize(words->tokenize("élève à Noël")), "élève à Noël");
}

TEST(DataTokenizer, CharsSplitCodePointsAndMarkSpaces) {
  auto chars = data::make_tokenizer("chars");
  EXPECT_EQ(chars->kind(), "chars");
  EXPECT_EQ(chars->tokenize("12 mars"), (Tokens{"1", "2", "\u2581", "m", "a", "r", "s"}));
  const std::string text = "élève à Noël";
  Tokens tokens = chars->tokenize(text);
  EXPECT_EQ(tokens, (Tokens{"é", "l", "è", "v", "e", "▁", "à", "▁", "N", "o", "ë", "l"}));
  EXPECT_EQ(chars->detokenize(tokens), text);
  // Code points of 3 and 4 bytes stay whole.
  EXPECT_EQ(chars->tokenize("€😀"), (Tokens{"€", "😀"}));
  EXPECT_TRUE(chars->tokenize("").empty());
}

TEST(DataTokenizer, CharsRefusesInvalidUtf8NamingTheByte) {
  auto chars = data::make_tokenizer("chars");
  expect_error([&] { chars->tokenize("ab\xC3"); }, {"chars tokenizer", "invalid UTF-8 at byte 2"});
  expect_error([&] { chars->tokenize("é\xFFz"); }, {"invalid UTF-8 at byte 2"});
}

TEST(DataTokenizer, MakeTokenizerNamesTheKinds) {
  expect_error([] { data::make_tokenizer("bytes"); }, {"make_tokenizer", "'bytes'", "\"words\" or \"chars\""});
  expect_error([] { data::make_tokenizer("sentencepiece"); }, {"train_sentencepiece"});
}

TEST(DataTokenizer, Utf8ValidityIsStrict) {
  using data::invalid_utf8_offset;
  using data::is_valid_utf8;
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("\u00E9\u0800\uFFFD\U00010000\U0010FFFF"));  // 2, 3, 3, 4, 4 bytes
  EXPECT_TRUE(is_valid_utf8("\xED\x9F\xBF"));                             // U+D7FF, just below the surrogates
  EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));                                // overlong '/'
  EXPECT_FALSE(is_valid_utf8("\xC1\xBF"));                                // overlong
  EXPECT_FALSE(is_valid_utf8("\xE0\x80\xAF"));                            // overlong, 3 bytes
  EXPECT_FALSE(is_valid_utf8("\xF0\x80\x80\xAF"));                        // overlong, 4 bytes
  EXPECT_FALSE(is_valid_utf8("\xED\xA0\x80"));                            // U+D800, a surrogate
  EXPECT_FALSE(is_valid_utf8("\xED\xBF\xBF"));                            // U+DFFF
  EXPECT_FALSE(is_valid_utf8("\xF4\x90\x80\x80"));                        // U+110000
  EXPECT_FALSE(is_valid_utf8("\xF5\x80\x80\x80"));
  EXPECT_FALSE(is_valid_utf8("\x80"));                                    // a lone continuation byte
  EXPECT_FALSE(is_valid_utf8("\xE2\x82"));                                // cut short
  EXPECT_FALSE(is_valid_utf8("\xE2\x28\xA1"));                            // bad continuation
  EXPECT_FALSE(is_valid_utf8("\xFE"));
  EXPECT_EQ(invalid_utf8_offset("ok"), std::string_view::npos);
  EXPECT_EQ(invalid_utf8_offset("é\xED\xA0\x80"), 2u);
}

// A few hundred short French-like sentences from a fixed recipe.
std::vector<std::string> small_corpus() {
  const std::vector<std::string> subjects = {"le chat", "la chatte", "le chien", "les enfants", "mon ami"};
  const std::vector<std::string> verbs = {"mange", "regarde", "aime", "cherche", "dessine"};
  const std::vector<std::string> objects = {"la pomme", "le poisson", "les fleurs", "un gâteau", "la maison",
                                            "le jardin", "une étoile", "des livres"};
  std::vector<std::string> sentences;
  for (const auto& s : subjects)
    for (const auto& v : verbs)
      for (const auto& o : objects) sentences.push_back(s + " " + v + " " + o);
  return sentences;  // 200 sentences
}

struct DataSentencePiece : ::testing::Test {
  std::filesystem::path dir;
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          fmt::format("heed_spm_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
};

TEST_F(DataSentencePiece, TrainsQuicklyAndRoundTrips) {
  const std::vector<std::string> corpus = small_corpus();
  const std::string model = (dir / "spm.model").string();
  const auto start = std::chrono::steady_clock::now();
  auto spm = data::train_sentencepiece(corpus, model, {.vocab_size = 60});
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_LT(seconds, 2.0);
  EXPECT_EQ(spm->kind(), "sentencepiece");
  EXPECT_TRUE(std::filesystem::exists(model));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no leftover files

  // Pieces are subwords marked with "▁" at word starts, not the special tokens of heed's Vocab.
  std::vector<std::vector<std::string>> tokenized;
  for (const std::string& sentence : corpus) {
    Tokens pieces = spm->tokenize(sentence);
    EXPECT_EQ(spm->detokenize(pieces), sentence);
    for (const std::string& piece : pieces) {
      EXPECT_NE(piece, "<s>");
      EXPECT_NE(piece, "</s>");
    }
    tokenized.push_back(std::move(pieces));
  }
  data::Vocab vocab = data::Vocab::build(tokenized);
  EXPECT_GT(vocab.size(), 10);
  EXPECT_LE(vocab.size(), 60 + 4);
  // Fewer pieces than characters: it learned subwords.
  EXPECT_LT(spm->tokenize("le chat mange la pomme").size(), std::string("le chat mange la pomme").size());
  // Text it never saw still round-trips through its characters.
  EXPECT_EQ(spm->detokenize(spm->tokenize("les chiens regardent")), "les chiens regardent");
  // Characters it never saw come back as themselves, never as "<unk>".
  Tokens unseen = spm->tokenize("zèbre qui 42 ?");
  EXPECT_EQ(std::count(unseen.begin(), unseen.end(), "<unk>"), 0);
  EXPECT_EQ(spm->detokenize(unseen), "zèbre qui 42 ?");

  auto loaded = data::load_sentencepiece(model);
  for (const std::string& sentence : {corpus[0], corpus[77], corpus[199], std::string("une pomme verte")})
    EXPECT_EQ(loaded->tokenize(sentence), spm->tokenize(sentence));
}

TEST_F(DataSentencePiece, BpeTrainsToo) {
  auto spm = data::train_sentencepiece(small_corpus(), (dir / "bpe.model").string(),
                                       {.vocab_size = 60, .model_type = "bpe"});
  EXPECT_EQ(spm->detokenize(spm->tokenize("le chien dessine une étoile")), "le chien dessine une étoile");
}

TEST_F(DataSentencePiece, SameCorpusSameModel) {
  auto a = data::train_sentencepiece(small_corpus(), (dir / "a.model").string(), {.vocab_size = 60});
  auto b = data::train_sentencepiece(small_corpus(), (dir / "b.model").string(), {.vocab_size = 60});
  for (const std::string& sentence : small_corpus()) EXPECT_EQ(a->tokenize(sentence), b->tokenize(sentence));
}

TEST_F(DataSentencePiece, Errors) {
  const std::string model = (dir / "spm.model").string();
  expect_error([&] { data::train_sentencepiece({}, model); }, {"train_sentencepiece", "no training sentences"});
  expect_error([&] { data::train_sentencepiece({"ok", "bad \xC3"}, model); },
               {"train_sentencepiece", "sentence 1", "byte 4"});
  expect_error([&] { data::train_sentencepiece(small_corpus(), model, {.model_type = "trigram"}); },
               {"train_sentencepiece", "training failed"});
  EXPECT_FALSE(std::filesystem::exists(model));
  expect_error([&] { data::load_sentencepiece((dir / "absent.model").string()); },
               {"load_sentencepiece", "absent.model"});
  auto spm = data::train_sentencepiece(small_corpus(), model, {.vocab_size = 60});
  expect_error([&] { spm->tokenize("\xFF"); }, {"sentencepiece tokenizer", "invalid UTF-8 at byte 0"});
}

// Found by tests/fuzz/fuzz_sentencepiece_model.cpp: for this malformed model (93 bytes, a piece
// whose UTF-8 is cut) libsentencepiece's trie builder throws Darts::Details::Exception out of
// Load, which escaped load_sentencepiece as a foreign exception.
TEST(DataTokenizer, SentencePieceModelTheLibraryThrowsOnIsAnError) {
  const std::string model = std::string(HEED_GOLDEN_DIR) + "/../fuzz/corpus/sentencepiece_model/regression_exception_from_darts";
  ASSERT_TRUE(std::filesystem::exists(model)) << model;
  expect_error([&] { data::load_sentencepiece(model); }, {"load_sentencepiece", "regression_exception_from_darts"});
}

}  // namespace
}  // namespace heed
