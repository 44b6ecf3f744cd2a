// heed's own loop kernel for tiny matrix products.
//
// OpenBLAS prepares every call the same way, whatever its size: it checks its arguments, scales C
// by beta in a separate pass and packs panels of A and B into aligned buffers for its kernel. That
// pays off once every side of the product is a few elements long, and not for a product with a
// side of 1 or 2: one row of attention weights times the values, or an outer product. There the
// preparation costs more than the arithmetic, and this kernel, which touches each element of A, B
// and C once, in place, is faster. Measured on one core (Zen 3, strided operands):
//
//   (m, k) x (k, n)          OpenBLAS   here
//   (1, 32) x (32, 256)       1.8 µs    0.6 µs
//   (32, 1) x (1, 256)        4.1 µs    1.5 µs
//   (2, 32) x (32, 256)       2.7 µs    1.7 µs
//   (4, 32) x (32, 256)       2.2 µs    3.2 µs
//   (32, 32) x (32, 32)       1.5 µs    5.8 µs
#pragma once

#include <algorithm>
#include <cstdint>

namespace heed::blas {

// Multiply-adds (m·n·k) up to which a product may run on small_sgemm.
inline constexpr int64_t kSmallGemmWork = int64_t{32} * 32 * 32;

// Whether blas::sgemm sends an (m, k) x (k, n) product to small_sgemm rather than OpenBLAS: a
// side of at most 2 and at most kSmallGemmWork multiply-adds (see the table above).
inline bool prefers_small_sgemm(int64_t m, int64_t n, int64_t k) {
  return std::min({m, n, k}) <= 2 && m * n * k <= kSmallGemmWork;
}

// The same contract as blas::sgemm: row-major C = alpha · op(A) · op(B) + beta · C. With
// beta == 0, C is only written, never read (it may hold NaN).
void small_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc);

}  // namespace heed::blas
