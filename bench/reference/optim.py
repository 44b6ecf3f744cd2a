#!/usr/bin/python3
"""PyTorch's figures for bench/bench_optim.cpp: the same steps over the same 12.6M parameters
(four 3M-element tensors), in GB/s of bytes read plus written (Adam 28 bytes per parameter,
SGD with momentum 20, clip_grad_norm_ 12), median of several timed repetitions after warm-up.

    /usr/bin/python3 bench/reference/optim.py            # one intra-op thread
    /usr/bin/python3 bench/reference/optim.py --threads 2
"""
import argparse
import statistics
import time

import torch

TENSORS, PER_TENSOR = 4, 3 << 20


def parameters_with_gradients():
    params = [torch.randn(PER_TENSOR).requires_grad_() for _ in range(TENSORS)]
    for p in params:
        p.grad = torch.randn(PER_TENSOR)
    return params


def measure(name, step, bytes_per_parameter, repetitions=7, calls=10):
    step()  # warm-up (allocates optimizer state)
    times = []
    for _ in range(repetitions):
        start = time.perf_counter()
        for _ in range(calls):
            step()
        times.append((time.perf_counter() - start) / calls)
    t = statistics.median(times)
    gbps = TENSORS * PER_TENSOR * bytes_per_parameter / t / 1e9
    print(f"{name:<28} {t * 1e3:8.2f} ms  {gbps:6.1f} GB/s")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} thread(s)")
    with torch.no_grad():
        for foreach in (False, True):
            params = parameters_with_gradients()
            measure(f"Adam foreach={foreach}", torch.optim.Adam(params, foreach=foreach).step, 28)
            params = parameters_with_gradients()
            measure(f"AdamW foreach={foreach}", torch.optim.AdamW(params, foreach=foreach).step, 28)
            params = parameters_with_gradients()
            measure(f"SGD momentum foreach={foreach}",
                    torch.optim.SGD(params, lr=1e-3, momentum=0.9, foreach=foreach).step, 20)
        params = parameters_with_gradients()
        measure("clip_grad_norm_", lambda: torch.nn.utils.clip_grad_norm_(params, 1.0), 12)


if __name__ == "__main__":
    main()
