#!/usr/bin/python3
"""Golden values from PyTorch for tests/test_transformer.cpp: nn.TransformerEncoderLayer (post-norm
and pre-norm), nn.TransformerDecoderLayer (post-norm and pre-norm) and a small nn.Transformer, all
with batch_first=True, in eval mode (dropout off), every parameter drawn at random.

Run with the Python that has torch 1.13:
    /usr/bin/python3 tests/golden/make_golden_transformer.py
It rewrites transformer.json. The case layout is make_golden.py's run_module. Masks are int64
inputs (1 = blocked or padded), handed to PyTorch as bool; no row is masked entirely (PyTorch
would give NaN there).
"""
import torch

from make_golden import run_module, write

E, HEADS, FF, B, S, T = 8, 2, 16, 2, 5, 4


def randomized(module):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return module.eval()


def mask(rows):
    return torch.tensor(rows, dtype=torch.int64)


def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.int64), diagonal=1)


SRC_PADDING = mask([[0, 0, 0, 0, 0], [0, 0, 0, 1, 1]])
TGT_PADDING = mask([[0, 0, 0, 1], [0, 0, 0, 0]])


def cases():
    out = []

    layer = randomized(torch.nn.TransformerEncoderLayer(E, HEADS, FF, batch_first=True))
    out.append(dict(name="encoder layer, post-norm, relu, key padding", **run_module(
        layer, lambda m, src, src_key_padding_mask: m(src, src_key_padding_mask=src_key_padding_mask.bool()),
        {"src": torch.randn(B, S, E), "src_key_padding_mask": SRC_PADDING})))

    layer = randomized(torch.nn.TransformerEncoderLayer(E, HEADS, FF, activation="gelu", batch_first=True,
                                                        norm_first=True))
    out.append(dict(name="encoder layer, pre-norm, gelu, causal mask and key padding", **run_module(
        layer, lambda m, src, src_mask, src_key_padding_mask: m(
            src, src_mask=src_mask.bool(), src_key_padding_mask=src_key_padding_mask.bool()),
        {"src": torch.randn(B, S, E), "src_mask": causal(S), "src_key_padding_mask": SRC_PADDING})))

    layer = randomized(torch.nn.TransformerDecoderLayer(E, HEADS, FF, batch_first=True))
    out.append(dict(name="decoder layer, post-norm, relu, causal and padding masks", **run_module(
        layer, lambda m, tgt, memory, tgt_mask, tgt_key_padding_mask, memory_key_padding_mask: m(
            tgt, memory, tgt_mask=tgt_mask.bool(), tgt_key_padding_mask=tgt_key_padding_mask.bool(),
            memory_key_padding_mask=memory_key_padding_mask.bool()),
        {"tgt": torch.randn(B, T, E), "memory": torch.randn(B, S, E), "tgt_mask": causal(T),
         "tgt_key_padding_mask": TGT_PADDING, "memory_key_padding_mask": SRC_PADDING})))

    layer = randomized(torch.nn.TransformerDecoderLayer(E, HEADS, FF, activation="gelu", batch_first=True,
                                                        norm_first=True))
    out.append(dict(name="decoder layer, pre-norm, gelu, memory mask", **run_module(
        layer, lambda m, tgt, memory, memory_mask: m(tgt, memory, memory_mask=memory_mask.bool()),
        {"tgt": torch.randn(B, T, E), "memory": torch.randn(B, S, E),
         "memory_mask": mask([[0, 0, 1, 0, 0], [0, 1, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 0, 0, 1]])})))

    model = randomized(torch.nn.Transformer(E, HEADS, num_encoder_layers=2, num_decoder_layers=2,
                                            dim_feedforward=FF, batch_first=True))
    out.append(dict(name="Transformer, 2 + 2 layers, causal target, padding everywhere", **run_module(
        model, lambda m, src, tgt, tgt_mask, src_key_padding_mask, tgt_key_padding_mask: m(
            src, tgt, tgt_mask=tgt_mask.bool(), src_key_padding_mask=src_key_padding_mask.bool(),
            tgt_key_padding_mask=tgt_key_padding_mask.bool(),
            memory_key_padding_mask=src_key_padding_mask.bool()),
        {"src": torch.randn(B, S, E), "tgt": torch.randn(B, T, E), "tgt_mask": causal(T),
         "src_key_padding_mask": SRC_PADDING, "tgt_key_padding_mask": TGT_PADDING})))
    return out


def main():
    torch.manual_seed(0)
    write("transformer", cases(), "make_golden_transformer.py")


if __name__ == "__main__":
    main()
