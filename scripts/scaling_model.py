#!/usr/bin/python3
"""The scaling model of docs/distributed.md: bytes per step, ring all-reduce time and the expected
data-parallel efficiency of the reference Transformers (tiny, small, base) on 1, 8 and 64 machines.

    /usr/bin/python3 scripts/scaling_model.py                          # prints every table of the doc
    /usr/bin/python3 scripts/scaling_model.py --check docs/distributed.md  # fails if one is missing

The inputs are the parameter counts (recomputed here from the shapes in train/benchmark.h) and the
step times of README.md's Performance section (bench/compare at a25977e, 2 cores, batch of 32
sentences).
Units: MB = 10^6 bytes, ms = 10^-3 s, 1 Gb/s = 10^9 bits/s = 0.125 GB/s.
"""
import math
import sys

# name, vocabulary, d_model, d_ff, layers (each stack), parameters (train/benchmark.h), step s (README)
CONFIGS = [
    ("tiny", 1000, 128, 512, 2, 1_311_208, 0.0701),
    ("small", 8000, 256, 1024, 3, 11_682_624, 0.6232),
    ("base", 8000, 512, 2048, 3, 34_367_296, 2.6351),
]
MACHINES = [1, 8, 64]
NETWORKS_GBPS = [10, 25, 100]
LATENCY_S = 5e-6          # α, one hop of a message between two machines
BACKWARD_SHARE = 2 / 3    # backward ≈ 2 × forward: the most compute that communication can hide
BYTES_FP32 = 4
MIB = 2**20


def matrix_and_vector_shapes(vocab, d, ff, layers):
    """Every parameter of the benchmark Transformer as a shape: nn.Transformer (encoder and decoder
    stacks, each ending in a LayerNorm), two embedding tables and an output Linear with bias."""
    attention = [(3 * d, d), (3 * d,), (d, d), (d,)]    # in_proj weight, bias; out_proj weight, bias
    feed_forward = [(ff, d), (ff,), (d, ff), (d,)]      # linear1, linear2
    norm = [(d,), (d,)]                                 # LayerNorm weight, bias
    encoder_layer = attention + feed_forward + 2 * norm
    decoder_layer = 2 * attention + feed_forward + 3 * norm
    return ([(vocab, d), (vocab, d)] + layers * encoder_layer + norm + layers * decoder_layer + norm
            + [(vocab, d), (vocab,)])


def count(shape):
    return math.prod(shape)


def ring_bytes(n, gradient_bytes):
    """Bytes each rank sends (and receives) in a ring all-reduce: reduce-scatter then all-gather,
    N − 1 steps each, one chunk of bytes / N per step."""
    return 2 * (n - 1) / n * gradient_bytes


def allreduce_s(n, gradient_bytes, gbps, latency_s=LATENCY_S):
    """Ring all-reduce time: bandwidth term plus 2(N − 1) hops of latency, one message."""
    return ring_bytes(n, gradient_bytes) / (gbps * 1e9 / 8) + 2 * (n - 1) * latency_s


def step_s(compute_s, comm_s, overlap):
    """T_step = T_compute + max(0, T_allreduce − hidden), hidden at most the backward share."""
    hidden = BACKWARD_SHARE * compute_s if overlap else 0.0
    return compute_s + max(0.0, comm_s - hidden)


def pct(x):
    return f"{100 * x:.1f}%"


def table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def bytes_table():
    rows = []
    for name, *_, params, _ in CONFIGS:
        grad = params * BYTES_FP32
        rows.append([name, f"{params:,}", f"{grad / 1e6:.2f}", f"{ring_bytes(8, grad) / 1e6:.2f}",
                     f"{ring_bytes(64, grad) / 1e6:.2f}"])
    return table(["config", "parameters P", "fp32 gradients 4P, MB", "sent per rank, 8 machines, MB",
                  "sent per rank, 64 machines, MB"], rows)


def efficiency_table():
    rows = []
    for name, *_, params, compute in CONFIGS:
        for gbps in NETWORKS_GBPS:
            row = [name, f"{gbps} Gb/s"]
            comm = [allreduce_s(n, params * BYTES_FP32, gbps) for n in MACHINES]
            row += [f"{c * 1e3:.2f}" for c in comm[1:]]
            for c in comm:
                no = compute / step_s(compute, c, overlap=False)
                yes = compute / step_s(compute, c, overlap=True)
                row.append(f"{pct(no)} / {pct(yes)}")
            rows.append(row)
    return table(["config", "network", "T_allreduce 8, ms", "T_allreduce 64, ms", "1 machine",
                  "8 machines", "64 machines"], rows)


def worked_cell():
    name, *_, params, compute = CONFIGS[2]
    n, gbps = 64, 10
    grad = params * BYTES_FP32
    bandwidth = ring_bytes(n, grad) / (gbps * 1e9 / 8)
    latency = 2 * (n - 1) * LATENCY_S
    comm = bandwidth + latency
    return "\n".join([
        f"{name}, {n} machines, {gbps} Gb/s ({gbps / 8} GB/s):",
        f"  gradient bytes      4 · {params:,} = {grad:,} B",
        f"  sent per rank       2 · {n - 1}/{n} · {grad:,} = {ring_bytes(n, grad):,.0f} B",
        f"  bandwidth term      {ring_bytes(n, grad):,.0f} B / {gbps / 8 * 1e9:,.0f} B/s = {bandwidth * 1e3:.2f} ms",
        f"  latency term        2 · {n - 1} · {LATENCY_S * 1e6:.0f} µs = {latency * 1e3:.2f} ms",
        f"  T_allreduce         {comm * 1e3:.2f} ms",
        f"  no overlap          {compute} / ({compute} + {comm:.4f}) = {pct(compute / step_s(compute, comm, False))}",
        f"  overlap             hides up to 2/3 · {compute} = {BACKWARD_SHARE * compute:.4f} s ≥ {comm:.4f} s,"
        f" so T_step = {step_s(compute, comm, True)} s: {pct(compute / step_s(compute, comm, True))}",
    ])


def headroom_table():
    rows = []
    for name, *_, params, compute in CONFIGS:
        row = [name]
        for gbps in NETWORKS_GBPS:
            comm = allreduce_s(64, params * BYTES_FP32, gbps)
            row.append(f"{BACKWARD_SHARE * compute / comm:.0f}× / {compute / comm:.0f}×")
        rows.append(row)
    return table(["config"] + [f"{gbps} Gb/s" for gbps in NETWORKS_GBPS], rows)


def strong_scaling_table():
    """A global batch of 32 sentences split over 8 machines, 4 each: T_compute / 8 per rank."""
    n = 8
    rows = []
    for name, *_, params, compute in CONFIGS:
        per_rank = compute / n
        row = [name, f"{per_rank * 1e3:.1f}"]
        for gbps in NETWORKS_GBPS:
            comm = allreduce_s(n, params * BYTES_FP32, gbps)
            no = per_rank / step_s(per_rank, comm, overlap=False)
            yes = per_rank / step_s(per_rank, comm, overlap=True)
            row.append(f"{pct(no)} / {pct(yes)}")
        rows.append(row)
    header = ["config", f"T_compute / {n}, ms"] + [f"{gbps} Gb/s" for gbps in NETWORKS_GBPS]
    return table(header, rows)


def latency_table():
    n = 64
    rows = []
    for name, *_, params, _ in CONFIGS:
        grad = params * BYTES_FP32
        row = [name]
        for bucket_mib in (1, 25):
            buckets = math.ceil(grad / (bucket_mib * MIB))
            row.append(f"{buckets}: {buckets * 2 * (n - 1) * LATENCY_S * 1e3:.2f}")
        for gbps in (10, 100):
            row.append(f"{ring_bytes(n, grad) / (gbps * 1e9 / 8) * 1e3:.2f}")
        rows.append(row)
    return table(["config", "1 MiB buckets: count: latency ms", "25 MiB buckets: count: latency ms",
                  "bandwidth term 10 Gb/s, ms", "bandwidth term 100 Gb/s, ms"], rows)


def compression_table():
    rank = 4
    rows = []
    for name, vocab, d, ff, layers, params, _ in CONFIGS:
        shapes = matrix_and_vector_shapes(vocab, d, ff, layers)
        assert sum(count(s) for s in shapes) == params, name
        matrices = [s for s in shapes if len(s) == 2]
        vectors = sum(count(s) for s in shapes if len(s) == 1)
        low_rank = sum(rank * (m + k) for m, k in matrices) + vectors
        fp32 = params * BYTES_FP32
        rows.append([name, f"{fp32 / 1e6:.2f}", f"{params * 2 / 1e6:.2f}",
                     f"{low_rank * BYTES_FP32 / 1e6:.3f}", f"{fp32 / (low_rank * BYTES_FP32):.0f}×"])
    return table(["config", "fp32, MB", "bf16 or fp16, MB", f"PowerSGD rank {rank}, MB", "PowerSGD saving"], rows)


def zero_table():
    rows = []
    for name, *_, params, _ in CONFIGS:
        p = params
        row = [name, f"{16 * p / 1e6:.0f}"]
        for n in (8, 64):
            row += [f"{(8 * p + 8 * p / n) / 1e6:.0f}", f"{(4 * p + 12 * p / n) / 1e6:.0f}",
                    f"{16 * p / n / 1e6:.1f}"]
        rows.append(row)
    return table(["config", "replicated 16P", "stage 1, 8", "stage 2, 8", "stage 3, 8",
                  "stage 1, 64", "stage 2, 64", "stage 3, 64"], rows)


def latency_sensitivity():
    """The most latency-bound cell of the efficiency table with ten times the latency."""
    name, *_, params, compute = CONFIGS[0]
    comm = allreduce_s(64, params * BYTES_FP32, 100, latency_s=10 * LATENCY_S)
    return (f"α = {10 * LATENCY_S * 1e6:.0f} µs: {name}, 64 machines, 100 Gb/s: T_allreduce {comm * 1e3:.2f} ms, "
            f"no overlap {pct(compute / step_s(compute, comm, False))}")


def outputs():
    return [bytes_table(), efficiency_table(), worked_cell(), latency_sensitivity(), headroom_table(),
            strong_scaling_table(), latency_table(), compression_table(), zero_table()]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--check":
        with open(sys.argv[2], encoding="utf-8") as doc:
            text = doc.read()
        missing = [block for block in outputs() if block not in text]
        for block in missing:
            print(f"not in {sys.argv[2]}:\n{block}\n", file=sys.stderr)
        sys.exit(1 if missing else 0)
    print("\n\n".join(outputs()))


if __name__ == "__main__":
    main()
