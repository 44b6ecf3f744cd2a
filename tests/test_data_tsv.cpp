// data TSV: reading good files (trimming, empty lines, CRLF, byte order mark), the exact error of
// each kind of bad line, skip_bad_lines, and writing (round trip, refusals, no leftover files).
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "heed/data/tsv.h"
#include "test_util.h"

namespace heed {
namespace {

using data::SentencePair;
using testing::expect_error;

struct DataTsv : ::testing::Test {
  std::filesystem::path dir;
  void SetUp() override {
    dir = std::filesystem::temp_directory_path() /
          fmt::format("heed_tsv_{}_{}", ::testing::UnitTest::GetInstance()->current_test_info()->name(), getpid());
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
  }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string write(const std::string& text) const {
    const std::string path = (dir / "corpus.tsv").string();
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  // The exact message of the heed::Error reading `text` throws.
  std::string read_error(const std::string& text) const {
    const std::string path = write(text);
    try {
      data::read_parallel_tsv(path);
    } catch (const Error& e) {
      return e.what();
    }
    return "no error";
  }
};

TEST_F(DataTsv, ReadsPairsTrimmedSkippingEmptyLines) {
  const std::string path = write("hello\tbonjour\n\n  two words \t deux mots\n\nélève\tpupil\n");
  data::ParallelCorpus corpus = data::read_parallel_tsv(path);
  EXPECT_EQ(corpus.pairs,
            (std::vector<SentencePair>{{"hello", "bonjour"}, {"two words", "deux mots"}, {"élève", "pupil"}}));
  EXPECT_EQ(corpus.skipped, 0);
}

TEST_F(DataTsv, WindowsLineEndsAndByteOrderMark) {
  const std::string path = write("\xEF\xBB\xBFone\tun\r\n\r\ntwo\tdeux\r\nthree\ttrois");
  EXPECT_EQ(data::read_parallel_tsv(path).pairs,
            (std::vector<SentencePair>{{"one", "un"}, {"two", "deux"}, {"three", "trois"}}));
}

TEST_F(DataTsv, EachBadLineHasItsExactMessage) {
  const std::string path = (dir / "corpus.tsv").string();
  EXPECT_EQ(read_error("a\tb\nno tab here\n"), path + ":2: no tab between source and target");
  EXPECT_EQ(read_error("a\tb\n\na\tb\tc\n"), path + ":3: 2 tabs; expected one, between source and target");
  EXPECT_EQ(read_error("  \tcible\n"), path + ":1: empty source");
  EXPECT_EQ(read_error("a\tb\r\nsource\t \r\n"), path + ":2: empty target");
  EXPECT_EQ(read_error("a\tb\nab\xC3\tx\n"), path + ":2: invalid UTF-8 in the source at byte 2");
  EXPECT_EQ(read_error("a\tb\na\tb\nx\t\xED\xA0\x80\n"), path + ":3: invalid UTF-8 in the target at byte 0");
  EXPECT_EQ(read_error("\n\n\n   \n"), path + ":4: no tab between source and target");  // spaces are not empty
}

TEST_F(DataTsv, SkipBadLinesCountsThem) {
  const std::string path = write("a\tb\nno tab\nc\td\te\n\t\nx\ty\n\xFF\tz\n");
  data::ParallelCorpus corpus = data::read_parallel_tsv(path, {.skip_bad_lines = true});
  EXPECT_EQ(corpus.pairs, (std::vector<SentencePair>{{"a", "b"}, {"x", "y"}}));
  EXPECT_EQ(corpus.skipped, 4);
}

TEST_F(DataTsv, MissingFile) {
  const std::string path = (dir / "absent.tsv").string();
  expect_error([&] { data::read_parallel_tsv(path); }, {("cannot open '" + path + "'").c_str()});
}

TEST_F(DataTsv, WriteRoundTripsAndLeavesNoTemporary) {
  const std::vector<SentencePair> pairs = {{"le chat", "the cat"}, {"élève à Noël", "pupil at Christmas"}};
  const std::string path = (dir / "out.tsv").string();
  std::ofstream(path) << "old contents\n";
  data::write_parallel_tsv(path, pairs);  // replaces the file
  EXPECT_EQ(data::read_parallel_tsv(path).pairs, pairs);
  std::ifstream in(path, std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(in), {}),
            "le chat\tthe cat\nélève à Noël\tpupil at Christmas\n");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no temporary left
}

TEST_F(DataTsv, WriteRefusesWhatCouldNotBeReadBack) {
  const std::string path = (dir / "out.tsv").string();
  expect_error([&] { data::write_parallel_tsv(path, {{"ok", "fine"}, {"a\tb", "c"}}); },
               {"write_parallel_tsv", "pair 1", "source", "tab or a line end"});
  expect_error([&] { data::write_parallel_tsv(path, {{"a", "b\nc"}}); }, {"pair 0", "target", "tab or a line end"});
  expect_error([&] { data::write_parallel_tsv(path, {{"a", "  "}}); }, {"pair 0", "empty target"});
  expect_error([&] { data::write_parallel_tsv(path, {{"\xC3", "x"}}); }, {"pair 0", "invalid UTF-8 in the source"});
  expect_error([&] { data::write_parallel_tsv((dir / "no/such/dir.tsv").string(), {{"a", "b"}}); },
               {"write_parallel_tsv", "no/such/dir.tsv"});
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace heed
