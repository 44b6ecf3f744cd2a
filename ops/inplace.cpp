#include "heed/ops/inplace.h"

#include "heed/core/autograd.h"
#include "heed/core/strided.h"

namespace heed::ops {
namespace {

void check_writable(const Tensor& x, const char* op) {
  check_dtype(x, Dtype::Float32, op, "destination");
  HEED_CHECK(!(grad_mode_enabled() && x.requires_grad()), op,
             "the destination of shape {} requires grad, and autograd does not record in-place ops; "
             "update it inside a NoGradGuard (as optimizers do) or use the out-of-place op",
             x.shape());
  for (size_t d = 0; d < x.shape().size(); ++d)
    HEED_CHECK(x.strides()[d] != 0 || x.shape()[d] == 1, op,
               "the destination of shape {} is a broadcast view (stride 0 in dim {}): one element "
               "would be written many times",
               x.shape(), d);
}

// x[i] = f(x[i], y[i]) with y broadcast to x's shape.
template <class F>
void update_with(Tensor& x, const Tensor& y, const char* op, const F& f) {
  check_writable(x, op);
  check_dtype(y, Dtype::Float32, op, "source");
  HEED_CHECK(broadcast_shapes(x.shape(), y.shape(), op) == x.shape(), op,
             "source of shape {} cannot be broadcast to the destination's shape {}", y.shape(), x.shape());
  float* out = x.mutable_data<float>();
  const float* in = y.data<float>();
  for_each_run<2>(x.shape(), {x.strides(), broadcast_strides(y.shape(), y.strides(), x.shape())},
                  [&](const std::array<int64_t, 2>& at, int64_t count, const std::array<int64_t, 2>& step) {
                    float* dst = out + at[0];
                    const float* src = in + at[1];
                    if (step[0] == 1 && step[1] == 1) {
                      for (int64_t i = 0; i < count; ++i) dst[i] = f(dst[i], src[i]);
                    } else {
                      for (int64_t i = 0; i < count; ++i) dst[i * step[0]] = f(dst[i * step[0]], src[i * step[1]]);
                    }
                  });
}

// x[i] = f(x[i]).
template <class F>
void update(Tensor& x, const char* op, const F& f) {
  check_writable(x, op);
  float* out = x.mutable_data<float>();
  for_each_run<1>(x.shape(), {x.strides()},
                  [&](const std::array<int64_t, 1>& at, int64_t count, const std::array<int64_t, 1>& step) {
                    float* dst = out + at[0];
                    for (int64_t i = 0; i < count; ++i) dst[i * step[0]] = f(dst[i * step[0]]);
                  });
}

}  // namespace

Tensor& fill_(Tensor& x, float value) {
  update(x, "fill_", [value](float) { return value; });
  return x;
}

Tensor& zero_(Tensor& x) { return fill_(x, 0.0f); }

Tensor& add_(Tensor& x, const Tensor& y, float alpha) {
  update_with(x, y, "add_", [alpha](float a, float b) { return a + alpha * b; });
  return x;
}

Tensor& mul_(Tensor& x, float s) {
  update(x, "mul_", [s](float a) { return a * s; });
  return x;
}

Tensor& copy_(Tensor& x, const Tensor& y) {
  update_with(x, y, "copy_", [](float, float b) { return b; });
  return x;
}

}  // namespace heed::ops
