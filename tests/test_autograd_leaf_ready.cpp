// backward's on_leaf_ready hook: each leaf fires once, when its gradient is final for the pass, in
// the order backward finishes them (data-parallel training starts its all-reduces from it).
#include "heed/core/kernels.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;

// Records every leaf the hook reports, with a copy of its gradient at that moment.
struct ReadyLog {
  std::vector<TensorImpl*> leaves;
  std::vector<Tensor> grads_then;
  LeafGradReady hook() {
    return [this](const Tensor& leaf) {
      leaves.push_back(leaf.impl());
      grads_then.push_back(contiguous_copy(leaf.grad()));
    };
  }
};

TEST(AutogradLeafReady, SharedParameterFiresOnceAfterEveryContribution) {
  Tensor w = from_vector({0.5f, -1.f}).set_requires_grad();
  Tensor x = from_vector({2.f, 3.f});
  // w is used at the start of the graph (inside tanh) and at its end (w * 5): two contributions
  // reach it at very different points of the backward pass.
  Tensor loss = ops::sum(ops::tanh(x * w) * 2.f) + ops::sum(w * 5.f);
  ReadyLog log;
  backward(loss, Tensor(), false, log.hook());
  ASSERT_EQ(log.leaves.size(), 1u);
  EXPECT_EQ(log.leaves[0], w.impl());
  // d/dw = 2 · x · (1 − tanh²(x w)) + 5, the full gradient, already there when the hook ran.
  EXPECT_TRUE(all_close(log.grads_then[0], w.grad()));
  std::vector<float> expected;
  for (float xi : {2.f, 3.f}) {
    const float wi = xi == 2.f ? 0.5f : -1.f;
    const float t = std::tanh(xi * wi);
    expected.push_back(2.f * xi * (1.f - t * t) + 5.f);
  }
  EXPECT_TRUE(all_close(w.grad(), from_vector(expected)));
}

TEST(AutogradLeafReady, LeavesThePassDoesNotReachNeverFire) {
  Tensor used = from_vector({1.f, 2.f}).set_requires_grad();
  Tensor unused = from_vector({3.f}).set_requires_grad();
  Tensor detached = from_vector({4.f, 5.f}).set_requires_grad();
  Tensor loss = ops::sum(used * detached.detach());
  ReadyLog log;
  backward(loss, Tensor(), false, log.hook());
  ASSERT_EQ(log.leaves.size(), 1u);
  EXPECT_EQ(log.leaves[0], used.impl());
  EXPECT_FALSE(unused.grad().defined());
  EXPECT_FALSE(detached.grad().defined());
}

TEST(AutogradLeafReady, LeavesFireInReverseOrderOfUse) {
  Tensor a = from_vector({1.f, 2.f}).set_requires_grad();
  Tensor b = from_vector({3.f, 4.f}).set_requires_grad();
  Tensor c = from_vector({5.f, 6.f}).set_requires_grad();
  Tensor x = from_vector({0.1f, 0.2f});
  Tensor loss = ops::sum(ops::tanh(ops::tanh(x * a) * b) * c);  // a first, c last
  ReadyLog log;
  backward(loss, Tensor(), false, log.hook());
  EXPECT_EQ(log.leaves, (std::vector<TensorImpl*>{c.impl(), b.impl(), a.impl()}));
  const std::vector<Tensor> in_firing_order = {c, b, a};
  for (size_t i = 0; i < log.grads_then.size(); ++i)
    EXPECT_TRUE(all_close(log.grads_then[i], in_firing_order[i].grad()));
}

TEST(AutogradLeafReady, ALeafRootFiresItself) {
  Tensor x = from_vector({7.f}).set_requires_grad();
  ReadyLog log;
  backward(x, Tensor(), false, log.hook());
  ASSERT_EQ(log.leaves.size(), 1u);
  EXPECT_EQ(log.leaves[0], x.impl());
  EXPECT_FLOAT_EQ(log.grads_then[0].item(), 1.f);
}

}  // namespace
}  // namespace heed
