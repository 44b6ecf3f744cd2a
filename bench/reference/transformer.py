#!/usr/bin/python3
"""PyTorch's twin of `heed bench transformer --config tiny|small|base` (train/benchmark.h).

nn.Transformer (post-norm, ReLU, dropout 0.1, a final LayerNorm on encoder and decoder,
batch-first), separate source and target embeddings scaled by sqrt(d) plus sinusoidal positions,
dropout 0.1 on both, an output Linear with bias; cross-entropy with label smoothing 0.1 and
ignore_index 0; Adam lr 1e-4, betas (0.9, 0.98), eps 1e-9. Source padding (id 0) is masked as
heed masks it, though random tokens never hold any.

    /usr/bin/python3 bench/reference/transformer.py --config tiny [--steps 10] [--warmup 2]
"""
import math

import torch
from torch import nn

from workload import parse_args, random_batch, run

# name: (vocab, d_model, heads, d_ff, layers, B, S = T); parameters 1,311,208 / 11,682,624 / 34,367,296
CONFIGS = {
    "tiny": (1000, 128, 4, 512, 2, 32, 32),
    "small": (8000, 256, 4, 1024, 3, 32, 48),
    "base": (8000, 512, 8, 2048, 3, 32, 64),
}


def sinusoids(length, d_model):
    """PE(pos, 2i) = sin(pos / 10000^(2i/d)), PE(pos, 2i+1) = cos(same): (length, d_model)."""
    position = torch.arange(length, dtype=torch.float32).unsqueeze(1)
    frequency = torch.exp(torch.arange(0, d_model, 2, dtype=torch.float32) * (-math.log(10000.0) / d_model))
    table = torch.zeros(length, d_model)
    table[:, 0::2] = torch.sin(position * frequency)
    table[:, 1::2] = torch.cos(position * frequency)
    return table


class Seq2SeqTransformer(nn.Module):
    def __init__(self, vocab, d_model, heads, d_ff, layers, max_length=1024):
        super().__init__()
        self.scale = math.sqrt(d_model)
        self.source_embedding = nn.Embedding(vocab, d_model, padding_idx=0)
        self.target_embedding = nn.Embedding(vocab, d_model, padding_idx=0)
        self.register_buffer("positions", sinusoids(max_length, d_model))
        self.dropout = nn.Dropout(0.1)
        self.transformer = nn.Transformer(d_model, heads, layers, layers, d_ff, dropout=0.1, batch_first=True)
        self.generator = nn.Linear(d_model, vocab)

    def embed(self, table, ids):
        return self.dropout(table(ids) * self.scale + self.positions[: ids.size(1)])

    def forward(self, src, tgt_in):
        causal = nn.Transformer.generate_square_subsequent_mask(tgt_in.size(1))
        padding = src == 0
        out = self.transformer(self.embed(self.source_embedding, src), self.embed(self.target_embedding, tgt_in),
                               tgt_mask=causal, src_key_padding_mask=padding, memory_key_padding_mask=padding)
        return self.generator(out)


def main():
    args = parse_args(__doc__.splitlines()[0], list(CONFIGS))
    vocab, d_model, heads, d_ff, layers, batch, length = CONFIGS[args.config]
    model = Seq2SeqTransformer(vocab, d_model, heads, d_ff, layers)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-4, betas=(0.9, 0.98), eps=1e-9)
    loss_fn = nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)
    run(args.config, model, loss_fn, optimizer, random_batch(vocab, batch, length), args.steps, args.warmup)


if __name__ == "__main__":
    main()
