// exp, tanh and sigmoid written so the compiler can vectorise them.
//
// glibc's expf is accurate but scalar: a loop calling it runs one element at a time, far below
// memory speed. These versions are branch-free float arithmetic, so a loop over them becomes
// AVX2/AVX-512 code. The method is the classic one (Cephes):
//   exp(x) = 2^n · e^r  with  n = round(x / ln 2),  r = x − n ln 2 ∈ [−ln2/2, ln2/2]
// e^r comes from a degree-6 polynomial, 2^n from writing n into the float's exponent bits.
// Relative error is within 2 ulp over the whole float range (checked in tests/test_vector_math).
#pragma once

#include <bit>
#include <cstdint>

namespace heed::ops {

inline float exp_approx(float x) {
  constexpr float kLog2e = 1.44269504088896341f;
  constexpr float kLn2Hi = 0.693359375f;  // ln 2 split in two, so n·ln2 is subtracted exactly
  constexpr float kLn2Lo = -2.12194440e-4f;
  constexpr float kRoundingShift = 12582912.0f;  // 1.5·2^23: adding it rounds to an integer
  // Beyond these bounds e^x is 0 or inf in float anyway; NaN passes through both comparisons.
  x = x < -104.0f ? -104.0f : x;
  x = x > 89.0f ? 89.0f : x;
  // n = round(x / ln 2), read as an int from the low mantissa bits of the shifted sum.
  const float shifted = x * kLog2e + kRoundingShift;
  const float n = shifted - kRoundingShift;
  const int32_t n_int = std::bit_cast<int32_t>(shifted) - std::bit_cast<int32_t>(kRoundingShift);
  const float r = x - n * kLn2Hi - n * kLn2Lo;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  // 2^n as two factors 2^(n/2) · 2^(n − n/2), each a normal float even when 2^n is not,
  // so overflow to inf and underflow to 0 happen in the final products.
  const int32_t half = n_int >> 1;
  const float scale_1 = std::bit_cast<float>((half + 127) << 23);
  const float scale_2 = std::bit_cast<float>((n_int - half + 127) << 23);
  return p * scale_1 * scale_2;
}

inline float sigmoid_approx(float x) { return 1.0f / (1.0f + exp_approx(-x)); }

inline float tanh_approx(float x) {
  // Small |x|: tanh x = x + x³ P(x²) (Cephes), avoids cancellation in the formula below.
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = x + x * z * p;
  // Large |x|: tanh x = 1 − 2 / (e^{2x} + 1), sign restored.
  const float a = x < 0 ? -x : x;
  const float large_magnitude = 1.0f - 2.0f / (exp_approx(2.0f * a) + 1.0f);
  const float large = x < 0 ? -large_magnitude : large_magnitude;
  return a < 0.625f ? small : large;
}

}  // namespace heed::ops
