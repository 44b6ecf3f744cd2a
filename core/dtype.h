// The element types a Tensor can hold: float32 for values, int64 for token ids and indices.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace heed {

enum class Dtype { Float32, Int64 };

constexpr std::size_t element_size(Dtype dtype) { return dtype == Dtype::Float32 ? 4 : 8; }

constexpr std::string_view dtype_name(Dtype dtype) {
  return dtype == Dtype::Float32 ? "float32" : "int64";
}

// dtype_of<float> == Dtype::Float32, dtype_of<int64_t> == Dtype::Int64; any other type (double,
// int) does not compile, so data<double>() cannot read an int64 tensor's bits as doubles.
template <class T>
consteval Dtype dtype_of_type() {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, int64_t>,
                "heed tensors hold float (float32) or int64_t (int64) elements");
  return std::is_same_v<T, float> ? Dtype::Float32 : Dtype::Int64;
}
template <class T>
constexpr Dtype dtype_of = dtype_of_type<T>();

}  // namespace heed
