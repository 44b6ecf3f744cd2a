#!/usr/bin/python3
"""Golden values from PyTorch for heed's layers (read by tests/test_layers_golden.cpp).

Run with the Python that has torch 1.13:
    /usr/bin/python3 tests/golden/make_golden_layers.py
It rewrites layers.json, positional.json, feed_forward.json and rnn_attention.json in this
directory. Each case holds a module's state_dict, the inputs, the output, the upstream gradient and
the gradients of the inputs and of every parameter (see run_module in make_golden.py).

PyTorch has modules for the basic layers (Linear, Embedding, LayerNorm, Dropout, Sequential). For
the others it has none, so the small modules below write their formula out with torch ops, with
the parameter names heed uses:
  - positional encodings as in the PyTorch tutorial "Language Modeling with nn.Transformer"
    (div_term = exp(arange(0, d, 2) · −ln(10000) / d)), computed in float64;
  - the feed-forward block as in torch.nn.TransformerEncoderLayer (linear1, dropout, linear2);
  - Bahdanau's additive and Luong's dot/general attention over encoder states.
An attention module returns one tensor, [context, weights] joined along the last dim, so that one
upstream gradient reaches both outputs.
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F

from make_golden import leaf, run_module, write


# ---- basic layers ----

def layers_cases():
    sequential = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.2), nn.Linear(8, 3), nn.Tanh())
    ids = torch.tensor([[2, 0, 5, 1], [0, 0, 3, 5]])
    call = lambda module, x: module(x)
    return [
        dict(name="linear", **run_module(nn.Linear(5, 3), call, {"x": leaf(2, 4, 5)})),
        dict(name="linear without bias", **run_module(nn.Linear(4, 6, bias=False), call, {"x": leaf(3, 4)})),
        dict(name="embedding with padding_idx",
             **run_module(nn.Embedding(6, 3, padding_idx=0), lambda module, ids: module(ids), {"ids": ids},
                          padding_idx=0)),
        dict(name="layer_norm", **run_module(nn.LayerNorm(6), call, {"x": leaf(2, 3, 6) * 2 + 1})),
        dict(name="layer_norm, two dims, eps 1e-3",
             **run_module(nn.LayerNorm([3, 4], eps=1e-3), call, {"x": leaf(2, 3, 4)}, eps=1e-3)),
        dict(name="layer_norm, two dims, no affine",
             **run_module(nn.LayerNorm([3, 4], elementwise_affine=False), call, {"x": leaf(2, 3, 4)})),
        dict(name="dropout in eval", **run_module(nn.Dropout(0.3).eval(), call, {"x": leaf(3, 5)}, p=0.3)),
        dict(name="sequential in eval", **run_module(sequential.eval(), call, {"x": leaf(5, 4)})),
    ]


# ---- positions and token embeddings ----

class SinusoidalPositionalEncoding(nn.Module):
    def __init__(self, d_model, max_len):
        super().__init__()
        position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
        div_term = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float64) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model, dtype=torch.float64)
        pe[:, 0::2] = torch.sin(position * div_term)
        pe[:, 1::2] = torch.cos(position * div_term)
        self.register_buffer("pe", pe.float())

    def forward(self, x, offset=0):
        return x + self.pe[offset:offset + x.shape[1]]


class LearnedPositionalEncoding(nn.Module):
    def __init__(self, max_len, d_model):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(max_len, d_model))

    def forward(self, x, offset=0):
        return x + self.weight[offset:offset + x.shape[1]]


class TokenEmbedding(nn.Module):
    def __init__(self, vocab, d_model, padding_idx):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(vocab, d_model) / math.sqrt(d_model))
        self.padding_idx = padding_idx
        self.scale = math.sqrt(d_model)

    def forward(self, ids):
        return F.embedding(ids, self.weight, self.padding_idx) * self.scale


def positional_cases():
    ids = torch.tensor([[3, 1, 0], [4, 0, 0]])
    return [
        dict(name="sinusoidal", **run_module(SinusoidalPositionalEncoding(8, 40), lambda m, x: m(x),
                                             {"x": leaf(2, 5, 8)}, d_model=8, max_len=40, offset=0)),
        dict(name="sinusoidal from offset 33, d_model 6",
             **run_module(SinusoidalPositionalEncoding(6, 40), lambda m, x: m(x, 33), {"x": leaf(2, 7, 6)},
                          d_model=6, max_len=40, offset=33)),
        dict(name="learned from offset 2",
             **run_module(LearnedPositionalEncoding(9, 4), lambda m, x: m(x, 2), {"x": leaf(3, 5, 4)},
                          d_model=4, max_len=9, offset=2)),
        dict(name="token embedding, scaled, padding_idx 0",
             **run_module(TokenEmbedding(5, 16, 0), lambda m, ids: m(ids), {"ids": ids},
                          vocab=5, d_model=16, padding_idx=0)),
    ]


# ---- feed-forward ----

class FeedForward(nn.Module):
    def __init__(self, d_model, d_ff, activation):
        super().__init__()
        self.linear1 = nn.Linear(d_model, d_ff)
        self.dropout = nn.Dropout(0.1)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.activation = activation

    def forward(self, x):
        return self.linear2(self.dropout(self.activation(self.linear1(x))))


def feed_forward_cases():
    return [
        dict(name="relu", **run_module(FeedForward(6, 10, F.relu).eval(), lambda m, x: m(x), {"x": leaf(2, 3, 6)},
                                       activation="relu")),
        dict(name="gelu", **run_module(FeedForward(6, 10, F.gelu).eval(), lambda m, x: m(x), {"x": leaf(4, 6)},
                                       activation="gelu")),
    ]


# ---- attention for RNN decoders ----

def attend(scores, values, mask):
    """Masked softmax over the source positions, then the weighted sum of the values. A row with
    every position masked has weights and context 0 (plain softmax would give NaN there)."""
    if mask is not None:
        padded = mask.bool()
        scores = scores.masked_fill(padded, float("-inf"))
        weights = torch.softmax(scores, dim=-1)
        weights = torch.where(padded.all(-1, keepdim=True), torch.zeros_like(weights), weights)
    else:
        weights = torch.softmax(scores, dim=-1)
    context = torch.bmm(weights.unsqueeze(1), values).squeeze(1)
    return torch.cat([context, weights], dim=-1)


class AdditiveAttention(nn.Module):
    def __init__(self, query_size, key_size, attention_size):
        super().__init__()
        self.query_proj = nn.Linear(query_size, attention_size, bias=False)
        self.key_proj = nn.Linear(key_size, attention_size, bias=False)
        self.v = nn.Linear(attention_size, 1, bias=False)

    def forward(self, query, keys, values, mask=None):
        # score_j = vᵀ tanh(W_q q + W_k k_j)
        hidden = torch.tanh(self.query_proj(query).unsqueeze(1) + self.key_proj(keys))
        return attend(self.v(hidden).squeeze(-1), values, mask)


class LuongAttention(nn.Module):
    def __init__(self, query_size, key_size, general):
        super().__init__()
        self.linear_in = nn.Linear(key_size, query_size, bias=False) if general else None

    def forward(self, query, keys, values, mask=None):
        # score_j = qᵀ k_j (dot) or qᵀ W k_j (general)
        projected = self.linear_in(keys) if self.linear_in is not None else keys
        return attend(torch.bmm(projected, query.unsqueeze(2)).squeeze(2), values, mask)


def rnn_attention_cases():
    # (B, S) = (3, 5): row 0 unpadded, row 1 has 2 padded positions, row 2 is padded everywhere
    mask = torch.tensor([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1], [1, 1, 1, 1, 1]])
    memory = lambda hk, hv: {"query": leaf(3, 4), "keys": leaf(3, 5, hk), "values": leaf(3, 5, hv)}
    with_mask = lambda hk, hv: {**memory(hk, hv), "mask": mask}
    call = lambda m, query, keys, values, mask=None: m(query, keys, values, mask)
    return [
        dict(name="additive", **run_module(AdditiveAttention(4, 6, 7), call, memory(6, 2), attention_size=7)),
        dict(name="additive, masked", **run_module(AdditiveAttention(4, 6, 7), call, with_mask(6, 2),
                                                   attention_size=7)),
        dict(name="luong dot, masked", **run_module(LuongAttention(4, 4, False), call, with_mask(4, 3),
                                                    score="dot")),
        dict(name="luong general", **run_module(LuongAttention(4, 6, True), call, memory(6, 3), score="general")),
        dict(name="luong general, masked", **run_module(LuongAttention(4, 6, True), call, with_mask(6, 3),
                                                        score="general")),
    ]


def main():
    torch.manual_seed(0)
    files = {
        "layers": layers_cases(),
        "positional": positional_cases(),
        "feed_forward": feed_forward_cases(),
        "rnn_attention": rnn_attention_cases(),
    }
    for name, cases in files.items():
        for case in cases:
            for key, grad in case["grads"].items():
                assert all(math.isfinite(v) for v in grad["data"]), f"{name}/{case['name']}: {key} has NaN"
        write(name, cases, "make_golden_layers.py")


if __name__ == "__main__":
    main()
