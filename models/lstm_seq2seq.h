// models::LSTMSeq2Seq: the attentional LSTM encoder-decoder of Bahdanau et al. (2015) and Luong et
// al. (2015). An LSTM encoder (optionally bidirectional) reads the source; an LSTM decoder writes
// the target one token at a time, attending to the encoder's states at every step. With input
// feeding (Luong's), the previous step's attentional vector joins the next step's input.
//
//   models::LSTMSeq2Seq model({.source_vocab_size = 40, .target_vocab_size = 20});
//   Tensor logits = model.forward(src, tgt_in);     // (B, S), (B, T) -> (B, T, V)
//
// The model, with H = hidden_size, E = embedding_size, L = num_layers:
//   encoder   src (B, S) -> source_embedding -> dropout -> nn::LSTM (L layers; bidirectional: each
//             direction H/2, so both together H) over each row's real length -> states (B, S, H).
//             Source rows are padded at the end; the LSTM never reads the padding, so padding
//             changes nothing anywhere in the model.
//   bridge    the decoder's layer l starts from the encoder's layer l final (h, c); bidirectional:
//             the forward and backward finals concatenated (H/2 + H/2 = H), as OpenNMT-py does.
//             No parameters: the encoder learns to leave states the decoder can start from.
//   decoder   each step, for each row's last token y:
//               x    = dropout(target_embedding(y))              (N, E), joined with h~_{t−1}
//                                                                (N, E + H) with input feeding
//               h_l, c_l = decoder[l](x_l, (h_l, c_l))           L stacked LSTMCells; x_0 = x,
//                                                                x_l = dropout(h_{l−1})
//               context, a = attention(h_top, encoder states)    (N, H), a (N, S) zero at padding
//               h~   = dropout(tanh(combine [context; h_top]))   (N, H): W_c without bias
//               logits = generator(h~)                           (N, V)
//   attention Additive (Bahdanau's score vᵀ tanh(W_q q + W_k k), attention size H), LuongDot or
//             LuongGeneral. All three use the current top state h_top as the query, as Luong et
//             al. and OpenNMT-py's "mlp" attention do, so one step serves the three; Bahdanau's
//             use of the previous state lives on through input feeding. The keys' projection is
//             computed once per source sentence (start), not once per step.
// forward (teacher forcing) runs the same step for every target position, then one generator
// GEMM over (B, T, H); start/step run it one token at a time, carrying (h, c) per layer and h~.
#pragma once

#include <memory>

#include "heed/models/seq2seq.h"
#include "heed/nn/embedding.h"
#include "heed/nn/linear.h"
#include "heed/nn/lstm.h"
#include "heed/nn/rnn_attention.h"

namespace heed::models {

enum class RnnAttentionKind { Additive, LuongDot, LuongGeneral };

struct LSTMSeq2SeqConfig {
  int64_t source_vocab_size = 0;
  int64_t target_vocab_size = 0;
  int64_t embedding_size = 128;
  int64_t hidden_size = 256;            // the decoder's; each encoder direction has hidden_size / 2
                                        // when bidirectional, so encoder states are hidden_size wide
  int64_t num_layers = 1;               // encoder and decoder alike
  bool bidirectional_encoder = true;
  RnnAttentionKind attention = RnnAttentionKind::Additive;
  bool input_feeding = true;
  float dropout = 0.1f;
  SpecialIds special = {};
};

class LSTMSeq2Seq : public Seq2Seq {
 public:
  explicit LSTMSeq2Seq(LSTMSeq2SeqConfig config);

  Tensor forward(const Tensor& src, const Tensor& tgt_in) const override;
  std::unique_ptr<DecoderState> start(const Tensor& src) const override;
  StepOutput step(DecoderState& state, const Tensor& tokens, bool need_attention = false) const override;

  int64_t source_vocab_size() const override { return config.source_vocab_size; }
  int64_t target_vocab_size() const override { return config.target_vocab_size; }
  SpecialIds special_ids() const override { return config.special; }
  std::string describe() const override;

  LSTMSeq2SeqConfig config;  // checked by the constructor: a heed::Error names what is wrong

  // Submodules, registered under these names (state-dict keys "encoder.weight_ih_l0", ...).
  std::shared_ptr<nn::Embedding> source_embedding;   // (source_vocab_size, E), pad row zero
  std::shared_ptr<nn::LSTM> encoder;                 // batch_first, E -> H (H/2 per direction)
  std::shared_ptr<nn::Embedding> target_embedding;   // (target_vocab_size, E), pad row zero
  std::shared_ptr<nn::ModuleList<nn::LSTMCell>> decoder;  // "decoder.0", ...: one cell per layer
  std::shared_ptr<nn::AdditiveAttention> additive_attention;  // "attention" with Additive, else null
  std::shared_ptr<nn::LuongAttention> luong_attention;        // "attention" with Luong*, else null
  std::shared_ptr<nn::Linear> combine;               // W_c: [context; h_top] 2H -> H, no bias
  std::shared_ptr<nn::Linear> generator;             // H -> target_vocab_size
};

}  // namespace heed::models
