#include "heed/core/blas.h"

#include <cblas.h>
#include <dlfcn.h>
#include <omp.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "heed/core/allocator.h"
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

// ---- room to load OpenBLAS ----
//
// As it loads, OpenBLAS maps one buffer of BUFFER_SIZE bytes for each thread it will run (32 << 22,
// 128 MiB, on x86-64: its common_x86_64.h), and each thread that calls it (heed calls sgemm inside
// parallel loops) one more as it calls, besides its code (36 MB, all kernels of DYNAMIC_ARCH) and
// the libraries it needs (libgfortran, libquadmath: 3.5 MB on Debian 12). Measured under ulimit -v
// (2 CPUs): heed bench sgemm on 1 thread needs 300-350 MB in all, the process itself taking 24 MB;
// on 2 threads, whose training steps call sgemm from both, a first step still hung at 470 MB. Where
// mmap fails (an address-space limit, ulimit -v or ulimit -d), its blas_memory_alloc retries for
// ever, at 100% CPU and deaf to SIGTERM. So heed checks for that room first. Its threads at load
// time: the CPUs this process may run on, or fewer with OMP_NUM_THREADS (the OpenMP build takes no
// notice of OPENBLAS_NUM_THREADS or of omp_set_num_threads there).
constexpr std::size_t kBufferBytes = std::size_t{32} << 22;
constexpr std::size_t kDependencyBytes = std::size_t{8} << 20;
constexpr double kMiB = 1 << 20;

int threads_at_load() {
  cpu_set_t cpus;
  const int available = sched_getaffinity(0, sizeof cpus, &cpus) == 0 ? CPU_COUNT(&cpus) : 1;
  const char* setting = std::getenv("OMP_NUM_THREADS");
  const int wanted = setting != nullptr ? std::atoi(setting) : 0;  // "4" or a list "4,2": the first
  return wanted > 0 ? std::min(wanted, available) : available;
}

std::size_t code_bytes() {
  std::error_code error;
  const std::uintmax_t library = std::filesystem::file_size(HEED_OPENBLAS_LIBRARY, error);
  return (error ? 0 : library) + kDependencyBytes;
}

// Whether `bytes` more can be mapped now: a trial mapping, unmapped at once. Writable, so that
// RLIMIT_DATA counts it as RLIMIT_AS does; MAP_NORESERVE, so that no memory is committed.
bool room_to_map(std::size_t bytes) {
  void* trial = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (trial == MAP_FAILED) return false;
  munmap(trial, bytes);
  return true;
}

// "the limit (ulimit -v) is 293 MiB", or ulimit -d, or the system's refusal without a limit.
std::string limit_in_the_way() {
  for (const auto& [resource, name] : {std::pair{RLIMIT_AS, "ulimit -v"}, std::pair{RLIMIT_DATA, "ulimit -d"}}) {
    rlimit limit{};
    if (getrlimit(resource, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
      return fmt::format("the limit ({}) is {:.0f} MiB", name, static_cast<double>(limit.rlim_cur) / kMiB);
  }
  return "the system refuses to map that much";
}

constexpr int kWarmUpSize = 256;  // products of 256 take milliseconds: calls started together overlap

// Starts OpenMP's threads and has each allocate, so that glibc gives it its malloc arena (64 MiB
// of address space a thread) before the room for OpenBLAS is measured. (malloc, which returns
// null where a vector would throw: an exception may not leave an OpenMP region.)
void start_threads() {
#pragma omp parallel
  std::free(std::malloc(3 * kWarmUpSize * kWarmUpSize * sizeof(float)));
}

// Has every thread call sgemm at once, so that OpenBLAS maps each thread's buffer now, while the
// room checked by check_room_for_openblas is there: it keeps them for later calls, which then
// cannot meet a full address space inside OpenBLAS. (Loaded inside a parallel region, only the
// calling thread takes its buffer.)
void take_buffers(const OpenBLAS& api) {
  constexpr int n = kWarmUpSize;
  constexpr std::size_t matrix = std::size_t{n} * n;
  std::vector<float> scratch(3 * matrix * static_cast<std::size_t>(omp_get_max_threads()));  // A, B, C a thread
#pragma omp parallel
  {
    float* a = scratch.data() + 3 * matrix * static_cast<std::size_t>(omp_get_thread_num());
#pragma omp barrier
    api.sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1.0f, a, n, a + matrix, n, 0.0f, a + 2 * matrix, n);
  }
}

OpenBLAS load() {
  start_threads();
  check_room_for_openblas();
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
  take_buffers(api);
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

void check_room_for_openblas() {
  const int threads = threads_at_load();
  const std::size_t need = 2 * static_cast<std::size_t>(threads) * kBufferBytes + code_bytes();
  HEED_CHECK(room_to_map(need), "blas",
             "OpenBLAS needs about {:.0f} MiB of address space at start-up ({} buffers of {:.0f} MiB for {} thread{}, "
             "and its code); {}, and {:.0f} MiB are in use: raise the limit, or set OMP_NUM_THREADS lower",
             static_cast<double>(need) / kMiB, 2 * threads, static_cast<double>(kBufferBytes) / kMiB, threads,
             threads == 1 ? "" : "s", limit_in_the_way(),
             static_cast<double>(address_space_in_use()) / kMiB);
}

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
