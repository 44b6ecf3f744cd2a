// heed's door to OpenBLAS: single-precision GEMM, and the choice of CPU kernels.
//
// OpenBLAS picks its kernels for the CPU once, when it is loaded. Version 0.3.21 (Debian 12) does
// not know AMD's AVX-512 CPUs (Zen 4, Zen 5) and takes them for older AVX2 parts, running GEMM at
// half speed. So heed loads OpenBLAS itself, on first use: if OPENBLAS_CORETYPE is unset and the CPU
// has the AVX-512 subsets of Intel's Skylake-X (F, CD, BW, DQ, VL), it sets OPENBLAS_CORETYPE to
// SkylakeX first. A user's own OPENBLAS_CORETYPE always wins.
#pragma once

#include <cstdint>
#include <string>

namespace heed::blas {

// Row-major C = alpha * op(A) * op(B) + beta * C, where op(A) is m x k and op(B) is k x n.
// A transposed operand is passed as it is stored, with its leading dimension: no copies.
// Small products with a side of 1 or 2 run on heed's own loop kernel instead
// (core/small_gemm.h, prefers_small_sgemm): OpenBLAS's per-call preparation outweighs their
// arithmetic.
void sgemm(bool transpose_a, bool transpose_b, int64_t m, int64_t n, int64_t k, float alpha,
           const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
           int64_t ldc);

// The kernel family OpenBLAS chose ("Zen", "Haswell", "SkylakeX", ...).
std::string core_name();

// The OPENBLAS_CORETYPE heed would choose for a CPU with these features ("" to let OpenBLAS pick).
std::string choose_core_type(bool has_avx512_skylake_subset, const char* user_setting);

// heed::Error unless this process can map what OpenBLAS maps as it loads and runs its first
// products (two 128 MiB buffers per thread, and its code): under a smaller address-space
// limit (ulimit -v, ulimit -d) OpenBLAS would spin for ever inside its allocator. Runs before heed
// loads OpenBLAS, on first use.
void check_room_for_openblas();

// Threads OpenBLAS may use (the same OpenMP team as heed's kernels).
void set_num_threads(int threads);

}  // namespace heed::blas
