#include "heed/core/kernels.h"

#include <cstring>

#include "heed/core/strided.h"

namespace heed {
namespace {

template <class T>
void copy_elements(const Tensor& destination, const Tensor& source) {
  T* out = destination.mutable_data<T>();
  const T* in = source.data<T>();
  for_each_run<2>(source.shape(), {destination.strides(), source.strides()},
                  [&](const std::array<int64_t, 2>& at, int64_t count, const std::array<int64_t, 2>& step) {
                    if (step[0] == 1 && step[1] == 1) {
                      std::memcpy(out + at[0], in + at[1], static_cast<size_t>(count) * sizeof(T));
                    } else {
                      for (int64_t i = 0; i < count; ++i) out[at[0] + i * step[0]] = in[at[1] + i * step[1]];
                    }
                  });
}

}  // namespace

void copy_into(const Tensor& destination, const Tensor& source) {
  HEED_CHECK(destination.shape() == source.shape() && destination.dtype() == source.dtype(), "copy_into",
             "destination is {} of shape {}, source {} of shape {}; expected one shape and dtype",
             dtype_name(destination.dtype()), destination.shape(), dtype_name(source.dtype()), source.shape());
  if (source.dtype() == Dtype::Float32)
    copy_elements<float>(destination, source);
  else
    copy_elements<int64_t>(destination, source);
}

Tensor contiguous_copy(const Tensor& source) {
  Tensor out = Tensor::empty(source.shape(), source.dtype());
  copy_into(out, source);
  return out;
}

void add_into(Tensor& destination, const Tensor& source) {
  HEED_CHECK(destination.shape() == source.shape(), "add_into", "destination {} and source {}; expected one shape",
             destination.shape(), source.shape());
  float* out = destination.mutable_data<float>();
  const float* in = source.data<float>();
  for_each_run<2>(source.shape(), {destination.strides(), source.strides()},
                  [&](const std::array<int64_t, 2>& at, int64_t count,
                      const std::array<int64_t, 2>& step) {
                    float* o = out + at[0];
                    const float* s = in + at[1];
                    if (step[1] == 1) {
                      for (int64_t i = 0; i < count; ++i) o[i] += s[i];
                    } else {
                      for (int64_t i = 0; i < count; ++i) o[i] += s[i * step[1]];
                    }
                  });
}

void fill(Tensor& destination, double value) {
  HEED_CHECK(destination.is_contiguous(), "fill", "destination {} is not dense", destination.shape());
  int64_t n = destination.numel();
  if (destination.dtype() == Dtype::Float32) {
    float* out = destination.mutable_data<float>();
    parallel_for(0, n, kElementwiseGrain, [&](int64_t lo, int64_t hi) {
      std::fill(out + lo, out + hi, static_cast<float>(value));
    });
  } else {
    int64_t* out = destination.mutable_data<int64_t>();
    std::fill(out, out + n, static_cast<int64_t>(value));
  }
}

}  // namespace heed
