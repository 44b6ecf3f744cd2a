// data::Vocab: special ids, deterministic build order, min_frequency and max_size, encode/decode,
// and the vocabulary file: round trip, atomic save, and each kind of bad file by line.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "heed/data/vocab.h"
#include "test_util.h"

namespace heed {
namespace {

using data::Vocab;
using testing::expect_error;
using Sentences = std::vector<std::vector<std::string>>;

// A fresh folder under the system's temporary folder, removed with its contents at the end.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    path = std::filesystem::temp_directory_path() /
           fmt::format("heed_vocab_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() { std::filesystem::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

void write_text(const std::string& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

const Sentences kSentences = {{"le", "chat", "dort"}, {"le", "chien", "dort"}, {"le", "chat", "mange"}, {"zut"}};

TEST(DataVocab, DefaultHoldsTheSpecialTokens) {
  Vocab vocab;
  EXPECT_EQ(vocab.size(), 4);
  EXPECT_EQ(vocab.tokens(), (std::vector<std::string>{"<pad>", "<s>", "</s>", "<unk>"}));
  EXPECT_EQ(vocab.id("<pad>"), Vocab::pad_id);
  EXPECT_EQ(vocab.id("</s>"), Vocab::eos_id);
  EXPECT_EQ(vocab.id("anything"), Vocab::unk_id);
}

TEST(DataVocab, BuildOrdersByFrequencyThenBytes) {
  Vocab vocab = Vocab::build(kSentences);
  // le 3; chat 2, dort 2; chien 1, mange 1, zut 1 — ties in byte order.
  EXPECT_EQ(vocab.tokens(),
            (std::vector<std::string>{"<pad>", "<s>", "</s>", "<unk>", "le", "chat", "dort", "chien", "mange", "zut"}));
  // The order of the sentences does not change the result.
  Sentences reversed(kSentences.rbegin(), kSentences.rend());
  EXPECT_EQ(Vocab::build(reversed).tokens(), vocab.tokens());
}

TEST(DataVocab, MinFrequencyAndMaxSize) {
  EXPECT_EQ(Vocab::build(kSentences, {.min_frequency = 2}).tokens(),
            (std::vector<std::string>{"<pad>", "<s>", "</s>", "<unk>", "le", "chat", "dort"}));
  EXPECT_EQ(Vocab::build(kSentences, {.max_size = 6}).tokens(),
            (std::vector<std::string>{"<pad>", "<s>", "</s>", "<unk>", "le", "chat"}));
  EXPECT_EQ(Vocab::build(kSentences, {.max_size = 4}).size(), 4);
  expect_error([] { Vocab::build(kSentences, {.max_size = 3}); }, {"Vocab::build", "max_size is 3"});
}

TEST(DataVocab, SpecialTokensInTheTextKeepTheirIds) {
  Vocab vocab = Vocab::build({{"<unk>", "a", "</s>", "<unk>"}});
  EXPECT_EQ(vocab.size(), 5);
  EXPECT_EQ(vocab.id("<unk>"), Vocab::unk_id);
  EXPECT_EQ(vocab.id("a"), 4);
}

TEST(DataVocab, BuildRefusesTokensAFileCannotHold) {
  expect_error([] { Vocab::build({{"a"}, {"b", ""}}); }, {"Vocab::build", "sentence 1"});
  expect_error([] { Vocab::build({{"a\nb"}}); }, {"Vocab::build", "sentence 0", "newline"});
}

TEST(DataVocab, EncodeMapsUnknownToUnk) {
  Vocab vocab = Vocab::build(kSentences);
  EXPECT_EQ(vocab.encode({"le", "chat", "vole"}), (std::vector<int64_t>{4, 5, Vocab::unk_id}));
  EXPECT_TRUE(vocab.contains("chat"));
  EXPECT_FALSE(vocab.contains("vole"));
  EXPECT_EQ(vocab.token(5), "chat");
  expect_error([&] { vocab.token(10); }, {"Vocab::token", "id 10", "10 tokens"});
  expect_error([&] { vocab.token(-1); }, {"Vocab::token", "id -1"});
}

TEST(DataVocab, DecodeSkipsPadAndBosAndStopsAtEos) {
  Vocab vocab = Vocab::build(kSentences);
  EXPECT_EQ(vocab.decode({Vocab::bos_id, 4, 5, Vocab::unk_id, Vocab::eos_id, 6, 6}),
            (std::vector<std::string>{"le", "chat", "<unk>"}));
  EXPECT_EQ(vocab.decode({4, Vocab::pad_id, 6}), (std::vector<std::string>{"le", "dort"}));
  EXPECT_TRUE(vocab.decode({Vocab::eos_id, 4}).empty());
  expect_error([&] { vocab.decode({4, 99}); }, {"Vocab::token", "id 99"});
}

TEST(DataVocab, FromTokensChecksTheSpecialTokens) {
  EXPECT_EQ(Vocab::from_tokens({"<pad>", "<s>", "</s>", "<unk>", "x"}).id("x"), 4);
  expect_error([] { Vocab::from_tokens({"<pad>", "<s>", "<unk>", "</s>"}); }, {"token 2", "\"<unk>\"", "</s>"});
  expect_error([] { Vocab::from_tokens({"<pad>", "<s>"}); }, {"token 2", "missing the special token </s>"});
  expect_error([] { Vocab::from_tokens({"<pad>", "<s>", "</s>", "<unk>", "x", "x"}); },
               {"token 5", "duplicate token \"x\" (first at token 4)"});
}

TEST(DataVocab, SaveLoadRoundTripsUtf8) {
  TempDir dir;
  Vocab vocab = Vocab::build({{"élève", "à", "Noël", "\u2581", "a\tb", "à"}});
  vocab.save(dir.file("vocab.txt"));
  Vocab loaded = Vocab::load(dir.file("vocab.txt"));
  EXPECT_EQ(loaded.tokens(), vocab.tokens());
  EXPECT_EQ(loaded.id("à"), vocab.id("à"));
  // Nothing else is left in the folder: the temporary file was renamed.
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path), {}), 1);
}

TEST(DataVocab, SaveReplacesAnExistingFileAndFailsCleanly) {
  TempDir dir;
  write_text(dir.file("vocab.txt"), "old contents\n");
  Vocab::build(kSentences).save(dir.file("vocab.txt"));
  EXPECT_EQ(Vocab::load(dir.file("vocab.txt")).size(), 10);
  // Into a folder that does not exist: an error naming the path, and no file appears.
  expect_error([&] { Vocab().save(dir.file("missing/vocab.txt")); }, {"Vocab::save", "missing/vocab.txt"});
  EXPECT_FALSE(std::filesystem::exists(dir.path / "missing"));
}

TEST(DataVocab, LoadAcceptsAMissingFinalNewline) {
  TempDir dir;
  write_text(dir.file("v.txt"), "<pad>\n<s>\n</s>\n<unk>\nx");
  EXPECT_EQ(Vocab::load(dir.file("v.txt")).id("x"), 4);
}

TEST(DataVocab, LoadReportsBadFilesByLine) {
  TempDir dir;
  const std::string path = dir.file("v.txt");
  const auto expect_load_error = [&](const std::string& text, std::initializer_list<const char*> parts) {
    write_text(path, text);
    expect_error([&] { Vocab::load(path); }, parts);
  };
  const std::string specials = "<pad>\n<s>\n</s>\n<unk>\n";
  expect_load_error(specials + "a\nb\na\n", {"Vocab::load", "v.txt:7: duplicate token \"a\" (first at ", "v.txt:5)"});
  expect_load_error(specials + "a\n\nb\n", {"v.txt:6: empty token"});
  expect_load_error(specials + "a\n<s>\n", {"v.txt:6: duplicate token \"<s>\"", "v.txt:2)"});
  expect_load_error("<pad>\n<s>\n<unk>\n</s>\n", {"v.txt:3: found \"<unk>\"; expected the special token </s>"});
  expect_load_error("<pad>\n<s>\n", {"v.txt:3: missing the special token </s>"});
  expect_load_error("", {"v.txt:1: missing the special token <pad>"});
  expect_load_error("<pad>\r\n<s>\r\n</s>\r\n<unk>\r\n", {"v.txt:1: found \"<pad>\\r\""});
  expect_error([&] { Vocab::load(dir.file("absent.txt")); }, {"Vocab::load", "cannot open", "absent.txt"});
}

}  // namespace
}  // namespace heed
