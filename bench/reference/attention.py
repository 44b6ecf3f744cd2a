#!/usr/bin/python3
"""PyTorch's reference for bench/bench_attention.cpp: one training step of nn.MultiheadAttention.

Self-attention, batch-first, B = 32, T = S = 64, embed_dim 512, 8 heads, no dropout, a key
padding mask (every sequence padded after a length drawn in [S/2, S]), need_weights=False. A step
is the forward pass, then backward of a fixed random upstream gradient on the output, gradients
cleared each time (as a training step does); the input requires grad, as it would inside a
model. Prints the median of several timed repetitions after warm-up, in milliseconds.

    /usr/bin/python3 bench/reference/attention.py

One intra-op thread: on this machine PyTorch trains fastest that way (its OpenBLAS still uses
both cores for the GEMMs).
"""
import statistics
import sys
import time

import torch

B, T, E, HEADS = 32, 64, 512, 8
WARMUP, REPETITIONS, STEPS = 10, 15, 10


def main():
    torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 1)
    torch.manual_seed(0)
    attention = torch.nn.MultiheadAttention(E, HEADS, batch_first=True)
    x = torch.randn(B, T, E, requires_grad=True)
    lengths = torch.randint(T // 2, T + 1, (B,))
    key_padding_mask = torch.arange(T)[None, :] >= lengths[:, None]  # (B, S), True = padded
    upstream = torch.randn(B, T, E)

    def step():
        attention.zero_grad(set_to_none=True)
        x.grad = None
        output, _ = attention(x, x, x, key_padding_mask=key_padding_mask, need_weights=False)
        output.backward(upstream)

    def forward_only():
        with torch.no_grad():
            attention(x, x, x, key_padding_mask=key_padding_mask, need_weights=False)

    for name, work in [("forward+backward", step), ("forward, no grad", forward_only)]:
        for _ in range(WARMUP):
            work()
        times = []
        for _ in range(REPETITIONS):
            start = time.perf_counter()
            for _ in range(STEPS):
                work()
            times.append((time.perf_counter() - start) / STEPS * 1e3)
        print(f"torch {torch.__version__} nn.MultiheadAttention B={B} T=S={T} E={E} heads={HEADS} "
              f"{name}: median {statistics.median(times):.3f} ms "
              f"(min {min(times):.3f}, max {max(times):.3f})")


if __name__ == "__main__":
    main()
