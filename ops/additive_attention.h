// The scores of additive attention (Bahdanau et al. 2015), as one fused op:
//
//   score[b, s] = Σ_a v[a] · tanh(keys[b, s, a] + query[b, a])       (B, S)
//
// where keys are the projected keys W_k k_s (B, S, A), computed once per sequence, and query is
// the projected decoder state W_q h (B, A), one per step. Written with separate ops, one step would
// make three (B, S, A) tensors (the broadcast sum, its tanh, the gradient flowing back through v)
// and run a one-column GEMM; fused, the forward makes only the tanh it must keep for backward, and
// the backward is one pass over it. nn::AdditiveAttention uses it; ops/additive_attention.cpp
// derives the backward, docs/derivations/attention.md explains the layer.
#pragma once

#include "heed/core/tensor.h"

namespace heed::ops {

// keys (B, S, A), query (B, A), v (A), all float32 -> scores (B, S).
Tensor additive_scores(const Tensor& keys, const Tensor& query, const Tensor& v);

}  // namespace heed::ops
