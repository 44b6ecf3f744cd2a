// safetensors reading and writing; the format is described in serialize.h.
#include "heed/nn/serialize.h"

#include <algorithm>
#include <bit>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <system_error>
#include <vector>

#include <nlohmann/json.hpp>

#include "heed/core/atomic_file.h"
#include "heed/core/kernels.h"

namespace heed::nn {
namespace {

// The file's numbers and data are little-endian; heed writes and reads its memory as it is.
static_assert(std::endian::native == std::endian::little, "safetensors I/O assumes a little-endian machine");

using Json = nlohmann::json;
constexpr size_t kLengthBytes = 8;  // the header's length, before the header

const char* safetensors_dtype(Dtype dtype) { return dtype == Dtype::Float32 ? "F32" : "I64"; }

// The first byte of a dense tensor's elements.
const void* bytes_of(const Tensor& t) {
  return t.dtype() == Dtype::Float32 ? static_cast<const void*>(t.data<float>()) : t.data<int64_t>();
}

// ---- writing ----

// The header: each tensor's entry, offsets in the order of `tensors`, padded with spaces so the
// data section starts at a multiple of 8 bytes (as Python's safetensors does).
std::string header_for(const std::vector<std::pair<std::string, Tensor>>& tensors, const Metadata& metadata) {
  Json header = Json::object();
  uint64_t offset = 0;
  for (const auto& [name, t] : tensors) {
    const uint64_t bytes = static_cast<uint64_t>(t.numel()) * element_size(t.dtype());
    header[name] = {{"dtype", safetensors_dtype(t.dtype())}, {"shape", t.shape()}, {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header["__metadata__"] = metadata;
  std::string text = header.dump();
  text.append((kLengthBytes - (kLengthBytes + text.size()) % kLengthBytes) % kLengthBytes, ' ');
  return text;
}

// ---- reading ----

struct Entry {
  std::string name;
  Dtype dtype;
  Shape shape;
  uint64_t begin, end;
};

// Parses the header, refusing duplicate keys in any object (the JSON standard allows them;
// safetensors does not, and a reader would have to guess which one counts).
Json parse_header(const std::string& text, const std::string& path) {
  HEED_CHECK(!text.empty() && text[0] == '{', "nn::load", "{}: the header does not start with '{{'; not a safetensors file?",
             path);
  // nlohmann's parser would stop at a NUL byte and ignore whatever follows it.
  HEED_CHECK(text.find('\0') == std::string::npos, "nn::load", "{}: the header holds a NUL byte at position {}", path,
             text.find('\0'));
  std::vector<std::set<std::string>> open_objects;
  std::string duplicate;
  auto watch = [&](int, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::object_start) open_objects.emplace_back();
    if (event == Json::parse_event_t::object_end) open_objects.pop_back();
    if (event == Json::parse_event_t::key && !open_objects.back().insert(parsed.get<std::string>()).second &&
        duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  Json header;
  try {
    header = Json::parse(text, watch);
  } catch (const Json::exception& e) {
    throw Error(fmt::format("nn::load: {}: the header is not valid JSON: {}", path, e.what()));
  }
  HEED_CHECK(duplicate.empty(), "nn::load", "{}: the header has the key '{}' twice", path, duplicate);
  HEED_CHECK(header.is_object(), "nn::load", "{}: the header is not a JSON object", path);
  return header;
}

// A JSON integer >= 0, or throws naming the file, the entry and the field.
uint64_t unsigned_field(const Json& value, const std::string& path, const std::string& name, const char* field) {
  HEED_CHECK(value.is_number_unsigned() || (value.is_number_integer() && value.get<int64_t>() >= 0), "nn::load",
             "{}: '{}': {} holds {}; expected integers >= 0", path, name, field, value.dump());
  return value.get<uint64_t>();
}

// Checks one tensor's entry against the data section's size.
Entry read_entry(const std::string& name, const Json& info, uint64_t data_size, const std::string& path) {
  HEED_CHECK(info.is_object() && info.size() == 3 && info.contains("dtype") && info.contains("shape") &&
                 info.contains("data_offsets"),
             "nn::load", "{}: '{}' is {}; expected an object with exactly \"dtype\", \"shape\" and \"data_offsets\"",
             path, name, info.dump());
  Entry entry{.name = name, .dtype = Dtype::Float32, .shape = {}, .begin = 0, .end = 0};
  const Json& dtype = info["dtype"];
  HEED_CHECK(dtype == "F32" || dtype == "I64", "nn::load", "{}: '{}' has dtype {}; heed reads \"F32\" and \"I64\"", path,
             name, dtype.dump());
  entry.dtype = dtype == "F32" ? Dtype::Float32 : Dtype::Int64;

  const Json& shape = info["shape"];
  HEED_CHECK(shape.is_array(), "nn::load", "{}: '{}' has shape {}; expected an array", path, name, shape.dump());
  for (const Json& size : shape) {
    uint64_t n = unsigned_field(size, path, name, "shape");
    HEED_CHECK(n <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()), "nn::load",
               "{}: '{}' has a size {} that does not fit in int64", path, name, n);
    entry.shape.push_back(static_cast<int64_t>(n));
  }
  // The element count. The product of the nonzero sizes must fit in int64 in bytes even when a
  // size is 0: a tensor's strides multiply them (shape [0, 2^62, 2^62] would overflow).
  const uint64_t itemsize = element_size(entry.dtype);
  uint64_t nonzero_product = 1;
  for (int64_t n : entry.shape) {
    if (n == 0) continue;
    HEED_CHECK(static_cast<uint64_t>(n) <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) / itemsize / nonzero_product,
               "nn::load", "{}: '{}' of shape {} has more elements than any file could hold", path, name, entry.shape);
    nonzero_product *= static_cast<uint64_t>(n);
  }
  const uint64_t count = std::count(entry.shape.begin(), entry.shape.end(), 0) > 0 ? 0 : nonzero_product;

  const Json& offsets = info["data_offsets"];
  HEED_CHECK(offsets.is_array() && offsets.size() == 2, "nn::load", "{}: '{}' has data_offsets {}; expected [begin, end]",
             path, name, offsets.dump());
  entry.begin = unsigned_field(offsets[0], path, name, "data_offsets");
  entry.end = unsigned_field(offsets[1], path, name, "data_offsets");
  HEED_CHECK(entry.begin <= entry.end && entry.end <= data_size, "nn::load",
             "{}: '{}' has data_offsets [{}, {}], outside the data section of {} bytes", path, name, entry.begin,
             entry.end, data_size);
  HEED_CHECK(entry.end - entry.begin == count * itemsize, "nn::load",
             "{}: '{}' of shape {} and dtype {} needs {} bytes, but its data_offsets [{}, {}] hold {}", path, name,
             entry.shape, dtype.get<std::string>(), count * itemsize, entry.begin, entry.end, entry.end - entry.begin);
  return entry;
}

// The ranges, sorted by where they start, must tile [0, data_size): no overlaps, no gaps.
void check_tiling(std::vector<Entry>& entries, uint64_t data_size, const std::string& path) {
  std::sort(entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
    return std::tie(a.begin, a.end) < std::tie(b.begin, b.end);
  });
  uint64_t covered = 0;
  const Entry* previous = nullptr;
  for (const Entry& e : entries) {
    HEED_CHECK(e.begin >= covered, "nn::load", "{}: the data of '{}' [{}, {}) and '{}' [{}, {}) overlap", path,
               previous->name, previous->begin, previous->end, e.name, e.begin, e.end);
    HEED_CHECK(e.begin == covered, "nn::load", "{}: bytes [{}, {}) of the data section belong to no tensor", path,
               covered, e.begin);
    covered = e.end;
    previous = &e;
  }
  HEED_CHECK(covered == data_size, "nn::load",
             "{}: the data section has {} bytes, but its tensors end at byte {}: {} bytes belong to no tensor", path,
             data_size, covered, data_size - covered);
}

}  // namespace

void save(const StateDict& state, const std::string& path, const Metadata& metadata) {
  std::vector<std::pair<std::string, Tensor>> tensors;
  for (const auto& [name, t] : state) {
    HEED_CHECK(t.defined(), "nn::save", "{}: '{}' is an undefined tensor", path, name);
    HEED_CHECK(name != "__metadata__", "nn::save", "{}: '__metadata__' is reserved for the metadata, not a tensor name",
               path);
    tensors.emplace_back(name, dense(t));
  }
  std::string header;
  try {
    header = header_for(tensors, metadata);
  } catch (const Json::exception& e) {  // a name or a metadata string that is not valid UTF-8
    throw Error(fmt::format("nn::save: {}: cannot write the header: {}", path, e.what()));
  }
  uint8_t length[kLengthBytes];
  for (size_t i = 0; i < kLengthBytes; ++i) length[i] = static_cast<uint8_t>(uint64_t{header.size()} >> (8 * i));

  AtomicFile file(path, "nn::save");
  file.write(length, kLengthBytes);
  file.write(header.data(), header.size());
  for (const auto& [name, t] : tensors) file.write(bytes_of(t), static_cast<size_t>(t.numel()) * element_size(t.dtype()));
  file.commit();
}

void save(const Module& module, const std::string& path) { save(module.state_dict(), path); }

namespace {

// An open safetensors file, its header read and checked, positioned at the start of the data.
struct OpenedFile {
  std::ifstream in;
  std::vector<Entry> entries;  // sorted by data offset
  Metadata metadata;
};

OpenedFile open_and_read_header(const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  HEED_CHECK(std::filesystem::is_regular_file(status), "nn::load", "{}: {}", path,
             std::filesystem::exists(status) ? "not a regular file" : error ? error.message() : "no such file");
  const uint64_t file_size = std::filesystem::file_size(path, error);
  HEED_CHECK(!error, "nn::load", "{}: {}", path, error.message());
  OpenedFile file{.in = std::ifstream(path, std::ios::binary), .entries = {}, .metadata = {}};
  std::ifstream& in = file.in;
  HEED_CHECK(in, "nn::load", "{}: cannot open it: {}", path, std::error_code(errno, std::generic_category()).message());

  HEED_CHECK(file_size >= kLengthBytes, "nn::load", "{}: the file has {} bytes, too few for the 8-byte header length",
             path, file_size);
  uint8_t length[kLengthBytes];
  in.read(reinterpret_cast<char*>(length), kLengthBytes);
  uint64_t header_size = 0;
  for (size_t i = 0; i < kLengthBytes; ++i) header_size |= uint64_t{length[i]} << (8 * i);
  HEED_CHECK(header_size <= file_size - kLengthBytes, "nn::load",
             "{}: the header length says {} bytes, but only {} bytes follow it", path, header_size,
             file_size - kLengthBytes);
  std::string text(header_size, '\0');
  in.read(text.data(), static_cast<std::streamsize>(header_size));
  HEED_CHECK(in, "nn::load", "{}: reading the header failed", path);

  const Json header = parse_header(text, path);
  const uint64_t data_size = file_size - kLengthBytes - header_size;
  for (const auto& [name, info] : header.items()) {
    if (name == "__metadata__") {
      HEED_CHECK(info.is_object(), "nn::load", "{}: __metadata__ is {}; expected an object of strings", path, info.dump());
      for (const auto& [key, value] : info.items()) {
        HEED_CHECK(value.is_string(), "nn::load", "{}: __metadata__ '{}' is {}; expected a string", path, key, value.dump());
        file.metadata[key] = value.get<std::string>();
      }
      continue;
    }
    file.entries.push_back(read_entry(name, info, data_size, path));
  }
  check_tiling(file.entries, data_size, path);
  return file;
}

}  // namespace

StateDict load(const std::string& path, Metadata* metadata) {
  OpenedFile file = open_and_read_header(path);
  StateDict state;  // entries are sorted by offset: one forward pass through the data section
  for (const Entry& e : file.entries) {
    Tensor t = Tensor::empty(e.shape, e.dtype);
    if (e.end > e.begin) {
      file.in.read(static_cast<char*>(t.storage()->data()), static_cast<std::streamsize>(e.end - e.begin));
      HEED_CHECK(file.in, "nn::load", "{}: reading '{}' failed (was the file changed while it was read?)", path, e.name);
    }
    state[e.name] = t;
  }
  if (metadata != nullptr) *metadata = std::move(file.metadata);
  return state;
}

std::map<std::string, Shape> load_shapes(const std::string& path) {
  std::map<std::string, Shape> shapes;
  for (Entry& e : open_and_read_header(path).entries) shapes[e.name] = std::move(e.shape);
  return shapes;
}

void load_into(Module& module, const std::string& path, bool strict) { module.load_state_dict(load(path), strict); }

}  // namespace heed::nn
