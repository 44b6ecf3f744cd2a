// heed's loop kernel for tiny matrix products (see the header for when and why).
//
// Element (i, j) of op(A) · op(B) is Σ_p op(A)(i, p) · op(B)(p, j). Two loop orders cover the
// layouts, each with a contiguous innermost loop that the compiler vectorises:
//   - B as stored (rows of op(B) contiguous): row i of C gathers rows of B, C[i, :] += A(i, p) · B[p, :];
//   - B transposed (columns of op(B) contiguous): each C(i, j) is a dot product of op(A)'s row i
//     with row j of the stored B, contiguous in p when A is as stored too.
#include "heed/core/small_gemm.h"

namespace heed::blas {
namespace {

// op(A)(i, p): A as stored is (m, k) with rows lda apart; transposed it is stored (k, m).
float element_of_a(bool transpose_a, const float* a, int64_t lda, int64_t i, int64_t p) {
  return transpose_a ? a[p * lda + i] : a[i * lda + p];
}

// C[i, :] = beta · C[i, :], where beta == 0 writes zeros without reading C.
void scale_row(float* row, int64_t n, float beta) {
  if (beta == 0.0f) {
    for (int64_t j = 0; j < n; ++j) row[j] = 0.0f;
  } else if (beta != 1.0f) {
    for (int64_t j = 0; j < n; ++j) row[j] *= beta;
  }
}

}  // namespace

void small_sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
                 const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
                 int64_t ldc) {
  for (int64_t i = 0; i < m; ++i) {
    float* c_row = c + i * ldc;
    scale_row(c_row, n, beta);
    if (!transpose_b) {  // C[i, :] += alpha · A(i, p) · B[p, :]
      for (int64_t p = 0; p < k; ++p) {
        const float a_ip = alpha * element_of_a(transpose_a, a, lda, i, p);
        const float* b_row = b + p * ldb;
#pragma omp simd
        for (int64_t j = 0; j < n; ++j) c_row[j] += a_ip * b_row[j];
      }
    } else {  // C(i, j) += alpha · Σ_p A(i, p) · B[j, p]
      for (int64_t j = 0; j < n; ++j) {
        const float* b_row = b + j * ldb;
        float dot = 0.0f;
        if (!transpose_a) {
          const float* a_row = a + i * lda;
#pragma omp simd reduction(+ : dot)
          for (int64_t p = 0; p < k; ++p) dot += a_row[p] * b_row[p];
        } else {
          for (int64_t p = 0; p < k; ++p) dot += a[p * lda + i] * b_row[p];
        }
        c_row[j] += alpha * dot;
      }
    }
  }
}

}  // namespace heed::blas
