#!/usr/bin/python3
"""PyTorch's time for bench/bench_rnn_attention.cpp: the same attention written with torch ops
(as in tests/golden/make_golden_layers.py), the same sizes, one intra-op thread.

    /usr/bin/python3 bench/reference/rnn_attention.py
Prints the median of 7 timed repetitions (after warm-up) for each benchmark.
"""
import statistics
import time

import torch
import torch.nn as nn

BATCH, SOURCE, HIDDEN, STEPS = 32, 50, 256, 20


class Additive(nn.Module):
    def __init__(self):
        super().__init__()
        self.query_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.key_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.v = nn.Linear(HIDDEN, 1, bias=False)

    def project_keys(self, keys):
        return self.key_proj(keys)

    def scores(self, query, keys):
        return self.v(torch.tanh(self.query_proj(query).unsqueeze(1) + keys)).squeeze(-1)


class Luong(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear_in = nn.Linear(HIDDEN, HIDDEN, bias=False)

    def project_keys(self, keys):
        return self.linear_in(keys)

    def scores(self, query, keys):
        return torch.bmm(keys, query.unsqueeze(2)).squeeze(2)


def attend(model, query, keys, values, mask):
    weights = torch.softmax(model.scores(query, keys).masked_fill(mask, float("-inf")), dim=-1)
    return torch.bmm(weights.unsqueeze(1), values).squeeze(1)


def padding_mask():
    s = torch.arange(SOURCE)
    return torch.stack([s >= SOURCE - (b % 25) for b in range(BATCH)])


def median_seconds(work, repeats, rounds=7):
    for _ in range(max(1, repeats // 5)):
        work()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeats):
            work()
        times.append((time.perf_counter() - start) / repeats)
    return statistics.median(times)


def decode_step(model):
    states, query, mask = torch.randn(BATCH, SOURCE, HIDDEN), torch.randn(BATCH, HIDDEN), padding_mask()
    with torch.no_grad():
        keys = model.project_keys(states)
        return median_seconds(lambda: attend(model, query, keys, states, mask), 2000)


def train_sentence(model):
    states = torch.randn(BATCH, SOURCE, HIDDEN, requires_grad=True)
    queries = [torch.randn(BATCH, HIDDEN, requires_grad=True) for _ in range(STEPS)]
    mask = padding_mask()

    def work():
        model.zero_grad()
        keys = model.project_keys(states)
        loss = sum(attend(model, q, keys, states, mask).sum() for q in queries)
        loss.backward()

    return median_seconds(work, 50)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    for name, model in [("Additive", Additive()), ("Luong", Luong())]:
        print(f"decode_step<{name}>     {decode_step(model) * 1e6:8.1f} us")
    for name, model in [("Additive", Additive()), ("Luong", Luong())]:
        print(f"train_sentence<{name}>  {train_sentence(model) * 1e3:8.2f} ms")
    print(f"torch {torch.__version__}, {torch.get_num_threads()} intra-op thread")


if __name__ == "__main__":
    main()
