// The docs check (CTest label `docs`): every ```cpp block in docs/**/*.md is code that exists.
//
//   // ops/softmax.cpp               the block's other non-blank lines appear in that file, in
//                                    order (each compared after trimming whitespace): a quote
//   // docs/examples/<name>.cpp      the block's other lines appear verbatim, in one piece, in that
//                                    file, which tests/CMakeLists.txt builds and runs
//   anything else                    fails, naming the doc and the line of the block
//
// Every image a doc shows (![...](...) or <img ...>) must have, within three lines of it, a line
// saying how to regenerate it: "regenerate" (or "regenerated", ...) and then a `command` in backticks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

const fs::path kSourceDir = HEED_SOURCE_DIR;

std::string read_text(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string trim(const std::string& s) {
  const auto first = s.find_first_not_of(" \t\r");
  if (first == std::string::npos) return "";
  return s.substr(first, s.find_last_not_of(" \t\r") - first + 1);
}

// A ```cpp block: the line of its opening fence (1-based) and the lines between the fences.
struct Block {
  size_t line = 0;
  std::vector<std::string> lines;
};

std::vector<Block> cpp_blocks(const std::vector<std::string>& lines) {
  std::vector<Block> blocks;
  for (size_t i = 0; i < lines.size(); ++i) {
    const std::string fence = trim(lines[i]);
    if (!fence.starts_with("```")) continue;
    Block block{i + 1, {}};
    size_t end = i + 1;
    while (end < lines.size() && trim(lines[end]) != "```") block.lines.push_back(lines[end++]);
    if (fence == "```cpp" || fence == "```c++") blocks.push_back(block);
    i = end;  // skip the closing fence (and any other block's contents)
  }
  return blocks;
}

// True when every non-blank line of `quoted` equals, after trimming, a line of `file`, in order.
bool quoted_in_order(const std::vector<std::string>& quoted, const std::vector<std::string>& file,
                     std::string& missing) {
  size_t at = 0;
  for (const std::string& line : quoted) {
    const std::string wanted = trim(line);
    if (wanted.empty()) continue;
    while (at < file.size() && trim(file[at]) != wanted) ++at;
    if (at == file.size()) {
      missing = wanted;
      return false;
    }
    ++at;
  }
  return true;
}

std::string joined(const std::vector<std::string>& lines, size_t first) {
  std::string text;
  for (size_t i = first; i < lines.size(); ++i) text += lines[i] + "\n";
  return text;
}

// The problems with one block of the doc `doc` (a path for messages), "" when it passes.
std::string check_block(const std::string& doc, const Block& block, const fs::path& source_dir) {
  const std::string where = doc + ":" + std::to_string(block.line) + ": ";
  const std::string first = block.lines.empty() ? "" : trim(block.lines[0]);
  if (!first.starts_with("// "))
    return where + "a ```cpp block must open with `// <heed source file>` (a quote) or "
                   "`// docs/examples/<name>.cpp` (a program the tests run); it opens with \"" + first + "\"";
  const std::string path = trim(first.substr(3));
  const fs::path file = source_dir / path;
  if (path.find(' ') != std::string::npos || !fs::is_regular_file(file))
    return where + "the block opens with \"" + first + "\", which names no file of heed";
  const std::string text = read_text(file);
  if (path.starts_with("docs/examples/")) {
    if (text.find(joined(block.lines, 1)) == std::string::npos)
      return where + "the block is not a verbatim part of " + path + "; copy it from there";
    return "";
  }
  std::string missing;
  if (!quoted_in_order(std::vector<std::string>(block.lines.begin() + 1, block.lines.end()), split_lines(text),
                       missing))
    return where + "the line \"" + missing + "\" is not in " + path + " (or not in this order)";
  return "";
}

// Whether `line` shows an image: Markdown's ![alt](path) or HTML's <img ...>. (Plain string
// searches, not <regex>: GCC 12's <regex> fails -Werror under -fsanitize=address.)
bool shows_image(const std::string& line) {
  for (size_t open = line.find("!["); open != std::string::npos; open = line.find("![", open + 1)) {
    const size_t middle = line.find("](", open + 2);
    if (middle != std::string::npos && line.find(')', middle + 3) != std::string::npos) return true;
  }
  const size_t tag = line.find("<img");
  return tag != std::string::npos && tag + 4 < line.size() && std::isspace(static_cast<unsigned char>(line[tag + 4]));
}

// Whether `line` says "Regenerate" (or "regenerated", ...) and then names a `command`.
bool names_command(const std::string& line) {
  size_t word = line.find("egenerate");
  while (word != std::string::npos && (word == 0 || (line[word - 1] != 'R' && line[word - 1] != 'r')))
    word = line.find("egenerate", word + 1);
  if (word == std::string::npos) return false;
  const size_t open = line.find('`', word);
  return open != std::string::npos && line.find('`', open + 2) != std::string::npos;
}

// Every image shown must have a line naming the command that regenerates it, within three lines.
std::vector<std::string> check_figures(const std::string& doc, const std::vector<std::string>& lines) {
  std::vector<std::string> problems;
  for (size_t i = 0; i < lines.size(); ++i) {
    if (!shows_image(lines[i])) continue;
    bool named = false;
    for (size_t j = i < 3 ? 0 : i - 3; j < std::min(lines.size(), i + 4) && !named; ++j) named = names_command(lines[j]);
    if (!named)
      problems.push_back(doc + ":" + std::to_string(i + 1) +
                         ": an image without a line \"regenerate ... `command`\" within three lines of it");
  }
  return problems;
}

std::vector<std::string> check_markdown(const std::string& doc, const std::string& text, const fs::path& source_dir) {
  const std::vector<std::string> lines = split_lines(text);
  std::vector<std::string> problems = check_figures(doc, lines);
  for (const Block& block : cpp_blocks(lines))
    if (std::string problem = check_block(doc, block, source_dir); !problem.empty()) problems.push_back(problem);
  return problems;
}

std::vector<fs::path> markdown_files() {
  std::vector<fs::path> docs;
  for (const auto& entry : fs::recursive_directory_iterator(kSourceDir / "docs"))
    if (entry.is_regular_file() && entry.path().extension() == ".md") docs.push_back(entry.path());
  std::sort(docs.begin(), docs.end());
  return docs;
}

TEST(Docs, EveryCodeBlockAndFigureChecks) {
  const std::vector<fs::path> docs = markdown_files();
  ASSERT_FALSE(docs.empty()) << "no docs under " << kSourceDir / "docs";
  size_t blocks = 0;
  for (const fs::path& path : docs) {
    const std::string text = read_text(path), doc = fs::relative(path, kSourceDir).string();
    blocks += cpp_blocks(split_lines(text)).size();
    for (const std::string& problem : check_markdown(doc, text, kSourceDir)) ADD_FAILURE() << problem;
  }
  EXPECT_GT(blocks, 10u) << "the guide quotes heed's code in ```cpp blocks; found only " << blocks;
}

// The checker itself, on made-up docs and a made-up source tree: it must catch what it claims to
// catch, whatever happens to heed's real files.
fs::path made_up_sources() {
  const fs::path root = fs::temp_directory_path() / "heed_docs_check_sources";
  fs::create_directories(root / "ops");
  std::ofstream(root / "ops" / "example.cpp") << "Tensor twice(const Tensor& x) {\n"
                                                 "  Tensor out = mul(x, 2.0f);\n"
                                                 "  return out;\n"
                                                 "}\n";
  return root;
}

TEST(Docs, CheckerAcceptsAnInOrderQuote) {
  const std::string doc = "x\n```cpp\n// ops/example.cpp\nTensor twice(const Tensor& x) {\n\n"
                          "  return out;\n```\n";
  EXPECT_TRUE(check_markdown("t.md", doc, made_up_sources()).empty());
}

TEST(Docs, CheckerRejectsLinesOutOfOrderOrMissing) {
  const fs::path sources = made_up_sources();
  const std::string swapped = "```cpp\n// ops/example.cpp\n  return out;\nTensor twice(const Tensor& x) {\n```\n";
  const std::vector<std::string> problems = check_markdown("t.md", swapped, sources);
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("t.md:1:"), std::string::npos) << problems[0];
  const std::string invented = "```cpp\n// ops/example.cpp\nfloat invented_line = 0;\n```\n";
  EXPECT_EQ(check_markdown("t.md", invented, sources).size(), 1u);
}

TEST(Docs, CheckerRejectsBlocksWithoutASource) {
  const fs::path sources = made_up_sources();
  EXPECT_EQ(check_markdown("t.md", "\n\n```cpp\nint x = 1;\n```\n", sources).at(0).substr(0, 7), "t.md:3:");
  EXPECT_EQ(check_markdown("t.md", "```cpp\n// ops/no_such_file.cpp\nint x;\n```\n", sources).size(), 1u);
  EXPECT_TRUE(check_markdown("t.md", "```sh\nmake\n```\n", sources).empty());
}

TEST(Docs, CheckerWantsExampleBlocksVerbatim) {
  const fs::path examples = kSourceDir / "docs" / "examples";
  ASSERT_TRUE(fs::is_directory(examples));
  const fs::path program = fs::directory_iterator(examples)->path();
  const std::vector<std::string> lines = split_lines(read_text(program));
  ASSERT_GE(lines.size(), 4u);
  const std::string name = "docs/examples/" + program.filename().string();
  const std::string exact = "```cpp\n// " + name + "\n" + lines[2] + "\n" + lines[3] + "\n```\n";
  EXPECT_TRUE(check_markdown("t.md", exact, kSourceDir).empty());
  const std::string reindented = "```cpp\n// " + name + "\n  " + lines[2] + "\n" + lines[3] + "\n```\n";
  EXPECT_EQ(check_markdown("t.md", reindented, kSourceDir).size(), 1u);
}

TEST(Docs, CheckerWantsFiguresToNameTheirCommand) {
  EXPECT_EQ(check_markdown("t.md", "![loss](runs/a/training.svg)\n\ntext\n\n\nRegenerate: `x`\n", kSourceDir).size(), 1u);
  EXPECT_EQ(check_markdown("t.md", "<img src=\"a.svg\">\nregenerate it\n", kSourceDir).size(), 1u);
  EXPECT_TRUE(check_markdown("t.md", "![loss](a.svg)\nRegenerate it with `heed train --out a`.\n", kSourceDir).empty());
  EXPECT_TRUE(check_markdown("t.md", "Regenerated by `heed train --out a`:\n\n![loss](a.svg)\n", kSourceDir).empty());
}

}  // namespace
