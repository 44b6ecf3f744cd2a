// safetensors files: round trips, the exact bytes of a small file checked against the format's
// specification, a file written by Python (tests/golden/make_safetensors_fixture.py), every kind
// of corrupt file (an error naming the file, never a crash), and saves that fail without
// touching the file they were to replace.
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "heed/core/kernels.h"
#include "heed/nn/serialize.h"
#include "file_test_util.h"
#include "test_util.h"

namespace heed {
namespace {

namespace fs = std::filesystem;
using testing::all_close;
using testing::expect_same;
using testing::files_in;
using testing::int64_scalar;
using testing::read_bytes;
using testing::TempFolder;
using testing::expect_error;

void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

// The 8-byte little-endian length, then the header, then the data: a file by hand.
std::string safetensors_bytes(const std::string& header, const std::string& data, uint64_t length) {
  std::string out;
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((length >> (8 * i)) & 0xff));
  return out + header + data;
}
std::string safetensors_bytes(const std::string& header, const std::string& data) {
  return safetensors_bytes(header, data, header.size());
}

TEST(Serialize, RoundTrip) {
  TempFolder folder;
  manual_seed(3);
  Tensor base = randn({3, 2});
  nn::StateDict state = {
      {"weight", randn({2, 3})},
      {"transposed", make_view(base, {2, 3}, {1, 2}, 0)},  // saved as its dense values
      {"ids", from_vector(std::vector<int64_t>{-5, 0, int64_t{1} << 50})},
      {"scalar", scalar_tensor(-0.125f)},
      {"step", int64_scalar(42)},
      {"empty", zeros({0, 3})},
      {"empty_ids", Tensor::empty({4, 0}, Dtype::Int64)},
      {"unicode name é", ones({1})},
  };
  const std::string path = folder.file("state.safetensors");
  nn::save(state, path, {{"format", "pt"}, {"note", "round trip"}});
  nn::Metadata metadata;
  expect_same(nn::load(path, &metadata), state);
  EXPECT_EQ(metadata, (nn::Metadata{{"format", "pt"}, {"note", "round trip"}}));

  nn::save(nn::StateDict{}, path);  // nothing at all: a valid file too
  EXPECT_TRUE(nn::load(path, &metadata).empty());
  EXPECT_TRUE(metadata.empty());
}

// load_shapes checks the header as load does but reads and allocates no tensor.
TEST(Serialize, LoadShapesReadsTheHeaderAlone) {
  TempFolder folder;
  const std::string path = folder.file("state.safetensors");
  nn::save(nn::StateDict{{"weight", zeros({512, 256})}, {"ids", Tensor::empty({4, 0}, Dtype::Int64)}}, path);
  const std::size_t in_use = allocator_stats().bytes_in_use;
  EXPECT_EQ(nn::load_shapes(path), (std::map<std::string, Shape>{{"weight", {512, 256}}, {"ids", {4, 0}}}));
  EXPECT_EQ(allocator_stats().bytes_in_use, in_use);
  write_bytes(path, safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", "1234"));
  expect_error([&] { nn::load_shapes(path); }, {"nn::load", path.c_str(), "outside the data section"});
}

// The specification, byte by byte: length, header, data.
TEST(Serialize, ExactBytesOfASmallFile) {
  TempFolder folder;
  const std::string path = folder.file("tiny.safetensors");
  nn::save({{"b", int64_scalar(7)}, {"a", from_vector({1.0f, -2.0f})}}, path);
  const std::string json =
      R"({"a":{"data_offsets":[0,8],"dtype":"F32","shape":[2]},"b":{"data_offsets":[8,16],"dtype":"I64","shape":[]}})";
  ASSERT_EQ(json.size(), 107u);
  const std::string header = json + std::string(5, ' ');  // 8 + 112: the data start 8-byte aligned
  const std::string data("\x00\x00\x80\x3f"   // 1.0f
                         "\x00\x00\x00\xc0"   // -2.0f
                         "\x07\x00\x00\x00\x00\x00\x00\x00", 16);  // int64 7
  const std::string expected = std::string("\x70\0\0\0\0\0\0\0", 8) + header + data;  // 0x70 = 112
  EXPECT_EQ(read_bytes(path), expected);
}

TEST(Serialize, ReadsAFileWrittenByPython) {
  nn::Metadata metadata;
  nn::StateDict state = nn::load(std::string(HEED_GOLDEN_DIR) + "/python_written.safetensors", &metadata);
  std::vector<float> weight;
  for (int i = 0; i < 6; ++i) weight.push_back(0.5f * static_cast<float>(i) - 1);
  expect_same(state, {{"linear.weight", from_vector(weight, {2, 3})},
                      {"linear.bias", from_vector({0.25f, -0.75f})},
                      {"ids", from_vector(std::vector<int64_t>{-1, 0, int64_t{1} << 40})},
                      {"steps", int64_scalar(12345678901)},
                      {"empty", zeros({0, 4})}});
  EXPECT_EQ(metadata, (nn::Metadata{{"format", "pt"}, {"source", "make_safetensors_fixture.py"}}));
}

TEST(Serialize, CorruptFilesThrowNamingTheFile) {
  TempFolder folder;
  const std::string path = folder.file("bad.safetensors");
  const std::string f32x2 = std::string(8, '\0');  // the data of an F32 [2]
  auto entry = [](const std::string& dtype, const std::string& shape, const std::string& offsets) {
    return R"({"dtype":")" + dtype + R"(","shape":)" + shape + R"(,"data_offsets":)" + offsets + "}";
  };
  auto expect_bad = [&](const std::string& bytes, const char* what) {
    SCOPED_TRACE(what);
    write_bytes(path, bytes);
    expect_error([&] { nn::load(path); }, {"nn::load", path.c_str(), what});
  };
  const std::string good_header = "{\"a\":" + entry("F32", "[2]", "[0,8]") + "}";
  ASSERT_EQ(nn::load((write_bytes(path, safetensors_bytes(good_header, f32x2)), path)).size(), 1u);

  expect_bad("", "too few for the 8-byte header length");
  expect_bad(std::string("\x05\0\0", 3), "too few for the 8-byte header length");
  expect_bad(safetensors_bytes(good_header, f32x2, 1000), "the header length says 1000 bytes");
  expect_bad(safetensors_bytes(good_header, f32x2, ~uint64_t{0}), "the header length says");
  expect_bad(safetensors_bytes(good_header.substr(0, 20), ""), "not valid JSON");
  expect_bad(safetensors_bytes("{\"a\": 1,}", ""), "not valid JSON");
  expect_bad(safetensors_bytes("[1, 2]", ""), "does not start with '{'");
  expect_bad(safetensors_bytes("", ""), "does not start with '{'");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F16", "[2]", "[0,4]") + "}", std::string(4, '\0')),
             "'a' has dtype \"F16\"");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[-2]", "[0,8]") + "}", f32x2), "shape holds -2");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2.5]", "[0,8]") + "}", f32x2), "shape holds 2.5");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "2", "[0,8]") + "}", f32x2), "expected an array");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[4611686018427387904, 4]", "[0,8]") + "}", f32x2),
             "more elements than any file could hold");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2]", "[0,16]") + "}", f32x2), "outside the data section");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2]", "[8,0]") + "}", f32x2), "outside the data section");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2]", "[0,8,8]") + "}", f32x2), "expected [begin, end]");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2]", "[0,-8]") + "}", f32x2), "data_offsets holds -8");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[3]", "[0,8]") + "}", f32x2), "needs 12 bytes");
  expect_bad(safetensors_bytes("{\"a\":" + entry("I64", "[2]", "[0,8]") + "}", f32x2), "needs 16 bytes");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2]", "[0,8]") + ",\"b\":" + entry("F32", "[2]", "[4,12]") + "}",
                               std::string(12, '\0')),
             "overlap");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2]", "[0,8]") + ",\"b\":" + entry("F32", "[2]", "[12,20]") + "}",
                               std::string(20, '\0')),
             "bytes [8, 12) of the data section belong to no tensor");
  expect_bad(safetensors_bytes(good_header, f32x2 + "junk"), "4 bytes belong to no tensor");  // trailing garbage
  expect_bad(safetensors_bytes(good_header, f32x2.substr(0, 5)), "outside the data section of 5 bytes");  // truncated
  expect_bad(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2]}})", f32x2), "exactly \"dtype\"");
  expect_bad(safetensors_bytes(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}})", f32x2),
             "exactly \"dtype\"");
  expect_bad(safetensors_bytes(R"({"a":[1]})", f32x2), "expected an object");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2]", "[0,8]") + ",\"a\":" + entry("F32", "[2]", "[0,8]") + "}",
                               f32x2),
             "the key 'a' twice");
  expect_bad(safetensors_bytes(R"({"__metadata__":{"k":1}})", ""), "__metadata__ 'k' is 1");
  expect_bad(safetensors_bytes(R"({"__metadata__":[]})", ""), "__metadata__ is []");
  expect_bad(safetensors_bytes("{\"a\":" + entry("F32", "[2]", "[0,8]") + std::string("}\0", 2), f32x2), "NUL byte");

  expect_error([&] { nn::load(folder.file("missing.safetensors")); }, {"nn::load", "missing.safetensors"});
  expect_error([&] { nn::load(folder.path().string()); }, {"nn::load", "not a regular file"});
}

// Every truncation of a valid file, and every byte of it overwritten with a few telling values:
// each load either succeeds or throws heed::Error, never anything worse.
// Found while writing tests/fuzz/fuzz_safetensors.cpp: a tensor with a size 0 has no elements, but
// its other sizes still multiply into its strides and element count, and 2^62 · 2^62 overflowed
// int64 (undefined behaviour) before the 0 was reached.
TEST(Serialize, EmptyTensorsWithHugeSizesAreRefused) {
  TempFolder folder;
  const std::string path = folder.file("huge.safetensors");
  for (const char* shape : {"[0,4611686018427387904,4611686018427387904]", "[4611686018427387904,4611686018427387904,0]",
                            "[0,9223372036854775807]"}) {
    SCOPED_TRACE(shape);
    write_bytes(path, safetensors_bytes(std::string(R"({"a":{"dtype":"F32","shape":)") + shape +
                                            R"(,"data_offsets":[0,0]}})", ""));
    expect_error([&] { nn::load(path); }, {"nn::load", path.c_str(), "more elements than any file could hold"});
  }
  write_bytes(path, safetensors_bytes(R"({"a":{"dtype":"I64","shape":[0,1000000,3],"data_offsets":[0,0]}})", ""));
  const nn::StateDict state = nn::load(path);
  EXPECT_EQ(state.at("a").shape(), (Shape{0, 1000000, 3}));
  EXPECT_EQ(state.at("a").numel(), 0);
}

TEST(Serialize, MutatedFilesNeverCrash) {
  TempFolder folder;
  const std::string source = folder.file("source.safetensors"), path = folder.file("mutant.safetensors");
  nn::save({{"a", from_vector({1.f, 2.f})}, {"b", from_vector(std::vector<int64_t>{3})}, {"c", zeros({0})}}, source,
           {{"k", "v"}});
  const std::string original = read_bytes(source);
  auto load_or_error = [&]() {
    try {
      nn::load(path);
      return true;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
      return false;
    }
  };
  for (size_t length = 0; length < original.size(); ++length) {
    write_bytes(path, original.substr(0, length));
    EXPECT_FALSE(load_or_error()) << "truncated to " << length << " bytes";
  }
  // Bytes are overwritten in place: rewriting the whole file each time (a truncation) is slow.
  write_bytes(path, original);
  auto put = [&path](size_t position, char value) {
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(position));
    file.put(value);
  };
  for (size_t i = 0; i < original.size(); ++i) {
    for (char value : {'\0', '\xff', '{', '"', '9', '-', ' ', ']'}) {
      put(i, value);
      load_or_error();
    }
    put(i, original[i]);
  }
  EXPECT_TRUE(load_or_error());  // every byte restored
}

TEST(Serialize, WhitespacePaddingAfterTheHeaderIsAllowed) {
  TempFolder folder;
  const std::string path = folder.file("padded.safetensors");
  write_bytes(path, safetensors_bytes(R"({"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]}}     )",
                                      std::string("\x09\0\0\0\0\0\0\0", 8)));
  EXPECT_EQ(nn::load(path).at("a").item<int64_t>(), 9);
}

// ---- saves that fail ----

TEST(Serialize, FailedSavesLeaveThePreviousFileIntact) {
  TempFolder folder;
  const std::string path = folder.file("model.safetensors");
  nn::StateDict previous = {{"w", from_vector({1.f, 2.f, 3.f})}};
  nn::save(previous, path);
  const std::string previous_bytes = read_bytes(path);

  // Bad input is refused before any file is made.
  expect_error([&] { nn::save({{"w", Tensor()}}, path); }, {"nn::save", path.c_str(), "'w' is an undefined tensor"});
  expect_error([&] { nn::save({{"__metadata__", ones({1})}}, path); }, {"nn::save", "reserved"});
  expect_error([&] { nn::save({{"bad \xff name", ones({1})}}, path); }, {"nn::save", path.c_str(), "UTF-8"});

  // A write that fails halfway: the file-size limit stops it after 4096 bytes (EFBIG).
  {
    rlimit old_limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    rlimit small = old_limit;
    small.rlim_cur = 4096;
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    expect_error([&] { nn::save({{"w", zeros({100000})}}, path); }, {"nn::save", path.c_str(), "writing failed"});
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    ::signal(SIGXFSZ, old_handler);
  }
  EXPECT_EQ(read_bytes(path), previous_bytes);
  expect_same(nn::load(path), previous);
  EXPECT_EQ(files_in(folder.path()), std::vector<std::string>{"model.safetensors"});  // no temporary left

  // The target is a folder: the rename fails, the folder stays, the temporary goes.
  const std::string folder_target = folder.file("a_folder");
  fs::create_directory(folder_target);
  expect_error([&] { nn::save(previous, folder_target); }, {"nn::save", folder_target.c_str(), "cannot replace"});
  EXPECT_TRUE(fs::is_directory(folder_target));
  EXPECT_EQ(files_in(folder.path()), (std::vector<std::string>{"a_folder", "model.safetensors"}));

  // A folder that does not exist.
  const std::string nowhere = folder.file("no/such/folder/model.safetensors");
  expect_error([&] { nn::save(previous, nowhere); }, {"nn::save", nowhere.c_str(), "No such file or directory"});
}

// ---- modules ----

struct Net : nn::Module {
  std::shared_ptr<nn::Embedding> emb = register_module("emb", nn::Embedding(5, 3));
  std::shared_ptr<nn::Linear> head = register_module("head", nn::Linear(3, 2));
  Tensor steps = register_buffer("steps", from_vector(std::vector<int64_t>{3}));
};

struct OtherNet : nn::Module {
  std::shared_ptr<nn::Embedding> emb = register_module("emb", nn::Embedding(5, 3));
  std::shared_ptr<nn::Linear> head = register_module("head", nn::Linear(3, 4));  // another shape
  Tensor steps = register_buffer("steps", from_vector(std::vector<int64_t>{0}));
};

TEST(Serialize, ModulesSaveAndLoadBack) {
  TempFolder folder;
  const std::string path = folder.file("net.safetensors");
  manual_seed(1);
  Net net;
  nn::save(net, path);
  manual_seed(2);
  Net fresh;
  nn::load_into(fresh, path);
  expect_same(fresh.state_dict(), net.state_dict());

  // A module that does not match is left as it was.
  OtherNet other;
  const nn::StateDict before = [&] {
    nn::StateDict copy;
    for (auto& [name, t] : other.state_dict()) copy[name] = contiguous_copy(t);
    return copy;
  }();
  expect_error([&] { nn::load_into(other, path); }, {"load_state_dict", "the module has float32 of shape [4]"});
  expect_same(other.state_dict(), before);

  nn::save(nn::StateDict{{"emb.weight", net.emb->weight}}, path);  // only one of Net's tensors
  expect_error([&] { nn::load_into(fresh, path); }, {"load_state_dict", "missing"});
  manual_seed(3);
  Net partial;
  nn::load_into(partial, path, /*strict=*/false);
  EXPECT_TRUE(all_close(partial.emb->weight, net.emb->weight, 0, 0));
}

}  // namespace
}  // namespace heed
