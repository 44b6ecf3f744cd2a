// heed::to_dot: the nodes and edges of a small graph with their labels, a shared subexpression drawn
// once, constants apart from leaves, parameter names, and a deep chain exported without recursion.
#include <regex>

#include "heed/core/graph_dot.h"
#include "heed/ops/matmul.h"
#include "heed/ops/reduce.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::leaf;

// Occurrences of `needle` in `text`.
int64_t count(const std::string& text, const std::string& needle) {
  int64_t n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + needle.size())) ++n;
  return n;
}

TEST(GraphDot, SmallGraphHasOneNodePerOpAndLeaf) {
  Tensor x = leaf({4, 3}), w = leaf({3, 2});
  Tensor loss = ops::sum(ops::tanh(ops::matmul(x, w)));
  const std::string dot = to_dot(loss, {{"w", w}});
  EXPECT_EQ(dot.rfind("digraph heed {", 0), 0u) << dot;
  EXPECT_EQ(count(dot, "shape=box"), 3) << dot;      // matmul, tanh, sum
  EXPECT_EQ(count(dot, "shape=ellipse"), 2) << dot;  // x and w
  EXPECT_EQ(count(dot, " -> "), 4) << dot;           // x, w -> matmul -> tanh -> sum
  EXPECT_NE(dot.find("matmul\\n(4, 2)"), std::string::npos) << dot;
  EXPECT_NE(dot.find("sum\\n()"), std::string::npos) << dot;
  EXPECT_NE(dot.find("w\\n(3, 2)\\nrequires_grad=true"), std::string::npos) << dot;
  // Data flows from the inputs to the op: the matmul node's id is on the right of x's and w's arrows.
  std::smatch matmul;
  ASSERT_TRUE(std::regex_search(dot, matmul, std::regex("(n[0-9]+) \\[shape=box[^\\n]*matmul")));
  EXPECT_EQ(count(dot, " -> " + matmul[1].str() + ";"), 2) << dot;
}

TEST(GraphDot, SharedSubexpressionAppearsOnce) {
  Tensor x = leaf({5});
  Tensor shared = ops::exp(x);
  Tensor loss = ops::sum(shared * shared + shared);
  const std::string dot = to_dot(loss);
  EXPECT_EQ(count(dot, "exp\\n"), 1) << dot;
  EXPECT_EQ(count(dot, "shape=ellipse"), 1) << dot;  // x, once
  std::smatch exp_node;
  ASSERT_TRUE(std::regex_search(dot, exp_node, std::regex("(n[0-9]+) \\[shape=box[^\\n]*exp")));
  EXPECT_EQ(count(dot, exp_node[1].str() + " -> "), 3) << dot;  // into mul twice, into add once
}

TEST(GraphDot, ConstantsNeedNoGradAndLeavesDo) {
  Tensor w = leaf({3});
  Tensor data = from_vector({1.f, 2.f, 3.f});  // requires no grad
  const std::string dot = to_dot(ops::sum(w * data));
  EXPECT_EQ(count(dot, "requires_grad=true"), 1) << dot;
  EXPECT_EQ(count(dot, "constant\\nrequires_grad=false"), 1) << dot;
}

TEST(GraphDot, LeafRootAndEscapedNames) {
  Tensor w = leaf({2});
  const std::string dot = to_dot(w, {{"odd \"name\"", w}});
  EXPECT_NE(dot.find("odd \\\"name\\\""), std::string::npos) << dot;
  EXPECT_EQ(count(dot, " -> "), 0);
  testing::expect_error([] { to_dot(Tensor()); }, {"to_dot", "undefined"});
}

TEST(GraphDot, DeepChainDoesNotOverflowTheStack) {
  Tensor x = leaf({2});
  Tensor y = x;
  constexpr int64_t kDepth = 100000;
  for (int64_t i = 0; i < kDepth; ++i) y = y * 1.0f;
  const std::string dot = to_dot(y);
  EXPECT_EQ(count(dot, "shape=box"), kDepth);
  EXPECT_EQ(count(dot, " -> "), kDepth);
}

}  // namespace
}  // namespace heed
