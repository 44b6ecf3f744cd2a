// Turning a trained Seq2Seq model into translations: greedy decoding and beam search, batched
// over the sentences of src, on the model's start/step/select interface (models/seq2seq.h).
//
//   auto hyps = models::decode(model, src, {.beam_size = 5});   // src (B, S) -> B hypotheses
//   hyps[0].tokens                                               // ids, without BOS and EOS
//
// Scores are sums of log-probabilities (natural log). Beam search ranks finished hypotheses by
// score / length_penalty(len), with GNMT's penalty ((5 + len) / 6)^alpha; alpha = 0 ranks by the
// raw sum. len counts every log-probability in the score: the tokens and the EOS. Decoding runs
// without gradients, in whatever train/eval mode the model is in (call model.eval() first).
//
// max_length bounds the tokens, not the EOS: a translation may have max_length tokens and then
// EOS (finished), or stop after max_length tokens without one (unfinished). Beam search returns a
// finished hypothesis whenever it found one, an unfinished one only otherwise; with beam_size 1 it
// returns exactly what greedy_decode returns. How the search works: models/decode.cpp.
#pragma once

#include <vector>

#include "heed/models/seq2seq.h"

namespace heed::models {

struct DecodeOptions {
  int64_t beam_size = 1;         // 1: greedy
  float length_penalty = 1.0f;   // alpha of ((5 + len) / 6)^alpha; 0 turns it off
  int64_t max_length = 0;        // most tokens per translation (EOS not counted); 0: 2·S + 10;
                                 // never more than the model's max_positions() − 1
  bool need_attention = false;   // keep each step's attention (Hypothesis::attention)
};

struct Hypothesis {
  std::vector<int64_t> tokens;   // without BOS, and without EOS
  float score = 0.0f;            // sum of log-probabilities, EOS included when it was produced
  bool finished = false;         // ended with EOS (false: stopped at max_length)
  // (steps, L, H, S) with need_attention: one row per decoding step, the attention while producing
  // tokens[t] (tokens.size() rows, plus a last one for EOS when finished); S includes padding.
  Tensor attention;
};

// One hypothesis per row of src (B, S).
std::vector<Hypothesis> greedy_decode(const Seq2Seq& model, const Tensor& src, const DecodeOptions& options = {});
std::vector<Hypothesis> beam_search(const Seq2Seq& model, const Tensor& src, const DecodeOptions& options = {});
// greedy_decode when options.beam_size == 1, else beam_search.
std::vector<Hypothesis> decode(const Seq2Seq& model, const Tensor& src, const DecodeOptions& options = {});

}  // namespace heed::models
