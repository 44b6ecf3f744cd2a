#include "heed/core/blas.h"

#include <cblas.h>
#include <dlfcn.h>

#include <climits>
#include <cstdlib>

#include "heed/core/error.h"
#include "heed/core/small_gemm.h"

namespace heed::blas {
namespace {

// The OpenBLAS entry points heed calls, resolved from the library at run time.
struct OpenBLAS {
  decltype(&cblas_sgemm) sgemm = nullptr;
  decltype(&openblas_set_num_threads) set_num_threads = nullptr;
  decltype(&openblas_get_corename) get_corename = nullptr;
};

bool cpu_has_avx512_skylake_subset() {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") &&
         __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512dq") &&
         __builtin_cpu_supports("avx512vl");
}

template <class Function>
Function resolve(void* library, const char* name) {
  void* symbol = dlsym(library, name);
  HEED_CHECK(symbol != nullptr, "blas", "OpenBLAS has no symbol {}", name);
  return reinterpret_cast<Function>(symbol);
}

OpenBLAS load() {
  std::string core_type = choose_core_type(cpu_has_avx512_skylake_subset(), std::getenv("OPENBLAS_CORETYPE"));
  if (!core_type.empty()) setenv("OPENBLAS_CORETYPE", core_type.c_str(), /*overwrite=*/0);
  void* library = dlopen(HEED_OPENBLAS_LIBRARY, RTLD_NOW | RTLD_LOCAL);
  HEED_CHECK(library != nullptr, "blas",
             "cannot load OpenBLAS from {}: {}; install Debian's libopenblas0-openmp",
             HEED_OPENBLAS_LIBRARY, dlerror());
  OpenBLAS api;
  api.sgemm = resolve<decltype(api.sgemm)>(library, "cblas_sgemm");
  api.set_num_threads = resolve<decltype(api.set_num_threads)>(library, "openblas_set_num_threads");
  api.get_corename = resolve<decltype(api.get_corename)>(library, "openblas_get_corename");
  return api;
}

const OpenBLAS& openblas() {
  static const OpenBLAS api = load();
  return api;
}

int checked_int(int64_t value, const char* what) {
  HEED_CHECK(value >= 0 && value <= INT_MAX, "sgemm", "{} = {} does not fit BLAS's int", what, value);
  return static_cast<int>(value);
}

}  // namespace

std::string choose_core_type(bool has_avx512_skylake_subset, const char* user_setting) {
  if (user_setting != nullptr && *user_setting != '\0') return "";
  return has_avx512_skylake_subset ? "SkylakeX" : "";
}

void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc) {
  if (prefers_small_sgemm(m, n, k)) {
    small_sgemm(transpose_a, transpose_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  openblas().sgemm(CblasRowMajor, transpose_a ? CblasTrans : CblasNoTrans,
                   transpose_b ? CblasTrans : CblasNoTrans, checked_int(m, "m"), checked_int(n, "n"),
                   checked_int(k, "k"), alpha, a, checked_int(lda, "lda"), b,
                   checked_int(ldb, "ldb"), beta, c, checked_int(ldc, "ldc"));
}

std::string core_name() { return openblas().get_corename(); }

void set_num_threads(int threads) { openblas().set_num_threads(threads); }

}  // namespace heed::blas
