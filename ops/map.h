// The two loops every elementwise op is built from.
//
//   map(x, f, op)      out[i] = f(x[i])          any layout in, dense out
//   zip(a, b, f, op)   out[i] = f(a[i], b[i])    NumPy broadcasting of a and b
//
// `op` names the calling op in error messages.
//
// Both walk their operands with for_each_run (core/strided.h), so strided views need no copy,
// and dense operands become single loops the compiler can vectorise. Both are float32 only.
#pragma once

#include "heed/core/strided.h"
#include "heed/core/tensor.h"

namespace heed::ops {

template <class F>
Tensor map(const Tensor& x, const F& f, const char* op) {
  check_dtype(x, Dtype::Float32, op, "input");
  Tensor out = Tensor::empty(x.shape());
  float* o = out.mutable_data<float>();
  const float* in = x.data<float>();
  for_each_run<2>(x.shape(), {out.strides(), x.strides()},
                  [&](const std::array<int64_t, 2>& at, int64_t count, const std::array<int64_t, 2>& step) {
                    float* dst = o + at[0];
                    const float* src = in + at[1];
                    if (step[1] == 1) {
                      for (int64_t i = 0; i < count; ++i) dst[i] = f(src[i]);
                    } else {
                      for (int64_t i = 0; i < count; ++i) dst[i] = f(src[i * step[1]]);
                    }
                  });
  return out;
}

template <class F>
Tensor zip(const Tensor& a, const Tensor& b, const F& f, const char* op) {
  check_dtype(a, Dtype::Float32, op, "first operand");
  check_dtype(b, Dtype::Float32, op, "second operand");
  Shape shape = broadcast_shapes(a.shape(), b.shape(), op);
  Tensor out = Tensor::empty(shape);
  float* o = out.mutable_data<float>();
  const float* pa = a.data<float>();
  const float* pb = b.data<float>();
  for_each_run<3>(
      shape,
      {out.strides(), broadcast_strides(a.shape(), a.strides(), shape),
       broadcast_strides(b.shape(), b.strides(), shape)},
      [&](const std::array<int64_t, 3>& at, int64_t count, const std::array<int64_t, 3>& step) {
        float* dst = o + at[0];
        const float* x = pa + at[1];
        const float* y = pb + at[2];
        // The common layouts get loops with fixed strides, which vectorise.
        if (step[1] == 1 && step[2] == 1) {
          for (int64_t i = 0; i < count; ++i) dst[i] = f(x[i], y[i]);
        } else if (step[1] == 1 && step[2] == 0) {
          const float y0 = *y;
          for (int64_t i = 0; i < count; ++i) dst[i] = f(x[i], y0);
        } else if (step[1] == 0 && step[2] == 1) {
          const float x0 = *x;
          for (int64_t i = 0; i < count; ++i) dst[i] = f(x0, y[i]);
        } else {
          for (int64_t i = 0; i < count; ++i) dst[i] = f(x[i * step[1]], y[i * step[2]]);
        }
      });
  return out;
}

}  // namespace heed::ops
