// Elementwise ops: arithmetic with NumPy broadcasting, and the unary functions of deep learning.
// Each is differentiable; the C++ operators + - * / call these.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);

// Scalar forms: a + s, a - s, s - a, a * s, a / s, s / a.
Tensor add(const Tensor& a, float s);
Tensor sub(const Tensor& a, float s);
Tensor sub(float s, const Tensor& a);
Tensor mul(const Tensor& a, float s);
Tensor div(const Tensor& a, float s);
Tensor div(float s, const Tensor& a);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor pow(const Tensor& x, float exponent);
Tensor abs(const Tensor& x);
Tensor tanh(const Tensor& x);
Tensor sigmoid(const Tensor& x);
Tensor relu(const Tensor& x);
Tensor gelu(const Tensor& x);  // exact: x * Phi(x), as PyTorch's default

}  // namespace heed::ops

namespace heed {

inline Tensor operator+(const Tensor& a, const Tensor& b) { return ops::add(a, b); }
inline Tensor operator-(const Tensor& a, const Tensor& b) { return ops::sub(a, b); }
inline Tensor operator*(const Tensor& a, const Tensor& b) { return ops::mul(a, b); }
inline Tensor operator/(const Tensor& a, const Tensor& b) { return ops::div(a, b); }
inline Tensor operator+(const Tensor& a, float s) { return ops::add(a, s); }
inline Tensor operator+(float s, const Tensor& a) { return ops::add(a, s); }
inline Tensor operator-(const Tensor& a, float s) { return ops::sub(a, s); }
inline Tensor operator-(float s, const Tensor& a) { return ops::sub(s, a); }
inline Tensor operator*(const Tensor& a, float s) { return ops::mul(a, s); }
inline Tensor operator*(float s, const Tensor& a) { return ops::mul(a, s); }
inline Tensor operator/(const Tensor& a, float s) { return ops::div(a, s); }
inline Tensor operator/(float s, const Tensor& a) { return ops::div(s, a); }
inline Tensor operator-(const Tensor& x) { return ops::neg(x); }

}  // namespace heed
