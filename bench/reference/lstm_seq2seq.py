#!/usr/bin/python3
"""PyTorch's twin of `heed bench lstm` (train::BenchmarkLSTM, train/benchmark_lstm.h).

Vocabulary 1000, embeddings 128, a one-layer unidirectional LSTM encoder with hidden 256; the
decoder, an LSTMCell started from the encoder's final (h, c) and a zero context, is fed
[target embedding; previous context]; additive attention v^T tanh(W_q h + W_k k_j) with
bias-free 256 -> 256 projections and a bias-free score vector, source padding masked; an output
Linear on [h; context] with bias. Cross-entropy with ignore_index 0, Adam lr 1e-3, B = 32,
S = T = 32: 1,953,000 parameters.

    /usr/bin/python3 bench/reference/lstm_seq2seq.py [--steps 10] [--warmup 2]
"""
import torch
from torch import nn

from workload import parse_args, random_batch, run

VOCAB, EMBEDDING, HIDDEN, BATCH, LENGTH = 1000, 128, 256, 32, 32


class BenchmarkLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.source_embedding = nn.Embedding(VOCAB, EMBEDDING, padding_idx=0)
        self.encoder = nn.LSTM(EMBEDDING, HIDDEN, batch_first=True)
        self.target_embedding = nn.Embedding(VOCAB, EMBEDDING, padding_idx=0)
        self.decoder = nn.LSTMCell(EMBEDDING + HIDDEN, HIDDEN)
        self.query_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.key_proj = nn.Linear(HIDDEN, HIDDEN, bias=False)
        self.v = nn.Linear(HIDDEN, 1, bias=False)
        self.generator = nn.Linear(2 * HIDDEN, VOCAB)

    def forward(self, src, tgt_in):
        memory, (h, c) = self.encoder(self.source_embedding(src))  # (B, S, H), (1, B, H)
        keys = self.key_proj(memory)                                 # (B, S, H)
        padding = src == 0                                           # (B, S)
        embedded = self.target_embedding(tgt_in)                    # (B, T, E)
        h, c = h[0], c[0]
        context = torch.zeros(src.size(0), HIDDEN)
        outputs = []
        for t in range(tgt_in.size(1)):
            h, c = self.decoder(torch.cat([embedded[:, t], context], 1), (h, c))
            scores = self.v(torch.tanh(self.query_proj(h).unsqueeze(1) + keys)).squeeze(2)  # (B, S)
            weights = torch.softmax(scores.masked_fill(padding, float("-inf")), 1)
            context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)                    # (B, H)
            outputs.append(torch.cat([h, context], 1))
        return self.generator(torch.stack(outputs, 1))  # (B, T, V)


def main():
    args = parse_args(__doc__.splitlines()[0], None)
    model = BenchmarkLSTM()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss(ignore_index=0)
    run("lstm", model, loss_fn, optimizer, random_batch(VOCAB, BATCH, LENGTH), args.steps, args.warmup)


if __name__ == "__main__":
    main()
