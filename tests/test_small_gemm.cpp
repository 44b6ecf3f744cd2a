// blas::small_sgemm, heed's loop kernel for tiny products: every transpose combination with padded
// leading dimensions, alpha and beta (beta = 0 must ignore NaN already in C) against a product in
// double; and blas::sgemm giving the same answer whichever kernel prefers_small_sgemm picks.
#include <cmath>
#include <limits>
#include <vector>

#include "heed/core/blas.h"
#include "heed/core/small_gemm.h"
#include "test_util.h"

namespace heed {
namespace {

struct Case {
  bool transpose_a, transpose_b;
  int64_t m, n, k;
};

// Stored operands with two spare columns per row (ld = cols + 2), uniform in [-1, 1).
struct Operands {
  int64_t lda, ldb, ldc;
  std::vector<float> a, b, c;
};

Operands make_operands(const Case& g, float c_fill) {
  const int64_t a_rows = g.transpose_a ? g.k : g.m, a_cols = g.transpose_a ? g.m : g.k;
  const int64_t b_rows = g.transpose_b ? g.n : g.k, b_cols = g.transpose_b ? g.k : g.n;
  Operands o{a_cols + 2, b_cols + 2, g.n + 2, {}, {}, {}};
  o.a = testing::leaf({a_rows * o.lda}).to_vector<float>();
  o.b = testing::leaf({b_rows * o.ldb}).to_vector<float>();
  o.c.assign(static_cast<size_t>(g.m * o.ldc), c_fill);
  return o;
}

// alpha · op(A) · op(B) + beta · C in double, beta = 0 ignoring C.
std::vector<double> reference(const Case& g, const Operands& o, float alpha, float beta) {
  std::vector<double> out(static_cast<size_t>(g.m * g.n));
  for (int64_t i = 0; i < g.m; ++i)
    for (int64_t j = 0; j < g.n; ++j) {
      double sum = 0;
      for (int64_t p = 0; p < g.k; ++p) {
        const double a = g.transpose_a ? o.a[p * o.lda + i] : o.a[i * o.lda + p];
        const double b = g.transpose_b ? o.b[j * o.ldb + p] : o.b[p * o.ldb + j];
        sum += a * b;
      }
      const double previous = beta == 0 ? 0.0 : beta * static_cast<double>(o.c[i * o.ldc + j]);
      out[i * g.n + j] = alpha * sum + previous;
    }
  return out;
}

void expect_matches(const Case& g, const Operands& before, const std::vector<float>& c, float alpha, float beta) {
  const std::vector<double> expected = reference(g, before, alpha, beta);
  for (int64_t i = 0; i < g.m; ++i) {
    for (int64_t j = 0; j < g.n; ++j)
      ASSERT_NEAR(c[i * before.ldc + j], expected[i * g.n + j], 1e-5) << "element (" << i << ", " << j << ")";
    for (int64_t j = g.n; j < before.ldc; ++j)
      ASSERT_EQ(std::isnan(c[i * before.ldc + j]), std::isnan(before.c[i * before.ldc + j])) << "padding written";
  }
}

const std::vector<Case> kCases = {
    {false, false, 1, 256, 32}, {false, true, 1, 32, 256}, {true, false, 32, 256, 1},
    {true, true, 3, 5, 7},      {false, false, 7, 1, 9},   {true, false, 4, 6, 0},
};

TEST(SmallGemm, EveryLayoutAlphaAndBeta) {
  manual_seed(5);
  for (const Case& g : kCases)
    for (auto [alpha, beta] : {std::pair{1.0f, 0.0f}, {1.0f, 1.0f}, {-0.5f, 0.25f}}) {
      SCOPED_TRACE(fmt::format("{}{} m={} n={} k={} alpha={} beta={}", g.transpose_a ? 'T' : 'N',
                               g.transpose_b ? 'T' : 'N', g.m, g.n, g.k, alpha, beta));
      // beta = 0: C starts as NaN, which must not leak into the result.
      Operands o = make_operands(g, beta == 0 ? std::numeric_limits<float>::quiet_NaN() : 0.75f);
      std::vector<float> c = o.c;
      blas::small_sgemm(g.transpose_a, g.transpose_b, g.m, g.n, g.k, alpha, o.a.data(), o.lda, o.b.data(), o.ldb,
                        beta, c.data(), o.ldc);
      expect_matches(g, o, c, alpha, beta);
    }
}

TEST(SmallGemm, SgemmAgreesOnBothSidesOfTheThreshold) {
  manual_seed(6);
  // A row of attention weights times the values runs on heed's kernel; four rows, a square 32³
  // product or a row past kSmallGemmWork multiply-adds on OpenBLAS.
  const Case cases[] = {{false, true, 1, 256, 32}, {false, true, 4, 256, 32}, {false, true, 32, 32, 32},
                        {false, true, 1, 1024, 33}};
  const bool on_heed_kernel[] = {true, false, false, false};
  for (size_t i = 0; i < std::size(cases); ++i) {
    const Case& g = cases[i];
    ASSERT_EQ(blas::prefers_small_sgemm(g.m, g.n, g.k), on_heed_kernel[i]) << i;
    Operands o = make_operands(g, 0.5f);
    std::vector<float> c = o.c;
    blas::sgemm(g.transpose_a, g.transpose_b, g.m, g.n, g.k, 1.0f, o.a.data(), o.lda, o.b.data(), o.ldb, 1.0f,
                c.data(), o.ldc);
    expect_matches(g, o, c, 1.0f, 1.0f);
  }
}

}  // namespace
}  // namespace heed
