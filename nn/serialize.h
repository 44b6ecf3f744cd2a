// Saving and loading state dicts in the safetensors format, which Python's ecosystem
// (safetensors, Hugging Face) reads and writes:
//
//   nn::save(model.state_dict(), "model.safetensors");
//   nn::load_into(fresh_model, "model.safetensors");
//
// The file, as its specification lays it out:
//   8 bytes   N, the header's length, an unsigned little-endian 64-bit integer
//   N bytes   a JSON object, UTF-8, padded at the end with spaces:
//               {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
//                "__metadata__": {"key": "value", ...}}            (the metadata is optional)
//   the rest  the data: each tensor's elements, row-major, little-endian, at [begin, end) counted
//             from the start of this section. The tensors tile it exactly: no gaps, no overlaps,
//             nothing after the last one.
// heed reads and writes the dtypes it has: F32 (float32) and I64 (int64).
#pragma once

#include <map>
#include <string>

#include "heed/nn/module.h"

namespace heed::nn {

// The "__metadata__" of a safetensors file: free-form string pairs (e.g. {"format": "pt"}).
using Metadata = std::map<std::string, std::string>;

// Writes `state` to `path`, replacing any file there only once the new one is completely written
// and flushed: the data go to a temporary file in the same folder, which is then renamed over
// `path` (core/atomic_file.h). On error (any tensor undefined, a folder that does not exist, a full disk, ...) throws
// heed::Error naming the file, and whatever was at `path` is left as it was.
void save(const StateDict& state, const std::string& path, const Metadata& metadata = {});
// save(module.state_dict(), path).
void save(const Module& module, const std::string& path);

// Reads a safetensors file. Everything is checked before anything is returned: the header's
// length against the file's, the JSON, each entry's dtype, shape and data offsets (inside the
// data section, the size its shape and dtype need, no overlaps, no gaps), and the reads
// themselves. A bad file throws heed::Error naming the file and what is wrong. When `metadata`
// is given, the file's "__metadata__" is stored there.
StateDict load(const std::string& path, Metadata* metadata = nullptr);
// The shape of every tensor of a safetensors file, by name, from its header alone (checked as load
// checks it; no tensor is read or allocated): what a model directory's loader compares its
// config.json with before building the model.
std::map<std::string, Shape> load_shapes(const std::string& path);
// module.load_state_dict(load(path), strict): on any error the module is unchanged.
void load_into(Module& module, const std::string& path, bool strict = true);

}  // namespace heed::nn
