// Fuzz target: the safetensors reader (nn::load, nn::load_into) and load_checkpoint's metadata
// parsing (step, epoch, RNG state, interval, history and settings JSON) on arbitrary file bytes.
#include "heed/nn/linear.h"
#include "heed/nn/serialize.h"
#include "heed/train/checkpoint.h"
#include "fuzz_util.h"

using namespace heed;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string path = fuzz::write_scratch("input.safetensors", fuzz::as_text(data, size));
  fuzz::expect_success_or_error([&] {
    nn::Metadata metadata;
    const nn::StateDict state = nn::load(path, &metadata);
    for (const auto& [name, tensor] : state) fuzz::require(tensor.defined() && tensor.is_contiguous(), "loaded tensors are dense");
  });
  // A module whose state dict is a common seed: a strict and a lenient load.
  fuzz::expect_success_or_error([&] {
    nn::Linear linear(3, 2);
    nn::load_into(linear, path, /*strict=*/true);
  });
  fuzz::expect_success_or_error([&] {
    nn::Linear linear(3, 2);
    nn::load_into(linear, path, /*strict=*/false);
  });
  fuzz::expect_success_or_error([&] {
    const train::Checkpoint checkpoint = train::load_checkpoint(path);
    fuzz::require(checkpoint.step >= 0 && checkpoint.epoch >= 0 && checkpoint.batch >= 0, "checkpoint counters >= 0");
  });
  return 0;
}
