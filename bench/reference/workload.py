"""What bench/reference/transformer.py and lstm_seq2seq.py share with heed's `heed bench`
(train/benchmark.h): the command line, the batch, the timing loop and the output line.

A step is zero_grad, forward, loss, backward, optimiser step on one batch of random tokens in
[1, vocab): source (B, S), target (B, T + 1) split into the decoder's input and the targets
(teacher forcing). Two warm-up steps, ten timed; the line reports the median and the minimum,
tokens_per_s = B * T target tokens per step / median step time, the process's peak resident
memory (ru_maxrss) and the last step's loss:

    NAME: params=N step_median_s=X min=Y tokens_per_s=Z peak_rss_mib=M loss=L

PyTorch runs at its best setting on this machine: one intra-op thread, OpenBLAS with 2 threads
(OPENBLAS_NUM_THREADS, set here before torch loads unless already set).
"""
import argparse
import os
import resource
import statistics
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")
import torch  # noqa: E402  (after OPENBLAS_NUM_THREADS)


def parse_args(description, configs):
    parser = argparse.ArgumentParser(description=description)
    if configs:
        parser.add_argument("--config", choices=configs, required=True)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if args.steps < 1 or args.warmup < 0:
        parser.error("--steps must be >= 1 and --warmup >= 0")
    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    return args


def random_batch(vocab, batch, length):
    """(src (B, S), tgt_in (B, T), tgt_out (B, T)), tokens uniform in [1, vocab)."""
    src = torch.randint(1, vocab, (batch, length))
    tgt = torch.randint(1, vocab, (batch, length + 1))
    return src, tgt[:, :-1].contiguous(), tgt[:, 1:].contiguous()


def run(name, model, loss_fn, optimizer, batch, steps, warmup):
    src, tgt_in, tgt_out = batch
    model.train()

    def step():
        optimizer.zero_grad()
        logits = model(src, tgt_in)
        loss = loss_fn(logits.reshape(-1, logits.size(-1)), tgt_out.reshape(-1))
        loss.backward()
        optimizer.step()
        return loss.item()

    loss = 0.0
    for _ in range(warmup):
        loss = step()
    times = []
    for _ in range(steps):
        start = time.perf_counter()
        loss = step()
        times.append(time.perf_counter() - start)
    median = statistics.median(times)
    params = sum(p.numel() for p in model.parameters())
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{name}: params={params} step_median_s={median:.4f} min={min(times):.4f} "
          f"tokens_per_s={tgt_out.numel() / median:.0f} peak_rss_mib={peak_mib:.0f} loss={loss:.4f}")
