// data::write_file_atomically (data/text_file.h): the whole file or the old one, never half.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_util.h"

#include "heed/data/text_file.h"

namespace heed {
namespace {

using testing::expect_error;

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(DataWriteFileAtomically, WritesTheWholeFileOrLeavesTheOldOne) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "heed_test_atomic_write";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "a.txt").string();
  data::write_file_atomically(path, "first", "test");
  data::write_file_atomically(path, "second, longer", "test");
  EXPECT_EQ(read(path), "second, longer");
  const std::string missing = (dir / "no" / "b.txt").string();
  expect_error([&] { data::write_file_atomically(missing, "x", "my_op"); }, {"my_op", missing.c_str()});
  size_t files = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
  EXPECT_EQ(files, 1u);  // no temporary left behind
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace heed
