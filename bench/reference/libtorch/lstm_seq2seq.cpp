// libtorch's twin of `heed bench lstm` (heed's train/benchmark_lstm.h, PyTorch's
// bench/reference/lstm_seq2seq.py): an LSTM encoder (128 -> 256), an LSTMCell decoder fed
// [target embedding; previous context], additive attention without biases, padding masked, an
// output Linear on [h; context]; cross-entropy (ignore_index 0), Adam lr 1e-3; 1,953,000 parameters.
//
//   build-reference/lstm_seq2seq [--steps 10] [--warmup 2] [--seed 1]
#include "workload.h"

namespace {

constexpr int64_t kVocab = 1000, kEmbedding = 128, kHidden = 256, kBatch = 32, kLength = 32;

torch::nn::Linear bias_free(int64_t in, int64_t out) {
  return torch::nn::Linear(torch::nn::LinearOptions(in, out).bias(false));
}

struct BenchmarkLSTM : torch::nn::Module {
  torch::nn::Embedding source_embedding = register_module(
      "source_embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(kVocab, kEmbedding).padding_idx(0)));
  torch::nn::LSTM encoder =
      register_module("encoder", torch::nn::LSTM(torch::nn::LSTMOptions(kEmbedding, kHidden).batch_first(true)));
  torch::nn::Embedding target_embedding = register_module(
      "target_embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(kVocab, kEmbedding).padding_idx(0)));
  torch::nn::LSTMCell decoder = register_module("decoder", torch::nn::LSTMCell(kEmbedding + kHidden, kHidden));
  torch::nn::Linear query_proj = register_module("query_proj", bias_free(kHidden, kHidden));
  torch::nn::Linear key_proj = register_module("key_proj", bias_free(kHidden, kHidden));
  torch::nn::Linear v = register_module("v", bias_free(kHidden, 1));
  torch::nn::Linear generator = register_module("generator", torch::nn::Linear(2 * kHidden, kVocab));

  // src (B, S), tgt_in (B, T) -> logits (B, T, V)
  torch::Tensor forward(const torch::Tensor& src, const torch::Tensor& tgt_in) {
    auto [memory, finals] = encoder->forward(source_embedding->forward(src));  // (B, S, H), (1, B, H) each
    torch::Tensor keys = key_proj->forward(memory);                             // (B, S, H)
    torch::Tensor padding = src.eq(0);                                          // (B, S)
    torch::Tensor embedded = target_embedding->forward(tgt_in);                 // (B, T, E)
    torch::Tensor h = std::get<0>(finals)[0], c = std::get<1>(finals)[0];       // (B, H)
    torch::Tensor context = torch::zeros({src.size(0), kHidden});
    std::vector<torch::Tensor> outputs;
    for (int64_t t = 0; t < tgt_in.size(1); ++t) {
      std::tie(h, c) = decoder->forward(torch::cat({embedded.select(1, t), context}, 1), std::make_tuple(h, c));
      torch::Tensor scores = v->forward(torch::tanh(query_proj->forward(h).unsqueeze(1) + keys)).squeeze(2);
      torch::Tensor weights = torch::softmax(scores.masked_fill(padding, -INFINITY), 1);  // (B, S)
      context = torch::bmm(weights.unsqueeze(1), memory).squeeze(1);                      // (B, H)
      outputs.push_back(torch::cat({h, context}, 1));                                     // (B, 2H)
    }
    return generator->forward(torch::stack(outputs, 1));
  }
};

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  BenchmarkLSTM model;
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(1e-3));
  const auto loss_options = torch::nn::functional::CrossEntropyFuncOptions().ignore_index(0);
  const Batch batch = random_batch(kVocab, kBatch, kLength);
  run("lstm", model, batch.tgt_out.numel(), args, [&] {
    optimizer.zero_grad();
    torch::Tensor logits = model.forward(batch.src, batch.tgt_in);  // (B, T, V)
    torch::Tensor loss =
        torch::nn::functional::cross_entropy(logits.reshape({-1, kVocab}), batch.tgt_out.reshape({-1}), loss_options);
    loss.backward();
    optimizer.step();
    return loss.item<float>();
  });
}
