// nn::Module: registration, dotted names, train/eval, zero_grad, state dicts, printouts, and the
// simple layers built on it (Linear, Embedding, LayerNorm, Dropout, Sequential, ModuleList).
#include "test_util.h"

namespace heed {
namespace {

using testing::all_close;
using testing::expect_error;

struct Block : nn::Module {
  std::shared_ptr<nn::Linear> linear1 = register_module("linear1", nn::Linear(4, 8));
  std::shared_ptr<nn::LayerNorm> norm1 = register_module("norm1", nn::LayerNorm(8));
  std::shared_ptr<nn::Dropout> dropout = register_module("dropout", nn::Dropout(0.1f));
};

struct Net : nn::Module {
  std::shared_ptr<nn::Embedding> emb = register_module("emb", nn::Embedding(10, 4, {.padding_idx = 0}));
  std::shared_ptr<nn::ModuleList<Block>> layers = register_module("layers", nn::ModuleList<Block>());
  Tensor scale = register_buffer("scale", ones({1}));
  Net() {
    layers->push_back(Block());
    layers->push_back(Block());
  }
};

std::vector<std::string> names(const nn::Named<Tensor>& named) {
  std::vector<std::string> out;
  for (auto& [name, tensor] : named) out.push_back(name);
  return out;
}

TEST(Module, DottedNamesInRegistrationOrder) {
  Net net;
  EXPECT_EQ(names(net.named_parameters()),
            (std::vector<std::string>{"emb.weight", "layers.0.linear1.weight", "layers.0.linear1.bias",
                                      "layers.0.norm1.weight", "layers.0.norm1.bias", "layers.1.linear1.weight",
                                      "layers.1.linear1.bias", "layers.1.norm1.weight", "layers.1.norm1.bias"}));
  EXPECT_EQ(names(net.named_buffers()), (std::vector<std::string>{"scale"}));
  EXPECT_EQ(net.parameter_count(), 10 * 4 + 2 * (8 * 4 + 8 + 8 + 8));
  for (const Tensor& p : net.parameters()) EXPECT_TRUE(p.requires_grad());
}

TEST(Module, TrainAndEvalReachEveryDescendant) {
  Net net;
  EXPECT_TRUE((*net.layers)[1].dropout->is_training());
  net.eval();
  EXPECT_FALSE((*net.layers)[1].dropout->is_training());
  Tensor x = ones({2, 8});
  EXPECT_TRUE(all_close((*net.layers)[0].dropout->forward(x), x));  // identity in eval mode
  net.train();
  EXPECT_TRUE((*net.layers)[0].dropout->is_training());
}

TEST(Module, ZeroGradDropsGradients) {
  nn::Linear layer(3, 2);
  ops::sum(layer.forward(ones({4, 3}))).backward();
  EXPECT_TRUE(layer.weight.grad().defined());
  layer.zero_grad();
  EXPECT_FALSE(layer.weight.grad().defined());
  EXPECT_FALSE(layer.bias.grad().defined());
}

TEST(Module, StateDictRoundTrip) {
  manual_seed(1);
  Net source;
  manual_seed(2);
  Net target;
  ASSERT_FALSE(all_close(source.emb->weight, target.emb->weight));
  target.load_state_dict(source.state_dict());
  for (auto& [name, tensor] : target.state_dict()) EXPECT_TRUE(all_close(tensor, source.state_dict().at(name))) << name;
  // load_state_dict writes into the existing tensors: the layers see the new values.
  EXPECT_TRUE(all_close((*target.layers)[1].linear1->weight, (*source.layers)[1].linear1->weight));
}

TEST(Module, LoadStateDictRefusesMismatchesAndChangesNothing) {
  Net net;
  nn::StateDict before;
  for (auto& [name, tensor] : net.state_dict()) before[name] = tensor * 1.f;
  auto unchanged = [&] {
    for (auto& [name, tensor] : net.state_dict()) EXPECT_TRUE(all_close(tensor, before.at(name))) << name;
  };

  nn::StateDict wrong_shape = net.state_dict();
  wrong_shape["layers.1.linear1.weight"] = zeros({8, 5});
  wrong_shape["emb.weight"] = zeros({10, 4});  // a good key, sorted first: must not be written either
  expect_error([&] { net.load_state_dict(wrong_shape); }, {"layers.1.linear1.weight", "[8, 4]", "[8, 5]"});
  unchanged();

  nn::StateDict missing = net.state_dict();
  missing.erase("layers.0.norm1.bias");
  for (auto& [name, tensor] : missing) missing[name] = zeros(tensor.shape());
  expect_error([&] { net.load_state_dict(missing); }, {"missing", "layers.0.norm1.bias"});
  unchanged();

  nn::StateDict unexpected = net.state_dict();
  unexpected["decoder.weight"] = zeros({1});
  expect_error([&] { net.load_state_dict(unexpected); }, {"unexpected", "decoder.weight"});
  net.load_state_dict(unexpected, /*strict=*/false);  // the extra key is ignored

  nn::StateDict wrong_dtype = net.state_dict();
  wrong_dtype["scale"] = from_vector(std::vector<int64_t>{1});
  expect_error([&] { net.load_state_dict(wrong_dtype); }, {"scale", "int64", "float32"});
}

TEST(Module, SharedParameterIsListedOnce) {
  struct Tied : nn::Module {
    std::shared_ptr<nn::Embedding> emb = register_module("emb", nn::Embedding(5, 3));
    std::shared_ptr<nn::Embedding> same = register_module("same", emb);
  } tied;
  EXPECT_EQ(names(tied.named_parameters()), (std::vector<std::string>{"emb.weight"}));
}

TEST(Module, RegistrationErrors) {
  struct Bad : nn::Module {
    void twice() {
      register_parameter("w", zeros({1}));
      register_parameter("w", zeros({1}));
    }
    void dotted() { register_buffer("a.b", zeros({1})); }
    void not_a_leaf() { register_parameter("w2", ones({1}, {.requires_grad = true}) * 2.f); }
  } bad;
  expect_error([&] { bad.twice(); }, {"'w' is already registered"});
  expect_error([&] { bad.dotted(); }, {"a.b"});
  expect_error([&] { bad.not_a_leaf(); }, {"w2", "leaf"});
}

TEST(Module, PrintsTheTreeWithShapesAndCounts) {
  Net net;
  std::string text = net.to_string();
  EXPECT_NE(text.find("Net  [152 parameters]"), std::string::npos) << text;
  EXPECT_NE(text.find("  emb: Embedding(10, 4, padding_idx=0)  [40 parameters]\n    weight [10, 4]"), std::string::npos) << text;
  EXPECT_NE(text.find("    0: Block  [56 parameters]"), std::string::npos) << text;
  EXPECT_NE(text.find("      linear1: Linear(in_features=4, out_features=8, bias=true)  [40 parameters]"),
            std::string::npos) << text;
  EXPECT_NE(text.find("scale [1] (buffer)"), std::string::npos) << text;
}

TEST(Layers, LinearMatchesItsDefinitionAndInitBounds) {
  manual_seed(3);
  nn::Linear layer(16, 5);
  float bound = 1.0f / 4.0f;  // 1/√16
  for (float w : layer.weight.to_vector()) EXPECT_LE(std::fabs(w), bound);
  for (float b : layer.bias.to_vector()) EXPECT_LE(std::fabs(b), bound);
  Tensor x = randn({3, 16});
  EXPECT_TRUE(all_close(layer.forward(x), ops::matmul(x, ops::transpose(layer.weight, 0, 1)) + layer.bias, 1e-5, 1e-5));
  EXPECT_FALSE(nn::Linear(4, 2, {.bias = false}).bias.defined());
}

TEST(Layers, EmbeddingPaddingRowStartsAtZero) {
  manual_seed(4);
  nn::Embedding emb(6, 3, {.padding_idx = -1});
  EXPECT_EQ(emb.padding_idx, 5);
  EXPECT_TRUE(all_close(ops::narrow(emb.weight, 0, 5, 1), zeros({1, 3})));
  Tensor out = emb.forward(from_vector(std::vector<int64_t>{5, 1}, {1, 2}));
  EXPECT_EQ(out.shape(), (Shape{1, 2, 3}));
}

TEST(Layers, SequentialAppliesInOrder) {
  manual_seed(5);
  nn::Sequential mlp;
  mlp.push_back(nn::Linear(4, 16)).push_back(nn::ReLU()).push_back(nn::Linear(16, 2));
  EXPECT_EQ(names(mlp.named_parameters()), (std::vector<std::string>{"0.weight", "0.bias", "2.weight", "2.bias"}));
  Tensor x = randn({3, 4});
  auto& first = dynamic_cast<nn::Linear&>(*mlp.named_children()[0].second);
  auto& last = dynamic_cast<nn::Linear&>(*mlp.named_children()[2].second);
  EXPECT_TRUE(all_close(mlp.forward(x), last.forward(ops::relu(first.forward(x)))));
}

TEST(Layers, GradcheckThroughModules) {
  manual_seed(6);
  nn::Linear layer(3, 6);
  nn::LayerNorm norm(6);  // over more than 2 features: normalising 2 values is nearly singular
  Tensor x = testing::leaf({4, 3});
  std::vector<Tensor> inputs{x, layer.weight, layer.bias, norm.weight, norm.bias};
  EXPECT_GRADCHECK([&](const std::vector<Tensor>&) { return ops::tanh(norm.forward(layer.forward(x))); }, inputs,
                   "Linear -> LayerNorm -> tanh");
}

}  // namespace
}  // namespace heed
