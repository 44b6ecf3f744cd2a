// Thread counts and reproducibility (docs/reproducibility.md): heed's own kernels give the same bits
// whatever the thread count, because each output element is computed by one thread in a fixed
// order and long sums are cut into fixed chunks; OpenBLAS's GEMMs are repeatable at one thread
// count but may round differently at another.
#include <cstring>
#include <functional>
#include <thread>

#include "test_util.h"

namespace heed {
namespace {

using testing::leaf;

// Restores the thread count a test found.
struct ThreadCountGuard {
  int saved = num_threads();
  ~ThreadCountGuard() { set_num_threads(saved); }
};

bool same_bits(const Tensor& a, const Tensor& b) {
  if (a.shape() != b.shape() || a.dtype() != b.dtype()) return false;
  const Tensor x = ops::contiguous(a), y = ops::contiguous(b);
  return std::memcmp(x.data<float>(), y.data<float>(), static_cast<size_t>(x.numel()) * sizeof(float)) == 0;
}

// Runs `compute` from the same seed at 1 and at 2 threads; every tensor it returns must match bit
// for bit. The inputs are large enough that every kernel splits its loop between the threads.
void expect_thread_count_invariant(const char* what, const std::function<std::vector<Tensor>()>& compute) {
  SCOPED_TRACE(what);
  ThreadCountGuard guard;
  std::vector<Tensor> results[2];
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    manual_seed(7);
    results[threads - 1] = compute();
  }
  ASSERT_EQ(results[0].size(), results[1].size());
  for (size_t i = 0; i < results[0].size(); ++i) EXPECT_TRUE(same_bits(results[0][i], results[1][i])) << "result " << i;
}

// out and the gradient of sum(out · r) with respect to each input, r a fixed random tensor.
std::vector<Tensor> with_gradients(const Tensor& out, const std::vector<Tensor>& inputs) {
  Tensor weights = rand(out.shape());
  ops::sum(ops::mul(out, weights)).backward();
  std::vector<Tensor> results = {out.detach()};
  for (const Tensor& input : inputs) results.push_back(input.grad());
  return results;
}

TEST(Threads, HeedKernelsGiveTheSameBitsAtAnyThreadCount) {
  expect_thread_count_invariant("broadcast add and its sum_to", [] {
    Tensor x = leaf({512, 1000}), bias = leaf({1000});
    return with_gradients(ops::add(x, bias), {x, bias});
  });
  expect_thread_count_invariant("sum of one long row", [] {
    Tensor x = leaf({300000});
    return std::vector<Tensor>{ops::sum(x)};
  });
  expect_thread_count_invariant("column sums", [] {
    Tensor x = leaf({64, 40000});
    return with_gradients(ops::sum(x, {0}), {x});
  });
  expect_thread_count_invariant("softmax", [] {
    Tensor x = leaf({512, 1000});
    return with_gradients(ops::softmax(x, -1), {x});
  });
  expect_thread_count_invariant("log_softmax over the first dim", [] {
    Tensor x = leaf({100, 2000});
    return with_gradients(ops::log_softmax(x, 0), {x});
  });
  expect_thread_count_invariant("cross-entropy with label smoothing and padding", [] {
    Tensor logits = leaf({1024, 1000});
    Tensor targets = randint(0, 1000, {1024});
    Tensor loss = ops::cross_entropy(logits, targets, {.ignore_index = 0, .label_smoothing = 0.1f});
    return with_gradients(loss, {logits});
  });
  expect_thread_count_invariant("layer_norm", [] {
    Tensor x = leaf({1024, 256}), weight = leaf({256}), bias = leaf({256});
    return with_gradients(ops::layer_norm(x, {256}, weight, bias), {x, weight, bias});
  });
  expect_thread_count_invariant("dropout", [] {
    Tensor x = leaf({1024, 512});
    return with_gradients(ops::dropout(x, 0.1f, /*training=*/true), {x});
  });
  expect_thread_count_invariant("embedding and its scatter-add", [] {
    Tensor table = leaf({1000, 128});
    Tensor ids = randint(0, 50, {64, 64});  // many repeats: rows of the gradient are sums
    return with_gradients(ops::embedding(table, ids, 0), {table});
  });
  expect_thread_count_invariant("additive attention scores", [] {
    Tensor keys = leaf({64, 32, 256}), query = leaf({64, 256}), v = leaf({256});
    return with_gradients(ops::additive_scores(keys, query, v), {keys, query, v});
  });
  expect_thread_count_invariant("elementwise maths", [] {
    Tensor x = leaf({512, 1000});
    return with_gradients(ops::mul(ops::gelu(x), ops::tanh(ops::sigmoid(x))), {x});
  });
  expect_thread_count_invariant("Adam steps", [] {
    Tensor w = leaf({512, 1000});
    optim::Adam adam({w}, {.lr = 1e-2f});
    for (int step = 0; step < 3; ++step) {
      adam.zero_grad();
      ops::sum(ops::mul(w, w)).backward();
      adam.step();
    }
    return std::vector<Tensor>{w.detach()};
  });
}

TEST(Threads, GemmsRepeatAtOneThreadCount) {
  ThreadCountGuard guard;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    manual_seed(3);
    Tensor a = randn({1024, 512}), b = randn({512, 384});
    EXPECT_TRUE(same_bits(ops::matmul(a, b), ops::matmul(a, b))) << threads << " threads";
  }
}

// 30 Adam steps of a two-layer network with dropout, from `seed`, on the calling thread with one
// OpenMP thread; the final weights. Dropout draws from the generator at every step.
std::vector<float> train_with_dropout(uint64_t seed) {
  set_num_threads(1);
  manual_seed(seed);
  nn::Linear first(16, 64), second(64, 4);
  std::vector<Tensor> parameters = first.parameters();
  for (const Tensor& p : second.parameters()) parameters.push_back(p);
  optim::Adam adam(parameters, {.lr = 1e-2f});
  for (int step = 0; step < 30; ++step) {
    const Tensor x = randn({32, 16});                                              // (32, 16)
    const Tensor hidden = ops::dropout(ops::relu(first.forward(x)), 0.3f, true);  // (32, 64)
    const Tensor y = second.forward(hidden);                                       // (32, 4)
    adam.zero_grad();
    ops::mean(ops::mul(y, y)).backward();
    adam.step();
  }
  std::vector<float> weights;
  for (const Tensor& p : parameters)
    for (float v : p.to_vector<float>()) weights.push_back(v);
  return weights;
}

// Each thread has its own default generator and grad mode, and storages count their writes
// atomically, so two threads that train two models at once each end with the bits they end with
// alone. (With one shared generator, each run would draw the other's dropout counters.)
TEST(Threads, TwoThreadsTrainTwoModelsAsEachWouldAlone) {
  ThreadCountGuard guard;
  const std::vector<float> alone_1 = train_with_dropout(1), alone_2 = train_with_dropout(2);
  ASSERT_NE(alone_1, alone_2);
  for (int round = 0; round < 3; ++round) {
    std::vector<float> together_1, together_2;
    std::thread one([&] { together_1 = train_with_dropout(1); });
    std::thread two([&] { together_2 = train_with_dropout(2); });
    one.join();
    two.join();
    EXPECT_EQ(together_1, alone_1) << "round " << round;
    EXPECT_EQ(together_2, alone_2) << "round " << round;
  }
}

TEST(Threads, ManualSeedSeedsOnlyTheCallingThreadsGenerator) {
  manual_seed(5);
  default_generator().reserve(10);
  std::thread([] {
    EXPECT_EQ(default_generator().state().seed, 0u);
    EXPECT_EQ(default_generator().state().offset, 0u);
    manual_seed(9);
  }).join();
  EXPECT_EQ(default_generator().state().seed, 5u);
  EXPECT_EQ(default_generator().state().offset, 10u);
}

// An exception may not leave an OpenMP region (that would be std::terminate): parallel_for keeps
// the first one a chunk throws and rethrows it, of its own type, after the region; the other
// chunks finish their part.
TEST(Threads, AnExceptionInAParallelLoopReachesTheCallerWithItsType) {
  ThreadCountGuard guard;
  for (int threads : {1, 2}) {
    set_num_threads(threads);
    constexpr int64_t kCount = 1 << 16;
    std::vector<int> visited(kCount, 0);
    try {
      parallel_for(0, kCount, 1, [&](int64_t lo, int64_t hi) {
        if (hi == kCount) throw AnomalyError("the last chunk failed");
        for (int64_t i = lo; i < hi; ++i) visited[static_cast<size_t>(i)] = 1;
      });
      FAIL() << "expected an AnomalyError at " << threads << " thread(s)";
    } catch (const AnomalyError& e) {
      EXPECT_STREQ(e.what(), "the last chunk failed");
    }
    if (threads == 2) {
      EXPECT_EQ(visited[0], 1) << "the first chunk did not finish";
    }
  }
}

}  // namespace
}  // namespace heed
