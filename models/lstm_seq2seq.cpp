// models::LSTMSeq2Seq (the model is described in models/lstm_seq2seq.h): the config's checks, the
// encoder that turns a source batch into a decoder state, and the one decoder step that forward
// (teacher forcing, all positions) and step (decoding, one token) share.
#include "heed/models/lstm_seq2seq.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "heed/core/anomaly.h"
#include "heed/core/factories.h"
#include "heed/ops/dropout.h"
#include "heed/ops/elementwise.h"
#include "heed/ops/index.h"
#include "heed/ops/shape.h"

namespace heed::models {
namespace {

const char* attention_name(RnnAttentionKind kind) {
  switch (kind) {
    case RnnAttentionKind::Additive: return "additive";
    case RnnAttentionKind::LuongDot: return "luong-dot";
    case RnnAttentionKind::LuongGeneral: return "luong-general";
  }
  return "unknown";
}

LSTMSeq2SeqConfig checked(LSTMSeq2SeqConfig config) {
  const char* model = "LSTMSeq2Seq";
  HEED_CHECK(config.source_vocab_size > 0 && config.target_vocab_size > 0, model,
             "source_vocab_size = {} and target_vocab_size = {}; expected both positive", config.source_vocab_size,
             config.target_vocab_size);
  HEED_CHECK(config.embedding_size > 0 && config.hidden_size > 0, model,
             "embedding_size = {} and hidden_size = {}; expected both positive", config.embedding_size,
             config.hidden_size);
  HEED_CHECK(!config.bidirectional_encoder || config.hidden_size % 2 == 0, model,
             "hidden_size = {} with a bidirectional encoder; expected an even size (each direction has "
             "hidden_size / 2)",
             config.hidden_size);
  HEED_CHECK(config.num_layers >= 1, model, "num_layers = {}; expected at least 1", config.num_layers);
  HEED_CHECK(config.dropout >= 0.0f && config.dropout < 1.0f, model, "dropout = {}; expected a probability in [0, 1)",
             config.dropout);
  const SpecialIds& special = config.special;
  HEED_CHECK(special.pad >= 0 && special.pad < config.source_vocab_size && special.pad < config.target_vocab_size,
             model, "pad id {} is outside the vocabularies (source {}, target {} ids)", special.pad,
             config.source_vocab_size, config.target_vocab_size);
  HEED_CHECK(special.bos >= 0 && special.bos < config.target_vocab_size && special.eos >= 0 &&
                 special.eos < config.target_vocab_size,
             model, "bos id {} or eos id {} is outside the target vocabulary of {} ids", special.bos, special.eos,
             config.target_vocab_size);
  return config;
}

// Checks token ids (B, T) int64 named `name`, with at least one position.
void check_ids(const Tensor& ids, const char* op, const char* name) {
  HEED_CHECK(ids.defined() && ids.dtype() == Dtype::Int64 && ids.dim() == 2 && ids.size(1) >= 1, op,
             "{} has shape {} and dtype {}; expected int64 (B, T) with T >= 1", name,
             ids.defined() ? fmt::format("{}", ids.shape()) : "undefined",
             ids.defined() ? dtype_name(ids.dtype()) : "none");
}

// What the encoder needs to know of a source batch's padding.
struct SourcePadding {
  Tensor lengths;  // (B) int64: each row's real tokens, at least 1 (an all-pad row reads one pad)
  Tensor mask;     // (B, S) float32: 1 at padded positions, which attention never reads
};

// Rows of src (B, S) are their tokens followed by padding; a token after padding is an error.
SourcePadding source_padding(const Tensor& src, int64_t pad) {
  const int64_t batch = src.size(0), steps = src.size(1);
  const std::vector<int64_t> ids = src.to_vector<int64_t>();
  std::vector<int64_t> lengths(static_cast<size_t>(batch));
  std::vector<float> mask(ids.size());
  for (int64_t b = 0; b < batch; ++b) {
    int64_t length = 0;
    for (int64_t s = 0; s < steps; ++s) {
      const size_t at = static_cast<size_t>(b * steps + s);
      const bool padded = ids[at] == pad;
      HEED_CHECK(padded || length == s, "LSTMSeq2Seq", "src row {} has token {} at position {} after padding at {}; "
                 "expected each row's padding (id {}) after all its tokens",
                 b, ids[at], s, length, pad);
      mask[at] = padded ? 1.0f : 0.0f;
      if (!padded) ++length;
    }
    lengths[static_cast<size_t>(b)] = std::max<int64_t>(length, 1);
  }
  return {from_vector(lengths), from_vector(mask, {batch, steps})};
}

// The decoder's carry between steps for N rows (sentences or beam hypotheses).
class LSTMDecoderState final : public DecoderState {
 public:
  void select(const Tensor& rows) override {
    HEED_CHECK(rows.defined() && rows.dtype() == Dtype::Int64 && rows.dim() == 1, "LSTMSeq2Seq::select",
               "rows have shape {}; expected int64 (N')",
               rows.defined() ? fmt::format("{}", rows.shape()) : "undefined");
    memory = ops::index_select(memory, 0, rows);  // (N', S, H)
    keys = ops::index_select(keys, 0, rows);      // (N', S, A)
    padding = ops::index_select(padding, 0, rows);  // (N', S)
    for (nn::LSTMState& layer : layers) {
      layer.h = ops::index_select(layer.h, 0, rows);  // (N', H)
      layer.c = ops::index_select(layer.c, 0, rows);  // (N', H)
    }
    if (feed.defined()) feed = ops::index_select(feed, 0, rows);  // (N', H)
  }
  int64_t rows() const override { return memory.size(0); }

  Tensor memory;                      // (N, S, H) encoder states, zero at padded positions
  Tensor keys;                        // (N, S, A) the attention's projection of memory, made once
  Tensor padding;                     // (N, S) float32, 1 at padded source positions
  std::vector<nn::LSTMState> layers;  // [l]: the decoder layer's (h, c), each (N, H)
  Tensor feed;                        // (N, H) the last attentional vector h~ (zeros before the first
                                      // step) with input feeding; undefined without
};

// The decoder's initial state for a layer: the encoder layer's final states (D, N, H/D) of its D
// directions -> (N, H), the directions side by side.
Tensor joined_directions(const Tensor& finals, int64_t layer, int64_t directions) {
  Tensor layer_finals = ops::narrow(finals, 0, layer * directions, directions);  // (D, N, H/D)
  return ops::reshape(ops::permute(layer_finals, {1, 0, 2}), {finals.size(1), -1});  // (N, H)
}

LSTMDecoderState encode(const LSTMSeq2Seq& model, const Tensor& src) {
  check_ids(src, "LSTMSeq2Seq", "src");
  const LSTMSeq2SeqConfig& config = model.config;
  const SourcePadding source = source_padding(src, config.special.pad);
  Tensor embedded =
      ops::dropout(model.source_embedding->forward(src), config.dropout, model.is_training());  // (B, S, E)
  AnomalyScope scope("encoder");
  auto [memory, finals] = model.encoder->forward(embedded, {}, source.lengths);  // (B, S, H), (L·D, B, H/D)
  LSTMDecoderState state;
  state.memory = memory;  // (B, S, H)
  state.keys = model.additive_attention ? model.additive_attention->project_keys(memory)
                                        : model.luong_attention->project_keys(memory);  // (B, S, A)
  state.padding = source.mask;  // (B, S)
  const int64_t directions = model.encoder->num_directions();
  for (int64_t layer = 0; layer < config.num_layers; ++layer)
    state.layers.push_back({joined_directions(finals.h, layer, directions),    // (B, H)
                            joined_directions(finals.c, layer, directions)});  // (B, H)
  if (config.input_feeding) state.feed = zeros({src.size(0), config.hidden_size});  // (B, H)
  return state;
}

// One decoder step for N rows: the embedded last tokens (N, E), after dropout -> the attentional
// vector h~ (N, H) after dropout, advancing `state`. The attention weights (N, S) go to *weights
// when asked.
Tensor decoder_step(const LSTMSeq2Seq& model, LSTMDecoderState& state, const Tensor& embedded, Tensor* weights) {
  const float p = model.config.dropout;
  const bool training = model.is_training();
  Tensor x = state.feed.defined() ? ops::cat({embedded, state.feed}, 1) : embedded;  // (N, E + H) or (N, E)
  for (size_t layer = 0; layer < state.layers.size(); ++layer) {
    if (layer > 0) x = ops::dropout(x, p, training);                           // (N, H)
    AnomalyScope scope("decoder", static_cast<int64_t>(layer));
    state.layers[layer] = (*model.decoder)[layer].forward(x, state.layers[layer]);  // (h, c) each (N, H)
    x = state.layers[layer].h;                                                 // (N, H)
  }
  const Tensor& top = x;  // (N, H)
  const nn::RnnAttentionOutput attended = [&] {
    AnomalyScope scope("attention");
    return model.additive_attention
               ? model.additive_attention->forward_projected(top, state.keys, state.memory, state.padding)
               : model.luong_attention->forward_projected(top, state.keys, state.memory, state.padding);
  }();  // (N, H), (N, S)
  Tensor combined = ops::tanh(model.combine->forward(ops::cat({attended.context, top}, 1)));  // (N, 2H) -> (N, H)
  Tensor attentional = ops::dropout(combined, p, training);                                 // (N, H)
  if (state.feed.defined()) state.feed = attentional;
  if (weights) *weights = attended.weights;  // (N, S)
  return attentional;
}

}  // namespace

LSTMSeq2Seq::LSTMSeq2Seq(LSTMSeq2SeqConfig model_config)
    : config(checked(std::move(model_config))),
      source_embedding(register_module(
          "source_embedding",
          nn::Embedding(config.source_vocab_size, config.embedding_size, {.padding_idx = config.special.pad}))),
      encoder(register_module(
          "encoder", nn::LSTM(config.embedding_size,
                              config.bidirectional_encoder ? config.hidden_size / 2 : config.hidden_size,
                              {.num_layers = config.num_layers,
                               .batch_first = true,
                               .dropout = config.dropout,
                               .bidirectional = config.bidirectional_encoder}))),
      target_embedding(register_module(
          "target_embedding",
          nn::Embedding(config.target_vocab_size, config.embedding_size, {.padding_idx = config.special.pad}))),
      decoder(register_module("decoder", nn::ModuleList<nn::LSTMCell>())) {
  const int64_t H = config.hidden_size;
  for (int64_t layer = 0; layer < config.num_layers; ++layer) {
    const int64_t input = layer > 0 ? H : config.embedding_size + (config.input_feeding ? H : 0);
    decoder->push_back(nn::LSTMCell(input, H));
  }
  if (config.attention == RnnAttentionKind::Additive)
    additive_attention = register_module("attention", nn::AdditiveAttention(H, H, H));
  else
    luong_attention = register_module(
        "attention", nn::LuongAttention(H, H, {.score = config.attention == RnnAttentionKind::LuongDot
                                                            ? nn::LuongScore::Dot
                                                            : nn::LuongScore::General}));
  combine = register_module("combine", nn::Linear(2 * H, H, {.bias = false}));
  generator = register_module("generator", nn::Linear(H, config.target_vocab_size));
}

Tensor LSTMSeq2Seq::forward(const Tensor& src, const Tensor& tgt_in) const {
  check_ids(src, "LSTMSeq2Seq", "src");
  check_ids(tgt_in, "LSTMSeq2Seq", "tgt_in");
  HEED_CHECK(src.size(0) == tgt_in.size(0), "LSTMSeq2Seq",
             "src has shape {} and tgt_in {}; expected the same batch size B", src.shape(), tgt_in.shape());
  LSTMDecoderState state = encode(*this, src);
  Tensor embedded = ops::dropout(target_embedding->forward(tgt_in), config.dropout, is_training());  // (B, T, E)
  std::vector<Tensor> attentional;
  for (int64_t t = 0; t < tgt_in.size(1); ++t)
    attentional.push_back(decoder_step(*this, state, ops::squeeze(ops::narrow(embedded, 1, t, 1), 1),
                                       nullptr));  // (B, E) -> (B, H)
  return generator->forward(ops::stack(attentional, 1));  // (B, T, H) -> (B, T, V)
}

std::unique_ptr<DecoderState> LSTMSeq2Seq::start(const Tensor& src) const {
  return std::make_unique<LSTMDecoderState>(encode(*this, src));
}

StepOutput LSTMSeq2Seq::step(DecoderState& base, const Tensor& tokens, bool need_attention) const {
  auto* state = dynamic_cast<LSTMDecoderState*>(&base);
  HEED_CHECK(state != nullptr, "LSTMSeq2Seq::step", "the state was not made by LSTMSeq2Seq::start");
  const int64_t rows = state->rows();
  HEED_CHECK(tokens.defined() && tokens.dtype() == Dtype::Int64 && tokens.dim() == 1 && tokens.size(0) == rows,
             "LSTMSeq2Seq::step", "tokens have shape {}; expected int64 (N = {}), one per row of the state",
             tokens.defined() ? fmt::format("{}", tokens.shape()) : "undefined", rows);
  Tensor embedded = ops::dropout(target_embedding->forward(tokens), config.dropout, is_training());  // (N, E)
  Tensor weights;
  Tensor attentional = decoder_step(*this, *state, embedded, need_attention ? &weights : nullptr);  // (N, H)
  StepOutput out{.logits = generator->forward(attentional), .attention = Tensor()};                 // (N, V)
  if (need_attention) out.attention = ops::reshape(weights, {rows, 1, 1, weights.size(1)});  // (N, 1, 1, S)
  return out;
}

std::string LSTMSeq2Seq::describe() const {
  return fmt::format(
      "LSTMSeq2Seq(source_vocab_size={}, target_vocab_size={}, embedding_size={}, hidden_size={}, num_layers={}, "
      "bidirectional_encoder={}, attention={}, input_feeding={}, dropout={})",
      config.source_vocab_size, config.target_vocab_size, config.embedding_size, config.hidden_size,
      config.num_layers, config.bidirectional_encoder, attention_name(config.attention), config.input_feeding,
      config.dropout);
}

}  // namespace heed::models
