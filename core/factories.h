// Making tensors: filled, ranged, from data, and random (drawn from heed's seeded generator).
#pragma once

#include <initializer_list>
#include <vector>

#include "heed/core/tensor.h"

namespace heed {

struct TensorOptions {
  Dtype dtype = Dtype::Float32;
  bool requires_grad = false;
};

Tensor zeros(const Shape& shape, TensorOptions options = {});
Tensor ones(const Shape& shape, TensorOptions options = {});
Tensor full(const Shape& shape, double value, TensorOptions options = {});
Tensor zeros_like(const Tensor& like);
Tensor ones_like(const Tensor& like);

// 0, 1, ..., end-1 as int64 (like torch.arange(5)).
Tensor arange(int64_t end);
// start, start+step, ... below end (above end for a negative step), float32 unless asked.
Tensor arange(double start, double end, double step = 1.0, TensorOptions options = {});

// Copies `values` into a tensor of `shape` (1-D of values.size() elements when shape is omitted;
// use scalar_tensor for shape []).
Tensor from_vector(const std::vector<float>& values, Shape shape = {}, TensorOptions options = {});
Tensor from_vector(const std::vector<int64_t>& values, Shape shape = {});
// from_vector({1.f, 2.f, 3.f}, {3}) reads as float32; spell int64 data std::vector<int64_t>{...}.
inline Tensor from_vector(std::initializer_list<float> values, Shape shape = {}, TensorOptions options = {}) {
  return from_vector(std::vector<float>(values), std::move(shape), options);
}
// A one-element tensor of shape [].
Tensor scalar_tensor(float value, TensorOptions options = {});

// Uniform in [0, 1), standard normal, and integers uniform in [low, high).
Tensor rand(const Shape& shape, TensorOptions options = {});
Tensor randn(const Shape& shape, TensorOptions options = {});
Tensor randint(int64_t low, int64_t high, const Shape& shape);

}  // namespace heed
