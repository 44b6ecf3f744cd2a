#include "heed/core/factories.h"

#include <cmath>
#include <cstring>
#include <numbers>

#include "heed/core/kernels.h"
#include "heed/core/parallel.h"
#include "heed/core/random.h"

namespace heed {
namespace {

Tensor finish(Tensor t, TensorOptions options) {
  if (options.requires_grad) t.set_requires_grad(true);
  return t;
}

// out[i] = make(seed, first_counter + i) for every element, split across threads.
template <class T, class Make>
Tensor random_tensor(const Shape& shape, Dtype dtype, uint64_t counters_per_element, Make make) {
  Tensor out = Tensor::empty(shape, dtype);
  T* data = out.mutable_data<T>();
  const CounterRange counters = default_generator().reserve(static_cast<uint64_t>(out.numel()) * counters_per_element);
  parallel_for(0, out.numel(), kElementwiseGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      data[i] = make(counters.seed, counters.first + static_cast<uint64_t>(i) * counters_per_element);
  });
  return out;
}

}  // namespace

Tensor full(const Shape& shape, double value, TensorOptions options) {
  Tensor out = Tensor::empty(shape, options.dtype);
  fill(out, value);
  return finish(out, options);
}

Tensor zeros(const Shape& shape, TensorOptions options) { return full(shape, 0.0, options); }
Tensor ones(const Shape& shape, TensorOptions options) { return full(shape, 1.0, options); }
Tensor zeros_like(const Tensor& like) { return zeros(like.shape(), {.dtype = like.dtype()}); }
Tensor ones_like(const Tensor& like) { return ones(like.shape(), {.dtype = like.dtype()}); }

Tensor arange(int64_t end) {
  HEED_CHECK(end >= 0, "arange", "end {} is negative; expected end >= 0", end);
  Tensor out = Tensor::empty({end}, Dtype::Int64);
  int64_t* data = out.mutable_data<int64_t>();
  for (int64_t i = 0; i < end; ++i) data[i] = i;
  return out;
}

Tensor arange(double start, double end, double step, TensorOptions options) {
  HEED_CHECK(step != 0 && std::isfinite(start) && std::isfinite(end) && std::isfinite(step), "arange",
             "start {}, end {}, step {}; expected finite values and a non-zero step", start, end, step);
  auto count = static_cast<int64_t>(std::max(0.0, std::ceil((end - start) / step)));
  Tensor out = Tensor::empty({count}, options.dtype);
  for (int64_t i = 0; i < count; ++i) {
    double value = start + static_cast<double>(i) * step;
    if (options.dtype == Dtype::Float32)
      out.mutable_data<float>()[i] = static_cast<float>(value);
    else
      out.mutable_data<int64_t>()[i] = static_cast<int64_t>(value);
  }
  return finish(out, options);
}

template <class T>
static Tensor tensor_from(const std::vector<T>& values, Shape shape, Dtype dtype) {
  if (shape.empty()) shape = {static_cast<int64_t>(values.size())};
  HEED_CHECK(numel(shape) == static_cast<int64_t>(values.size()), "from_vector",
             "{} values cannot fill shape {} ({} elements)", values.size(), shape, numel(shape));
  Tensor out = Tensor::empty(shape, dtype);
  if (!values.empty()) std::memcpy(out.mutable_data<T>(), values.data(), values.size() * sizeof(T));
  return out;
}

Tensor from_vector(const std::vector<float>& values, Shape shape, TensorOptions options) {
  HEED_CHECK(options.dtype == Dtype::Float32, "from_vector",
             "float values with dtype {}; pass int64_t values for an int64 tensor",
             dtype_name(options.dtype));
  return finish(tensor_from(values, std::move(shape), Dtype::Float32), options);
}

Tensor from_vector(const std::vector<int64_t>& values, Shape shape) {
  return tensor_from(values, std::move(shape), Dtype::Int64);
}

Tensor scalar_tensor(float value, TensorOptions options) {
  Tensor out = Tensor::empty({});
  *out.mutable_data<float>() = value;
  return finish(out, options);
}

Tensor rand(const Shape& shape, TensorOptions options) {
  HEED_CHECK(options.dtype == Dtype::Float32, "rand", "dtype {}; expected float32 (use randint for int64)",
             dtype_name(options.dtype));
  Tensor out = random_tensor<float>(shape, Dtype::Float32, 1, [](uint64_t seed, uint64_t counter) {
    return uniform_from_bits(random_bits(seed, counter));
  });
  return finish(out, options);
}

Tensor randn(const Shape& shape, TensorOptions options) {
  HEED_CHECK(options.dtype == Dtype::Float32, "randn", "dtype {}; expected float32 (use randint for int64)",
             dtype_name(options.dtype));
  // Box-Muller: two uniforms u1 in (0, 1], u2 in [0, 1) give sqrt(-2 ln u1) cos(2 pi u2) ~ N(0, 1).
  Tensor out = random_tensor<float>(shape, Dtype::Float32, 2, [](uint64_t seed, uint64_t counter) {
    float u1 = 1.0f - uniform_from_bits(random_bits(seed, counter));
    float u2 = uniform_from_bits(random_bits(seed, counter + 1));
    return std::sqrt(-2.0f * std::log(u1)) * std::cos(2.0f * std::numbers::pi_v<float> * u2);
  });
  return finish(out, options);
}

Tensor randint(int64_t low, int64_t high, const Shape& shape) {
  HEED_CHECK(low < high, "randint", "empty range [{}, {}); expected low < high", low, high);
  auto range = static_cast<uint64_t>(high - low);
  return random_tensor<int64_t>(shape, Dtype::Int64, 1, [=](uint64_t seed, uint64_t counter) {
    return low + static_cast<int64_t>(random_bits(seed, counter) % range);
  });
}

}  // namespace heed
