#!/usr/bin/python3
"""PyTorch's reference for bench/bench_lstm.cpp: one training step of nn.LSTM.

One layer, input 256, hidden 256, T = 32 steps, batch 32, (T, B, I) layout. A step is the
forward pass, then backward of a fixed random upstream gradient on the output, gradients
cleared each time (as a training step does). Prints the median of several timed repetitions
after warm-up, in milliseconds.

    /usr/bin/python3 bench/reference/lstm.py

One intra-op thread: on this machine PyTorch trains fastest that way (its OpenBLAS still uses
both cores for the GEMMs).
"""
import statistics
import time

import torch

T, B, I, H = 32, 32, 256, 256
WARMUP, REPETITIONS, STEPS = 20, 15, 20


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(I, H)
    x = torch.randn(T, B, I, requires_grad=True)
    upstream = torch.randn(T, B, H)

    def step():
        lstm.zero_grad(set_to_none=True)
        x.grad = None
        output, _ = lstm(x)
        output.backward(upstream)

    def forward_only():
        with torch.no_grad():
            lstm(x)

    for name, work in [("forward+backward", step), ("forward, no grad", forward_only)]:
        for _ in range(WARMUP):
            work()
        times = []
        for _ in range(REPETITIONS):
            start = time.perf_counter()
            for _ in range(STEPS):
                work()
            times.append((time.perf_counter() - start) / STEPS * 1e3)
        print(f"torch {torch.__version__} nn.LSTM T={T} B={B} I={I} H={H} {name}: "
              f"median {statistics.median(times):.3f} ms (min {min(times):.3f}, max {max(times):.3f})")


if __name__ == "__main__":
    main()
