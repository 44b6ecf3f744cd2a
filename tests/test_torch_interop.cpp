// heed <-> PyTorch: tools/torch_interop.py rebuilds heed's Transformer and LSTMSeq2Seq in PyTorch
// under heed's state-dict names. Here heed saves model directories (five configurations covering
// both kinds, pre- and post-norm, both position kinds, shared and tied tables, the three RNN
// attentions, with and without input feeding and a bidirectional encoder) with a batch and heed's
// logits; the script checks PyTorch computes the same logits from heed's weights, then writes
// PyTorch-initialised weights and PyTorch's logits, which heed loads and must reproduce within 1e-4.
// The only test that runs Python: skipped when /usr/bin/python3 cannot import torch.
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <random>

#include <sys/wait.h>

#include "heed/core/autograd.h"
#include "heed/core/factories.h"
#include "heed/nn/serialize.h"
#include "heed/train/model_dir.h"
#include "test_util.h"
#include "train_test_util.h"

namespace heed {
namespace {

namespace fs = std::filesystem;
constexpr const char* kPython = "/usr/bin/python3";
constexpr double kTolerance = 1e-4;

bool python_has_torch() {
  return std::system(fmt::format("{} -c 'import torch' >/dev/null 2>&1", kPython).c_str()) == 0;
}

// Runs the script with `args`; returns its exit status and appends its output to *output.
int run_script(const std::string& args, std::string* output) {
  const std::string command = fmt::format("{} {}/torch_interop.py {} 2>&1", kPython, HEED_TOOLS_DIR, args);
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return -1;
  std::array<char, 512> buffer{};
  while (fgets(buffer.data(), static_cast<int>(buffer.size()), pipe) != nullptr) *output += buffer.data();
  const int status = pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// A batch of B = 3 rows: sources of 6, 3 and 1 real tokens then padding, targets of 5 tokens with
// one padded row end. Ids are random in [1, vocab) (0 is pad).
std::pair<Tensor, Tensor> batch_for(int64_t source_vocab, int64_t target_vocab) {
  std::mt19937 rng(11);
  const std::array<int64_t, 3> source_lengths{6, 3, 1}, target_lengths{5, 5, 2};
  std::vector<int64_t> src, tgt;
  for (size_t row = 0; row < 3; ++row) {
    for (int64_t s = 0; s < 6; ++s)
      src.push_back(s < source_lengths[row] ? 1 + static_cast<int64_t>(rng() % (source_vocab - 1)) : 0);
    for (int64_t t = 0; t < 5; ++t)
      tgt.push_back(t < target_lengths[row] ? 1 + static_cast<int64_t>(rng() % (target_vocab - 1)) : 0);
  }
  return {from_vector(src, {3, 6}), from_vector(tgt, {3, 5})};
}

Tensor logits_of(const models::Seq2Seq& model, const Tensor& src, const Tensor& tgt_in) {
  NoGradGuard no_grad;
  return model.forward(src, tgt_in);  // (B, T, V)
}

double max_difference(const Tensor& a, const Tensor& b) {
  const std::vector<float> x = a.to_vector<float>(), y = b.to_vector<float>();
  double largest = 0.0;
  for (size_t i = 0; i < x.size(); ++i) largest = std::max(largest, static_cast<double>(std::fabs(x[i] - y[i])));
  return largest;
}

using MakeConfig = std::function<train::ModelConfig(int64_t, int64_t)>;

std::vector<std::pair<std::string, MakeConfig>> configurations() {
  return {
      {"transformer_prenorm_sinusoidal",
       [](int64_t s, int64_t t) -> train::ModelConfig {
         models::TransformerConfig c = testing::tiny_transformer(s, t);
         c.dropout = 0.1f;  // evaluation mode turns it off on both sides
         return c;
       }},
      {"transformer_postnorm_learned_shared_tied_gelu",
       [](int64_t s, int64_t t) -> train::ModelConfig {
         models::TransformerConfig c = testing::tiny_transformer(s, t);
         c.norm_first = false;
         c.positions = models::PositionalEncoding::Learned;
         c.max_length = 16;
         c.share_embeddings = c.tie_output = true;
         c.activation = nn::Activation::GELU;
         return c;
       }},
      {"lstm_additive_bidirectional_2layers",
       [](int64_t s, int64_t t) -> train::ModelConfig {
         models::LSTMSeq2SeqConfig c = testing::tiny_lstm(s, t);
         c.num_layers = 2;
         c.dropout = 0.2f;
         return c;
       }},
      {"lstm_general_forward_no_feeding",
       [](int64_t s, int64_t t) -> train::ModelConfig {
         models::LSTMSeq2SeqConfig c = testing::tiny_lstm(s, t);
         c.attention = models::RnnAttentionKind::LuongGeneral;
         c.bidirectional_encoder = false;
         c.input_feeding = false;
         return c;
       }},
      {"lstm_dot",
       [](int64_t s, int64_t t) -> train::ModelConfig {
         models::LSTMSeq2SeqConfig c = testing::tiny_lstm(s, t);
         c.attention = models::RnnAttentionKind::LuongDot;
         return c;
       }},
  };
}

TEST(TorchInterop, LogitsAgreeBothWays) {
  if (!python_has_torch()) GTEST_SKIP() << kPython << " cannot import torch (install python3-torch): skipped";
  const fs::path root = fs::temp_directory_path() / "heed_test_torch_interop";
  fs::remove_all(root);
  const auto pairs = testing::reversal_pairs(40);
  std::string dirs;
  for (const auto& [name, make_config] : configurations()) {
    const train::Translator translator = testing::tiny_translator(pairs, make_config);
    translator.model().eval();
    const fs::path dir = root / name;
    train::save_model_dir(translator, dir.string());
    auto [src, tgt_in] = batch_for(translator.model().source_vocab_size(), translator.model().target_vocab_size());
    nn::save({{"src", src}, {"tgt_in", tgt_in}, {"logits", logits_of(translator.model(), src, tgt_in)}},
             (dir / "batch.safetensors").string());
    dirs += fmt::format(" {}", dir.string());
  }

  // heed -> PyTorch (the script compares), then PyTorch's own weights and logits into <dir>/torch.
  std::string output;
  ASSERT_EQ(run_script(fmt::format("both{}", dirs), &output), 0) << output;
  std::printf("%s", output.c_str());  // each model's largest difference, for the record

  for (const auto& [name, make_config] : configurations()) {
    const fs::path dir = root / name / "torch";
    const train::Translator loaded = train::load_model_dir(dir.string());
    nn::StateDict batch = nn::load((dir / "batch.safetensors").string());
    const Tensor logits = logits_of(loaded.model(), batch.at("src"), batch.at("tgt_in"));
    ASSERT_EQ(logits.shape(), batch.at("logits").shape()) << name;
    const double difference = max_difference(logits, batch.at("logits"));
    EXPECT_LE(difference, kTolerance) << name << ": PyTorch -> heed";
    std::printf("%s: PyTorch -> heed max logit difference %.3g\n", name.c_str(), difference);
    // PyTorch's weights are its own, not heed's: heed's freshly built model gives other logits.
    const Tensor heed_initialised = logits_of(testing::tiny_translator(pairs, make_config).model(),
                                              batch.at("src"), batch.at("tgt_in"));
    EXPECT_GT(max_difference(heed_initialised, batch.at("logits")), 1e-2) << name;
  }
  fs::remove_all(root);
}

}  // namespace
}  // namespace heed
