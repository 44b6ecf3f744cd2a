// The backward engine: accumulation, retain_graph, no-grad, deep graphs, in-place detection,
// and gradcheck's own power to catch wrong gradients.
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;
using testing::leaf;
using Inputs = std::vector<Tensor>;

TEST(Autograd, HandComputedGradient) {
  // y = sum(x * x + 3x)  =>  dy/dx = 2x + 3
  Tensor x = from_vector({1.f, -2.f, 0.5f}).set_requires_grad();
  Tensor y = ops::sum(x * x + x * 3.f);
  y.backward();
  EXPECT_TRUE(all_close(x.grad(), from_vector({5.f, -1.f, 4.f})));
}

TEST(Autograd, TensorUsedManyTimesAccumulates) {
  Tensor x = from_vector({2.f}).set_requires_grad();
  Tensor y = x * x * x + x;  // dy/dx = 3x² + 1 = 13
  y.backward(ones({1}));
  EXPECT_FLOAT_EQ(x.grad().item(), 13.f);
}

TEST(Autograd, GradientsAccumulateAcrossBackwardCalls) {
  Tensor x = from_vector({1.f, 2.f}).set_requires_grad();
  ops::sum(x * 2.f).backward();
  ops::sum(x * 2.f).backward();
  EXPECT_TRUE(all_close(x.grad(), from_vector({4.f, 4.f})));
  x.set_grad(Tensor());
  EXPECT_FALSE(x.grad().defined());
}

TEST(Autograd, NonScalarNeedsExplicitGradient) {
  Tensor x = leaf({3});
  Tensor y = x * 2.f;
  EXPECT_THROW(y.backward(), Error);
  y.backward(from_vector({1.f, 0.f, -1.f}));
  EXPECT_TRUE(all_close(x.grad(), from_vector({2.f, 0.f, -2.f})));
}

TEST(Autograd, GradientOfWrongShapeIsAnError) {
  Tensor x = leaf({3});
  EXPECT_THROW((x * 2.f).backward(ones({4})), Error);
}

TEST(Autograd, BackwardTwiceNeedsRetainGraph) {
  Tensor x = leaf({3});
  Tensor y = ops::sum(ops::tanh(x));
  y.backward(Tensor(), /*retain_graph=*/true);
  Tensor first = x.grad() * 1.f;  // a copy: the next backward adds into x.grad() in place
  y.backward();  // allowed: the graph was retained
  EXPECT_TRUE(all_close(x.grad(), first * 2.f));
  try {
    y.backward();
    FAIL() << "expected heed::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("retain_graph"), std::string::npos) << e.what();
  }
}

TEST(Autograd, NoGradGuardRecordsNothing) {
  Tensor x = leaf({3});
  {
    NoGradGuard no_grad;
    Tensor y = x * 2.f;
    EXPECT_FALSE(y.requires_grad());
    EXPECT_EQ(y.grad_fn(), nullptr);
  }
  EXPECT_TRUE((x * 2.f).requires_grad());
}

TEST(Autograd, DetachCutsTheGraph) {
  Tensor x = leaf({3});
  Tensor m = x * 2.f;
  Tensor y = m.detach();
  EXPECT_FALSE(y.requires_grad());
  EXPECT_TRUE(y.is_leaf());
  EXPECT_EQ(y.storage(), m.storage());  // same data, no graph
  EXPECT_THROW(y.backward(), Error);
}

TEST(Autograd, BackwardWithoutAnyGradIsAnError) {
  EXPECT_THROW(ops::sum(ones({3})).backward(), Error);
}

TEST(Autograd, HundredThousandOpChainNeitherOverflowsNorLeaks) {
  Tensor x = from_vector({1.f}).set_requires_grad();
  Tensor y = x;
  for (int i = 0; i < 100000; ++i) y = y + 0.0f;
  y.backward(ones({1}));
  EXPECT_FLOAT_EQ(x.grad().item(), 1.f);
  // A long graph dropped without backward must be freed without recursion too.
  Tensor z = x;
  for (int i = 0; i < 100000; ++i) z = z * 1.0f;
  z = Tensor();
}

TEST(Autograd, GraphIsFreedAfterBackward) {
  Tensor x = leaf({4});
  Tensor y = ops::sum(ops::exp(x));
  std::weak_ptr<Node> node = y.grad_fn();
  y.backward();
  EXPECT_TRUE(y.grad_fn()->inputs.empty());   // edges released
  EXPECT_EQ(y.grad_fn()->backward, nullptr);  // saved tensors released
  y = Tensor();
  EXPECT_TRUE(node.expired());
}

TEST(Autograd, InPlaceWriteToSavedTensorIsRefused) {
  Tensor x = leaf({3});
  Tensor h = ops::exp(x);  // exp saves its output
  Tensor y = ops::sum(h);
  h.mutable_data<float>()[0] = 5.0f;  // an in-place write after saving
  try {
    y.backward();
    FAIL() << "expected heed::Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("exp"), std::string::npos) << message;
    EXPECT_NE(message.find("modified in place"), std::string::npos) << message;
  }
}

// A custom op through the public `record`: y = 3x with a backward that can be broken on purpose.
Tensor scaled(const Tensor& x, float backward_factor, bool transpose_grad) {
  Tensor out = ops::mul(x.detach(), 3.0f);
  record("scaled", out, {x}, [=](const Tensor& g, NeedsGrad) {
    Tensor grad = ops::mul(g, 3.0f * backward_factor);
    if (transpose_grad) grad = make_view(grad, {grad.size(1), grad.size(0)}, {1, grad.size(1)}, 0);
    return std::vector<Tensor>{grad};
  });
  return out;
}

// y = x through a custom op whose backward throws an AnomalyError while `*fail` is true.
Tensor failing_identity(const Tensor& x, const bool* fail) {
  Tensor out = x.detach();
  record("failing_identity", out, {x}, [fail](const Tensor& g, NeedsGrad) {
    if (*fail) throw AnomalyError("made to fail");
    return std::vector<Tensor>{g};
  });
  return out;
}

// A backward that throws midway changes no .grad() (a leaf that held a sum keeps it bit for bit, a
// leaf without one stays without), leaves no sum pending in a node, and keeps the error's type:
// with retain_graph, the same graph then gives exactly the gradients of a pass that never failed.
TEST(Autograd, BackwardThatThrowsChangesNoGradient) {
  Tensor w = leaf({3}), v = leaf({3});
  ops::sum(w * 5.f).backward();  // w holds a sum from an earlier pass
  const std::vector<float> w_grad_before = w.grad().to_vector<float>();
  bool fail = true;
  // The product's branch runs first (the engine walks the last input's branch first), adding into
  // w's and v's .grad(); then the failing op throws.
  Tensor loss = ops::sum(failing_identity(w, &fail)) + ops::sum(w * v);
  try {
    backward(loss, Tensor(), /*retain_graph=*/true);
    FAIL() << "expected an AnomalyError";
  } catch (const AnomalyError& e) {
    EXPECT_NE(std::string(e.what()).find("backward of 'failing_identity': made to fail"), std::string::npos) << e.what();
  }
  EXPECT_EQ(w.grad().to_vector<float>(), w_grad_before);
  EXPECT_FALSE(v.grad().defined());
  for (const Edge& edge : loss.grad_fn()->inputs) EXPECT_FALSE(edge.node->pending_grad.defined());

  fail = false;
  backward(loss);
  Tensor w_once = w.detach().set_requires_grad(), v_once = v.detach().set_requires_grad();
  ops::sum(w_once * 5.f).backward();
  (ops::sum(failing_identity(w_once, &fail)) + ops::sum(w_once * v_once)).backward();  // the same graph
  EXPECT_EQ(w.grad().to_vector<float>(), w_once.grad().to_vector<float>());
  EXPECT_EQ(v.grad().to_vector<float>(), v_once.grad().to_vector<float>());
}

TEST(Gradcheck, AcceptsACorrectBackward) {
  Tensor x = leaf({3, 3});
  EXPECT_TRUE(gradcheck([](const Inputs& in) { return scaled(in[0], 1.0f, false); }, {x}, "scaled"));
}

TEST(Gradcheck, CatchesAGradientWrongByTenPercent) {
  Tensor x = leaf({3, 3});
  GradcheckResult result = gradcheck([](const Inputs& in) { return scaled(in[0], 1.1f, false); }, {x}, "scaled");
  EXPECT_FALSE(result.ok);
  EXPECT_NE(result.message.find("scaled"), std::string::npos) << result.message;
  EXPECT_NE(result.message.find("expected"), std::string::npos) << result.message;
}

TEST(Gradcheck, CatchesATransposedGradient) {
  Tensor x = leaf({3, 3});
  auto f = [](const Inputs& in) { return ops::mul(scaled(in[0], 1.0f, true), from_vector({1.f, 2.f, 3.f, 4.f, 5.f, 6.f, 7.f, 8.f, 9.f}, {3, 3})); };
  EXPECT_FALSE(gradcheck(f, {x}, "scaled transposed").ok);
}

}  // namespace
}  // namespace heed
