// core/: factories, element access, the seeded generator, the allocator, printing, BLAS choice.
#include "test_util.h"

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <functional>

namespace heed {
namespace {

using testing::all_close;

TEST(Tensor, FactoriesAndElementAccess) {
  Tensor z = zeros({2, 3});
  EXPECT_EQ(z.shape(), (Shape{2, 3}));
  EXPECT_EQ(z.strides(), (Shape{3, 1}));
  EXPECT_EQ(z.dtype(), Dtype::Float32);
  EXPECT_TRUE(z.is_contiguous());
  EXPECT_EQ(ones({4}).to_vector<float>(), std::vector<float>(4, 1.f));
  EXPECT_EQ(full({2}, 2.5).to_vector<float>(), (std::vector<float>{2.5f, 2.5f}));
  EXPECT_EQ(arange(4).to_vector<int64_t>(), (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(arange(4).dtype(), Dtype::Int64);
  EXPECT_TRUE(all_close(arange(0.0, 1.0, 0.25), from_vector({0.f, 0.25f, 0.5f, 0.75f})));
  Tensor m = from_vector({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  EXPECT_EQ(m.at({1, 2}), 6.f);
  EXPECT_EQ(m.at({-1, 0}), 4.f);
  EXPECT_EQ(scalar_tensor(3.f).item(), 3.f);
  EXPECT_EQ(scalar_tensor(3.f).dim(), 0);
  EXPECT_EQ(m.size(-1), 3);
}

TEST(Tensor, BadAccessIsAnError) {
  Tensor m = zeros({2, 3});
  EXPECT_THROW(m.item(), Error);                   // not one element
  EXPECT_THROW(m.at({2, 0}), Error);               // out of range
  EXPECT_THROW(m.at({0}), Error);                  // wrong number of indices
  EXPECT_THROW(m.data<int64_t>(), Error);          // wrong dtype
  EXPECT_THROW(m.size(2), Error);                  // dim out of range
  EXPECT_THROW(from_vector({1.f, 2.f}, {3}), Error);
  EXPECT_THROW(Tensor().shape(), Error);           // undefined tensor
  EXPECT_THROW(arange(4).set_requires_grad(), Error);  // int64 cannot require grad
}

TEST(Random, SameSeedSameNumbers) {
  manual_seed(42);
  std::vector<float> a = randn({100}).to_vector<float>();
  manual_seed(42);
  std::vector<float> b = randn({100}).to_vector<float>();
  std::vector<float> c = randn({100}).to_vector<float>();
  EXPECT_EQ(a, b);
  EXPECT_NE(b, c);  // the stream moves on
}

TEST(Random, IndependentOfThreadCount) {
  int threads = num_threads();
  manual_seed(7);
  omp_set_num_threads(1);
  std::vector<float> serial = rand({200000}).to_vector<float>();
  manual_seed(7);
  omp_set_num_threads(2);
  std::vector<float> parallel = rand({200000}).to_vector<float>();
  omp_set_num_threads(threads);
  EXPECT_EQ(serial, parallel);
}

TEST(Random, Distributions) {
  manual_seed(3);
  std::vector<float> normal = randn({200000}).to_vector<float>();
  double mean = 0, square = 0;
  for (float v : normal) mean += v, square += static_cast<double>(v) * v;
  mean /= normal.size();
  double stddev = std::sqrt(square / normal.size() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.01);
  EXPECT_NEAR(stddev, 1.0, 0.01);
  std::vector<float> uniform = rand({100000}).to_vector<float>();
  EXPECT_GE(*std::min_element(uniform.begin(), uniform.end()), 0.0f);
  EXPECT_LT(*std::max_element(uniform.begin(), uniform.end()), 1.0f);
  std::vector<int64_t> ints = randint(-3, 5, {10000}).to_vector<int64_t>();
  std::vector<int> counts(8, 0);
  for (int64_t v : ints) {
    ASSERT_GE(v, -3);
    ASSERT_LT(v, 5);
    ++counts[static_cast<size_t>(v + 3)];
  }
  for (int count : counts) EXPECT_GT(count, 1000);  // every value drawn, roughly 1250 each
}

TEST(Allocator, ReusesFreedBlocks) {
  const void* first;
  {
    Tensor t = zeros({1000, 1000});
    first = t.data<float>();
  }
  Tensor again = zeros({1000, 1000});
  EXPECT_EQ(again.data<float>(), first);
  AllocatorStats stats = allocator_stats();
  EXPECT_GE(stats.bytes_in_use, 4000000u);
  EXPECT_GE(stats.peak_bytes_in_use, stats.bytes_in_use);
}

// The cache keeps at most cache_limit() bytes: released blocks beyond it go back to the system,
// and lowering the limit gives cached blocks back at once.
TEST(Allocator, TheCacheKeepsNoMoreThanItsLimit) {
  constexpr std::size_t MiB = 1 << 20;
  const std::size_t saved_limit = cache_limit();
  EXPECT_GT(saved_limit, 0u);
  empty_cache();
  set_cache_limit(3 * MiB);
  std::vector<void*> blocks;
  for (int i = 0; i < 5; ++i) blocks.push_back(allocate(MiB));
  for (void* block : blocks) release(block, MiB);
  EXPECT_EQ(allocator_stats().bytes_cached, 3 * MiB);  // the first three released; two given back
  set_cache_limit(MiB);
  EXPECT_EQ(allocator_stats().bytes_cached, MiB);
  set_cache_limit(0);
  EXPECT_EQ(allocator_stats().bytes_cached, 0u);
  release(allocate(MiB), MiB);
  EXPECT_EQ(allocator_stats().bytes_cached, 0u);
  set_cache_limit(saved_limit);
}

// The wait status of a forked child that limits its address space (RLIMIT_AS) to what it uses
// now plus `headroom` bytes, then returns body()'s value as its exit status. The child only
// allocates memory (no OpenMP after a fork).
int status_of_child_with_memory_limit(std::size_t headroom, const std::function<int()>& body) {
  const pid_t child = ::fork();
  if (child == 0) {
    std::size_t pages = 0;
    std::ifstream("/proc/self/statm") >> pages;  // the first field: the address space's size
    const rlimit limit{.rlim_cur = pages * ::sysconf(_SC_PAGESIZE) + headroom, .rlim_max = RLIM_INFINITY};
    if (::setrlimit(RLIMIT_AS, &limit) != 0) ::_exit(90);
    ::_exit(body());
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  return status;
}

#if defined(__SANITIZE_ADDRESS__)
constexpr bool kAddressSanitizer = true;  // reserves terabytes of shadow memory: RLIMIT_AS cannot apply
#else
constexpr bool kAddressSanitizer = false;
#endif

TEST(Allocator, FailingAllocationsEmptyTheCacheThenThrowAnErrorNamingTheSize) {
  if (kAddressSanitizer) GTEST_SKIP() << "RLIMIT_AS does not work under AddressSanitizer";
  constexpr std::size_t MiB = 1 << 20;
  const int status = status_of_child_with_memory_limit(256 * MiB, [] {
    release(allocate(160 * MiB), 160 * MiB);  // kept in the cache
    void* larger = allocate(200 * MiB);       // fits only once the cached 160 MiB are given back
    release(larger, 200 * MiB);
    try {
      allocate(1024 * MiB);
    } catch (const Error& e) {
      return std::string(e.what()).find("allocating 1073741824 bytes failed: out of memory") != std::string::npos ? 0 : 3;
    } catch (...) {
      return 2;
    }
    return 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: 1 GiB was allocated under a 256 MiB limit; 2: not a heed::Error; 3: "
                                       "another message";
}

// Under an address-space limit heed leaves 32 MiB of it to the libraries it calls (OpenBLAS ends
// the process itself where its own malloc fails), and its error names the limit.
TEST(Allocator, UnderAnAddressSpaceLimitRoomIsLeftForLibraries) {
  if (kAddressSanitizer) GTEST_SKIP() << "RLIMIT_AS does not work under AddressSanitizer";
  constexpr std::size_t MiB = 1 << 20;
  const int status = status_of_child_with_memory_limit(40 * MiB, [] {
    release(allocate(4 * MiB), 4 * MiB);  // 4 + 32 fits in 40
    empty_cache();
    try {
      allocate(16 * MiB);  // 16 + 32 does not, though the system would map it
    } catch (const Error& e) {
      return std::string(e.what()).find("the address-space limit, ulimit -v, is") != std::string::npos ? 0 : 3;
    }
    return 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: 16 MiB allocated with 24 MiB left; 3: another message";
}

TEST(Allocator, ReleasingNeverThrowsWhenMemoryRunsOut) {
  if (kAddressSanitizer) GTEST_SKIP() << "RLIMIT_AS does not work under AddressSanitizer";
  std::vector<Storage> storages;
  storages.reserve(4'000'000);
  const int status = status_of_child_with_memory_limit(64 << 20, [&] {
    const std::size_t in_use = allocator_stats().bytes_in_use;
    try {
      for (;;) storages.push_back(make_storage(64));
    } catch (const std::bad_alloc&) {  // make_shared's own block
    } catch (const Error&) {           // the allocator's
    }
    // Memory has run out, and the free list must grow to hold these blocks: as it cannot, they
    // go back to the system, from destructors that must not throw.
    storages.clear();
    return allocator_stats().bytes_in_use == in_use ? 0 : 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "bytes_in_use did not return to its value";
}

TEST(Format, PrintsLikePyTorch) {
  EXPECT_EQ(to_string(from_vector({1.f, 2.f, 3.f})), "tensor([1., 2., 3.])");
  EXPECT_EQ(to_string(from_vector({0.5f, -1.25f, 2.f, 3.f}, {2, 2})),
            "tensor([[ 0.5000, -1.2500],\n        [ 2.0000,  3.0000]])");
  EXPECT_EQ(to_string(arange(3)), "tensor([0, 1, 2])");
  EXPECT_EQ(to_string(scalar_tensor(2.5f)), "tensor(2.5000)");
  Tensor w = ones({2}, {.requires_grad = true});
  EXPECT_EQ(to_string(w), "tensor([1., 1.], requires_grad=true)");
  EXPECT_EQ(to_string(w * 2.f), "tensor([2., 2.], grad_fn=<mul_scalar>)");
  EXPECT_EQ(fmt::format("{}", from_vector({1.f})), "tensor([1.])");
}

TEST(Format, SummarisesLargeTensors) {
  std::string text = to_string(zeros({2000}));
  EXPECT_NE(text.find("0., 0., 0., ..., 0., 0., 0."), std::string::npos) << text;
  EXPECT_LT(text.size(), 80u);
}

// The expected texts are PyTorch 1.13's: str(torch.arange(2000).reshape(40, 50)) and
// str(torch.arange(1280).reshape(8, 8, 20)).
TEST(Format, SummarisedRowsAndMatricesAreLaidOutLikePyTorch) {
  EXPECT_EQ(to_string(ops::reshape(arange(2000), {40, 50})),
            "tensor([[   0,    1,    2,  ...,   47,   48,   49],\n"
            "        [  50,   51,   52,  ...,   97,   98,   99],\n"
            "        [ 100,  101,  102,  ...,  147,  148,  149],\n"
            "        ...,\n"
            "        [1850, 1851, 1852,  ..., 1897, 1898, 1899],\n"
            "        [1900, 1901, 1902,  ..., 1947, 1948, 1949],\n"
            "        [1950, 1951, 1952,  ..., 1997, 1998, 1999]])");
  const std::string cube = to_string(ops::reshape(arange(1280), {8, 8, 20}));
  EXPECT_NE(cube.find("         [ 140,  141,  142,  ...,  157,  158,  159]],\n\n"
                      "        [[ 160,  161,  162,  ...,  177,  178,  179],\n"),
            std::string::npos)
      << cube;
  EXPECT_NE(cube.find("         [ 460,  461,  462,  ...,  477,  478,  479]],\n\n"
                      "        ...,\n\n"
                      "        [[ 800,  801,  802,  ...,  817,  818,  819],\n"),
            std::string::npos)
      << cube;
  EXPECT_NE(cube.find("         [  40,   41,   42,  ...,   57,   58,   59],\n"
                      "         ...,\n"
                      "         [ 100,  101,  102,  ...,  117,  118,  119],\n"),
            std::string::npos)
      << cube;
}

TEST(Tensor, ItemConvertsBetweenDtypesAsLibtorchDoes) {
  EXPECT_EQ(scalar_tensor(7.0f).item<int64_t>(), 7);
  const Tensor six = ops::narrow(arange(7), 0, 6, 1);  // int64, one element
  EXPECT_EQ(six.item(), 6.0f);
  EXPECT_EQ(six.item<int64_t>(), 6);
  testing::expect_error([] { scalar_tensor(2.5f).item<int64_t>(); },
                        {"item:", "2.5 is not a whole number", "item<float>()"});
  testing::expect_error([] { arange(3).at({1}); }, {"at:", "holds int64, asked for float32"});
  testing::expect_error([] { arange(3).to_vector(); }, {"to_vector:", "holds int64"});
}

TEST(Blas, ChoosesSkylakeXKernelsOnlyForAvx512CpusAndNeverOverridesTheUser) {
  EXPECT_EQ(blas::choose_core_type(true, nullptr), "SkylakeX");
  EXPECT_EQ(blas::choose_core_type(false, nullptr), "");
  EXPECT_EQ(blas::choose_core_type(true, "Haswell"), "");
  EXPECT_EQ(blas::choose_core_type(true, ""), "SkylakeX");
  EXPECT_FALSE(blas::core_name().empty());
}

// Under an address-space limit with no room for OpenBLAS's buffers (a 128 MiB one per thread and
// one more per thread that calls it), loading it would spin for ever: heed refuses first.
TEST(Blas, RefusesToLoadOpenBlasWithoutRoomForItsBuffers) {
  if (kAddressSanitizer) GTEST_SKIP() << "RLIMIT_AS does not work under AddressSanitizer";
  EXPECT_NO_THROW(blas::check_room_for_openblas());
  const int status = status_of_child_with_memory_limit(200 << 20, [] {
    try {
      blas::check_room_for_openblas();
    } catch (const Error& e) {
      const std::string message = e.what();
      return message.find("OpenBLAS needs about") != std::string::npos &&
                     message.find("the limit (ulimit -v) is") != std::string::npos
                 ? 0
                 : 2;
    }
    return 1;
  });
  ASSERT_TRUE(WIFEXITED(status)) << "the child died of signal " << WTERMSIG(status);
  EXPECT_EQ(WEXITSTATUS(status), 0) << "1: no error under a limit 200 MiB above what the process maps; 2: another message";
}

TEST(Blas, SgemmWithTransposeFlags) {
  // A = [[1, 2], [3, 4]] stored transposed: [1, 3, 2, 4]; B = I; C = A.
  std::vector<float> a_transposed{1, 3, 2, 4}, identity{1, 0, 0, 1}, c(4, -1.f);
  blas::sgemm(true, false, 2, 2, 2, 1.f, a_transposed.data(), 2, identity.data(), 2, 0.f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{1, 2, 3, 4}));
  blas::sgemm(true, false, 2, 2, 2, 1.f, a_transposed.data(), 2, identity.data(), 2, 1.f, c.data(), 2);
  EXPECT_EQ(c, (std::vector<float>{2, 4, 6, 8}));  // beta = 1 accumulates
}

}  // namespace
}  // namespace heed
