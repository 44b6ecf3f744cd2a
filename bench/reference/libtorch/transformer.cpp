// libtorch's twin of `heed bench transformer --config tiny|small|base` (heed's train/benchmark.h,
// PyTorch's bench/reference/transformer.py): nn::Transformer (post-norm, ReLU, dropout 0.1, final
// LayerNorms), separate embeddings * sqrt(d) plus sinusoidal positions, dropout 0.1, an output
// Linear with bias; cross-entropy (label smoothing 0.1, ignore_index 0); Adam lr 1e-4, betas
// (0.9, 0.98), eps 1e-9. libtorch's C++ Transformer has no batch_first, so it runs (L, B, E).
//
//   build-reference/transformer --config tiny [--steps 10] [--warmup 2] [--seed 1]
#include <cmath>
#include <map>

#include "workload.h"

namespace {

struct Size {
  int64_t vocab, d_model, heads, d_ff, layers, batch, length;
};

const std::map<std::string, Size> kSizes = {
    {"tiny", {1000, 128, 4, 512, 2, 32, 32}},
    {"small", {8000, 256, 4, 1024, 3, 32, 48}},
    {"base", {8000, 512, 8, 2048, 3, 32, 64}},
};

// PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(same): (length, d).
torch::Tensor sinusoids(int64_t length, int64_t d) {
  torch::Tensor position = torch::arange(length, torch::kFloat).unsqueeze(1);
  torch::Tensor frequency = torch::exp(torch::arange(0, d, 2, torch::kFloat) * (-std::log(10000.0) / d));
  torch::Tensor table = torch::zeros({length, d});
  table.slice(1, 0, d, 2).copy_(torch::sin(position * frequency));
  table.slice(1, 1, d, 2).copy_(torch::cos(position * frequency));
  return table;
}

struct Seq2SeqTransformer : torch::nn::Module {
  Seq2SeqTransformer(const Size& s, int64_t max_length = 1024)
      : scale(std::sqrt(static_cast<double>(s.d_model))),
        source_embedding(register_module(
            "source_embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(s.vocab, s.d_model).padding_idx(0)))),
        target_embedding(register_module(
            "target_embedding", torch::nn::Embedding(torch::nn::EmbeddingOptions(s.vocab, s.d_model).padding_idx(0)))),
        positions(register_buffer("positions", sinusoids(max_length, s.d_model))),
        dropout(register_module("dropout", torch::nn::Dropout(0.1))),
        transformer(register_module("transformer", torch::nn::Transformer(torch::nn::TransformerOptions(
                                                                            s.d_model, s.heads, s.layers, s.layers)
                                                                            .dim_feedforward(s.d_ff)
                                                                            .dropout(0.1)))),
        generator(register_module("generator", torch::nn::Linear(s.d_model, s.vocab))) {}

  // ids (B, L) -> (L, B, E)
  torch::Tensor embed(torch::nn::Embedding& table, const torch::Tensor& ids) {
    torch::Tensor x = table->forward(ids.t()) * scale + positions.slice(0, 0, ids.size(1)).unsqueeze(1);
    return dropout->forward(x);
  }

  // src (B, S), tgt_in (B, T) -> logits (T, B, V)
  torch::Tensor forward(const torch::Tensor& src, const torch::Tensor& tgt_in) {
    torch::Tensor causal = torch::nn::TransformerImpl::generate_square_subsequent_mask(tgt_in.size(1));
    torch::Tensor padding = src.eq(0);
    torch::Tensor out = transformer->forward(embed(source_embedding, src), embed(target_embedding, tgt_in), {},
                                             causal, {}, padding, {}, padding);
    return generator->forward(out);
  }

  double scale;
  torch::nn::Embedding source_embedding, target_embedding;
  torch::Tensor positions;
  torch::nn::Dropout dropout;
  torch::nn::Transformer transformer;
  torch::nn::Linear generator;
};

}  // namespace

int main(int argc, char** argv) {
  const Args args = parse_args(argc, argv);
  const auto size = kSizes.find(args.config);
  if (size == kSizes.end()) {
    std::fprintf(stderr, "%s: --config must be tiny, small or base\n", argv[0]);
    return 2;
  }
  const Size& s = size->second;
  Seq2SeqTransformer model(s);
  torch::optim::Adam optimizer(model.parameters(), torch::optim::AdamOptions(1e-4).betas({0.9, 0.98}).eps(1e-9));
  const auto loss_options = torch::nn::functional::CrossEntropyFuncOptions().ignore_index(0).label_smoothing(0.1);
  const Batch batch = random_batch(s.vocab, s.batch, s.length);
  const torch::Tensor targets = batch.tgt_out.t().reshape({-1});  // (T * B), the logits' order
  run(args.config, model, batch.tgt_out.numel(), args, [&] {
    optimizer.zero_grad();
    torch::Tensor logits = model.forward(batch.src, batch.tgt_in);  // (T, B, V)
    torch::Tensor loss = torch::nn::functional::cross_entropy(logits.reshape({-1, s.vocab}), targets, loss_options);
    loss.backward();
    optimizer.step();
    return loss.item<float>();
  });
}
