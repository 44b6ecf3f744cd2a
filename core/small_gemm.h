// heed's own loop kernel for tiny matrix products.
//
// OpenBLAS prepares every call the same way, whatever its size: it checks its arguments, scales C
// by beta in a separate pass and packs panels of A and B into aligned buffers for its kernel. For a
// product of a few thousand multiply-adds, the preparation costs more than the arithmetic: a
// (1, 32) x (32, 256) product, one row of attention weights times the values, took ~15 µs in
// OpenBLAS and takes ~1 µs here. blas::sgemm sends products of at most kSmallGemmWork
// multiply-adds to this kernel, which touches each element of A, B and C once, in place.
#pragma once

#include <cstdint>

namespace heed::blas {

// Multiply-adds (m·n·k) up to which blas::sgemm uses small_sgemm instead of OpenBLAS.
inline constexpr int64_t kSmallGemmWork = int64_t{32} * 32 * 32;

// The same contract as blas::sgemm: row-major C = alpha · op(A) · op(B) + beta · C. With
// beta == 0, C is only written, never read (it may hold NaN).
void small_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc);

}  // namespace heed::blas
