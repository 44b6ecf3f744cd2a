// models::Seq2Seq: what every translation model in heed offers, so that training, decoding and
// the `heed` command work the same for the Transformer (models/transformer.h) and the LSTM with
// attention (models/lstm_seq2seq.h).
//
// A model reads integer token ids. Three ids have fixed roles, agreed with the vocabulary that
// made them (data/vocab.h uses the same defaults): padding fills short rows and is never attended
// to, BOS starts every target row fed to the decoder, EOS ends a translation.
//
//   Tensor logits = model.forward(src, tgt_in);              // training, teacher forcing
//   auto state = model.start(src);                           // decoding: encode once,
//   StepOutput out = model.step(*state, last_tokens, false); // then one token at a time
//
// Decoding strategies (greedy, beam search) live in models/decode.h and use only start/step/select.
#pragma once

#include <memory>

#include "heed/nn/module.h"

namespace heed::models {

struct SpecialIds {
  int64_t pad = 0;
  int64_t bos = 1;
  int64_t eos = 2;
};

// What a decoder carries from one step to the next for N rows (sentences, or beam hypotheses):
// the encoder's output and its mask, recurrent state or cached keys and values, the step count.
class DecoderState {
 public:
  virtual ~DecoderState() = default;
  // Keeps rows `rows` (N') int64 of the current N, in that order; a row may appear several times
  // (beam search copies a hypothesis into several beams) or not at all.
  virtual void select(const Tensor& rows) = 0;
  // N, the number of rows the next step expects.
  virtual int64_t rows() const = 0;
};

struct StepOutput {
  Tensor logits;     // (N, V): scores for the next token of each row
  // (N, L, H, S) with need_attention: the step's attention to the S source positions, for each of
  // L decoder layers and H heads (L = H = 1 for a single attention, as in the LSTM); else undefined.
  Tensor attention;
};

class Seq2Seq : public nn::Module {
 public:
  // src (B, S) int64, padded with pad; tgt_in (B, T) int64, BOS then the target, padded
  // -> logits (B, T, V) for the next token at every target position.
  virtual Tensor forward(const Tensor& src, const Tensor& tgt_in) const = 0;
  // Encodes src (B, S) once; the state's rows are the B sentences, and no token decoded yet.
  virtual std::unique_ptr<DecoderState> start(const Tensor& src) const = 0;
  // Feeds each row's last token (N) int64 (BOS at the first step) and advances the state by one.
  virtual StepOutput step(DecoderState& state, const Tensor& tokens, bool need_attention = false) const = 0;

  // The longest source, and the most target positions (BOS included), the model can represent:
  // a Transformer's position table has that many rows. 0: no limit (a recurrent model).
  virtual int64_t max_positions() const { return 0; }

  virtual int64_t source_vocab_size() const = 0;
  virtual int64_t target_vocab_size() const = 0;
  virtual SpecialIds special_ids() const = 0;
};

}  // namespace heed::models
