// Elementwise ops: values, broadcasting, gradcheck of every op (dense, broadcast, strided), and
// PyTorch's golden values for gelu.
#include "golden.h"
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;
using testing::leaf;
using Inputs = std::vector<Tensor>;

TEST(Elementwise, AddBroadcastsLikeNumPy) {
  Tensor a = from_vector({1.f, 2.f, 3.f, 4.f, 5.f, 6.f}, {2, 3});
  Tensor b = from_vector({10.f, 20.f, 30.f}, {3});
  EXPECT_TRUE(all_close(a + b, from_vector({11.f, 22.f, 33.f, 14.f, 25.f, 36.f}, {2, 3})));
  Tensor column = from_vector({100.f, 200.f}, {2, 1});
  EXPECT_TRUE(all_close(a + column, from_vector({101.f, 102.f, 103.f, 204.f, 205.f, 206.f}, {2, 3})));
  EXPECT_EQ((column + b).shape(), (Shape{2, 3}));
}

TEST(Elementwise, ScalarForms) {
  Tensor a = from_vector({1.f, 2.f, 4.f});
  EXPECT_TRUE(all_close(a + 1.f, from_vector({2.f, 3.f, 5.f})));
  EXPECT_TRUE(all_close(1.f - a, from_vector({0.f, -1.f, -3.f})));
  EXPECT_TRUE(all_close(a * 2.f, from_vector({2.f, 4.f, 8.f})));
  EXPECT_TRUE(all_close(a / 2.f, from_vector({0.5f, 1.f, 2.f})));
  EXPECT_TRUE(all_close(4.f / a, from_vector({4.f, 2.f, 1.f})));
  EXPECT_TRUE(all_close(-a, from_vector({-1.f, -2.f, -4.f})));
}

TEST(Elementwise, UnaryValues) {
  Tensor x = from_vector({-2.f, -0.5f, 0.5f, 3.f});
  EXPECT_TRUE(all_close(ops::relu(x), from_vector({0.f, 0.f, 0.5f, 3.f})));
  EXPECT_TRUE(all_close(ops::abs(x), from_vector({2.f, 0.5f, 0.5f, 3.f})));
  EXPECT_TRUE(all_close(ops::tanh(x), from_vector({std::tanh(-2.f), std::tanh(-0.5f), std::tanh(0.5f), std::tanh(3.f)})));
  EXPECT_TRUE(all_close(ops::sigmoid(from_vector({0.f})), from_vector({0.5f})));
  EXPECT_TRUE(all_close(ops::pow(from_vector({2.f, 3.f}), 3.f), from_vector({8.f, 27.f})));
  EXPECT_TRUE(all_close(ops::sqrt(from_vector({4.f, 9.f})), from_vector({2.f, 3.f})));
  EXPECT_TRUE(all_close(ops::log(ops::exp(x)), x, 1e-5, 1e-5));
}

TEST(Elementwise, NonBroadcastableShapesNameOpAndShapes) {
  try {
    ops::add(zeros({2, 3}), zeros({4}));
    FAIL() << "expected heed::Error";
  } catch (const Error& e) {
    std::string message = e.what();
    EXPECT_NE(message.find("add"), std::string::npos) << message;
    EXPECT_NE(message.find("[2, 3]"), std::string::npos) << message;
    EXPECT_NE(message.find("[4]"), std::string::npos) << message;
  }
}

TEST(Elementwise, Int64WhereFloatIsNeededIsAnError) {
  EXPECT_THROW(ops::exp(arange(4)), Error);
  EXPECT_THROW(ops::mul(arange(4), ones({4})), Error);
}

TEST(ElementwiseGrad, Binary) {
  manual_seed(1);
  for (auto [name, f] : std::vector<std::pair<const char*, std::function<Tensor(const Inputs&)>>>{
           {"add", [](const Inputs& in) { return in[0] + in[1]; }},
           {"sub", [](const Inputs& in) { return in[0] - in[1]; }},
           {"mul", [](const Inputs& in) { return in[0] * in[1]; }},
           {"div", [](const Inputs& in) { return in[0] / in[1]; }}}) {
    Tensor a = leaf({3, 4}), b = leaf({3, 4}, 0.5f, 2.0f);
    EXPECT_GRADCHECK(f, (Inputs{a, b}), name);
    // broadcast: b is a row, c a column; the gradient must sum back to their shapes
    Tensor row = leaf({4}, 0.5f, 2.0f), column = leaf({3, 1}, 0.5f, 2.0f);
    EXPECT_GRADCHECK(f, (Inputs{a, row}), std::string(name) + " broadcast row");
    EXPECT_GRADCHECK(f, (Inputs{column, row}), std::string(name) + " broadcast both");
  }
}

TEST(ElementwiseGrad, ScalarForms) {
  manual_seed(2);
  Tensor a = leaf({2, 5}, 0.5f, 2.0f);
  EXPECT_GRADCHECK([](const Inputs& in) { return in[0] + 3.f; }, (Inputs{a}), "add scalar");
  EXPECT_GRADCHECK([](const Inputs& in) { return 3.f - in[0]; }, (Inputs{a}), "rsub scalar");
  EXPECT_GRADCHECK([](const Inputs& in) { return in[0] * 3.f; }, (Inputs{a}), "mul scalar");
  EXPECT_GRADCHECK([](const Inputs& in) { return in[0] / 3.f; }, (Inputs{a}), "div scalar");
  EXPECT_GRADCHECK([](const Inputs& in) { return 3.f / in[0]; }, (Inputs{a}), "rdiv scalar");
}

TEST(ElementwiseGrad, Unary) {
  manual_seed(3);
  // Inputs kept away from the kinks of abs and relu and inside the domains of log, sqrt, pow.
  Tensor signed_input = leaf({4, 3}, 0.2f, 1.5f) * from_vector({1.f, -1.f, 1.f}, {3});
  signed_input = signed_input.detach().set_requires_grad();
  Tensor positive = leaf({4, 3}, 0.5f, 2.0f);
  std::vector<std::tuple<const char*, Tensor (*)(const Tensor&), Tensor>> cases = {
      {"neg", ops::neg, signed_input},   {"exp", ops::exp, signed_input},
      {"log", ops::log, positive},       {"sqrt", ops::sqrt, positive},
      {"abs", ops::abs, signed_input},   {"tanh", ops::tanh, signed_input},
      {"sigmoid", ops::sigmoid, signed_input}, {"relu", ops::relu, signed_input},
      {"gelu", ops::gelu, signed_input}};
  for (auto& [name, op, input] : cases)
    EXPECT_GRADCHECK([op](const Inputs& in) { return op(in[0]); }, (Inputs{input}), name);
  EXPECT_GRADCHECK([](const Inputs& in) { return ops::pow(in[0], 2.5f); }, (Inputs{positive}), "pow");
}

TEST(Elementwise, GeluGolden) {
  for (const testing::Json& golden : testing::golden_cases("gelu"))
    testing::expect_matches_golden(golden, [](const testing::NamedTensors& in) { return ops::gelu(in.at("x")); });
}

}  // namespace
}  // namespace heed
