#!/usr/bin/python3
"""Golden values from PyTorch for tests/test_multihead_attention.cpp: nn.MultiheadAttention with
batch_first=True, every parameter drawn at random (so a misplaced bias shows), dropout 0.

Run with the Python that has torch 1.13:
    /usr/bin/python3 tests/golden/make_golden_attention.py
It rewrites multihead_attention.json. The case layout is make_golden.py's run_module. Masks are
int64 inputs (1 = blocked or padded), handed to PyTorch as bool. A float attn_mask cannot be an
input (it would get a gradient heed does not compute), so it is stored as the setting "attn_bias";
a case may also store the attention weights as "weights".
"""
import torch

from make_golden import run_module, tensor, write

E, HEADS, B, T, S = 8, 2, 2, 4, 5


def attention(bias=True):
    module = torch.nn.MultiheadAttention(E, HEADS, bias=bias, batch_first=True)
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.randn_like(p) * 0.5)
    return module


def mask(rows):
    return torch.tensor(rows, dtype=torch.int64)


def causal(n):
    return torch.triu(torch.ones(n, n, dtype=torch.int64), diagonal=1)


def cases():
    out = []

    module = attention()
    x, padding = torch.randn(B, T, E), mask([[0, 0, 0, 0], [0, 0, 1, 1]])
    case = run_module(module, lambda m, x, key_padding_mask: m(x, x, x, key_padding_mask=key_padding_mask.bool())[0],
                      {"x": x, "key_padding_mask": padding})
    case["weights"] = tensor(module(x, x, x, key_padding_mask=padding.bool())[1])  # averaged over heads
    out.append(dict(name="self-attention, key padding", **case))

    module = attention()
    out.append(dict(name="self-attention, causal mask", **run_module(
        module, lambda m, x, attn_mask: m(x, x, x, attn_mask=attn_mask.bool())[0],
        {"x": torch.randn(B, T, E), "attn_mask": causal(T)})))

    module = attention()
    out.append(dict(name="cross-attention, memory as key and value, key padding and attn_mask", **run_module(
        module,
        lambda m, query, memory, key_padding_mask, attn_mask: m(
            query, memory, memory, key_padding_mask=key_padding_mask.bool(), attn_mask=attn_mask.bool())[0],
        {"query": torch.randn(B, T, E), "memory": torch.randn(B, S, E),
         "key_padding_mask": mask([[0, 0, 0, 0, 1], [0, 0, 0, 1, 1]]),
         "attn_mask": mask([[0, 1, 0, 0, 0], [1, 0, 0, 0, 0], [0, 0, 1, 0, 0], [0, 0, 0, 0, 1]])})))

    module = attention(bias=False)
    head_masks = torch.zeros(B * HEADS, T, S, dtype=torch.int64)  # PyTorch's (B·H, T, S) layout
    for n in range(B * HEADS):
        head_masks[n, :, n % S] = 1
    out.append(dict(name="cross-attention, separate key and value, no bias, (B*H, T, S) mask", **run_module(
        module, lambda m, query, key, value, attn_mask: m(query, key, value, attn_mask=attn_mask.bool())[0],
        {"query": torch.randn(B, T, E), "key": torch.randn(B, S, E), "value": torch.randn(B, S, E),
         "attn_mask": head_masks})))

    module = attention()
    x, bias = torch.randn(B, T, E), torch.randn(T, T)
    case = run_module(module, lambda m, x: m(x, x, x, attn_mask=bias)[0], {"x": x})
    case["attn_bias"] = tensor(bias)
    case["weights"] = tensor(module(x, x, x, attn_mask=bias, average_attn_weights=False)[1])  # (B, H, T, T)
    out.append(dict(name="self-attention, additive float mask", **case))
    return out


def main():
    torch.manual_seed(0)
    write("multihead_attention", cases(), "make_golden_attention.py")


if __name__ == "__main__":
    main()
