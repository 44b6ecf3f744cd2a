// models::LSTMSeq2Seq: the attentional LSTM encoder-decoder of Bahdanau et al. (2015) and Luong et
// al. (2015). An LSTM encoder (optionally bidirectional) reads the source; an LSTM decoder writes
// the target one token at a time, attending to the encoder's states at every step. With input
// feeding (Luong's), the previous step's attentional vector joins the next step's input.
//
//   models::LSTMSeq2Seq model({.source_vocab_size = 40, .target_vocab_size = 20});
//   Tensor logits = model.forward(src, tgt_in);     // (B, S), (B, T) -> (B, T, V)
#pragma once

#include "heed/models/seq2seq.h"

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

  LSTMSeq2SeqConfig config;
};

}  // namespace heed::models
