#!/usr/bin/python3
"""heed <-> PyTorch interop: heed's two translation models rebuilt from PyTorch modules.

heed's models::Transformer and models::LSTMSeq2Seq are defined here again with torch.nn, their
submodules registered under heed's names, so a heed state dict *is* a PyTorch state dict of these
modules: no key is renamed. (The one thing heed stores that plain torch.nn does not have is the
sinusoidal table "positions.pe", which is a buffer here too.)

  torch_interop.py check DIR...        for each heed model directory DIR (config.json and
                                       model.safetensors, as train::save_model_dir writes them,
                                       plus batch.safetensors: "src", "tgt_in" int64 and heed's
                                       "logits"), build the PyTorch model, load the weights,
                                       compute the logits on the batch and compare with heed's.
  torch_interop.py from-torch DIR...   for each DIR, a PyTorch model of DIR's configuration,
                                       initialised by PyTorch (seeded, then every parameter
                                       perturbed so no bias or norm weight is trivially 0 or 1),
                                       saved as DIR/torch/ (config.json and vocabularies copied,
                                       model.safetensors written by this script) with
                                       DIR/torch/batch.safetensors holding PyTorch's logits on
                                       DIR's batch, for heed to load and compare.
  torch_interop.py both DIR...         check, then from-torch (one Python start-up instead of two).

Exit status 0 when every logit agrees within 1e-4 (check), 1 otherwise; each model gets one line.
Everything runs in evaluation mode (dropout off). The safetensors files are read and written by the
small reader and writer below (8-byte little-endian header length, JSON header, raw little-endian
data), so the `safetensors` package is not needed.

The models, as heed computes them (models/transformer.cpp, models/lstm_seq2seq.cpp):
  Transformer  ids -> embedding * sqrt(d_model) + positions (sinusoidal "positions.pe", or learned
               "source_positions.weight" / "target_positions.weight") -> nn.TransformerEncoder /
               nn.TransformerDecoder (batch_first; the stacks' final LayerNorm "encoder.norm",
               "decoder.norm" only with norm_first) -> "generator" (or, with tie_output, the target
               embedding table transposed, no bias). share_embeddings: one table "embedding".
               Masks: source padding in encoder self-attention and in attention to memory; causal
               decoder self-attention.
  LSTMSeq2Seq  source ids -> "source_embedding" -> "encoder" nn.LSTM (batch_first, packed by each
               row's length; bidirectional: H/2 per direction) -> memory (B, S, H); the decoder's
               layer l starts from the encoder's layer-l final (h, c), directions concatenated.
               Each target step: x = [embedding; h~_{t-1}] (input feeding) -> "decoder.l"
               LSTMCells -> attention of the top state over memory ("attention": additive
               query_proj/key_proj/v, or Luong dot / general linear_in) -> h~ = tanh("combine"
               [context; top]) -> "generator".
"""
import json
import math
import os
import shutil
import struct
import sys

import torch
from torch import nn
import torch.nn.functional as F

TOLERANCE = 1e-4

# ---- safetensors ----

_DTYPES = {"F32": (torch.float32, 4), "I64": (torch.int64, 8)}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (header_length,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + header_length].decode("utf-8"))
    body = data[8 + header_length:]
    tensors = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dtype, _ = _DTYPES[info["dtype"]]
        begin, end = info["data_offsets"]
        raw = bytearray(body[begin:end])
        flat = torch.frombuffer(raw, dtype=dtype) if raw else torch.empty(0, dtype=dtype)
        if sys.byteorder != "little":
            raise SystemExit("this reader assumes a little-endian machine")
        tensors[name] = flat.reshape(info["shape"]).clone()
    return tensors


def write_safetensors(tensors, path):
    names = sorted(tensors)
    header, chunks, offset = {}, [], 0
    for name in names:
        t = tensors[name].detach().contiguous().cpu()
        code = {torch.float32: "F32", torch.int64: "I64"}[t.dtype]
        raw = t.numpy().tobytes() if t.numel() else b""
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        chunks.append(raw)
        offset += len(raw)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for raw in chunks:
            f.write(raw)


# ---- models::Transformer ----

class SinusoidalPositions(nn.Module):
    def __init__(self, d_model, max_len):
        super().__init__()
        pe = torch.zeros(max_len, d_model, dtype=torch.float64)
        position = torch.arange(max_len, dtype=torch.float64).unsqueeze(1)
        for column in range(0, d_model, 2):
            angle = position[:, 0] * math.exp(-column / d_model * math.log(10000.0))
            pe[:, column] = torch.sin(angle)
            if column + 1 < d_model:
                pe[:, column + 1] = torch.cos(angle)
        self.register_buffer("pe", pe.float())

    def forward(self, length):
        return self.pe[:length]


class LearnedPositions(nn.Module):
    def __init__(self, max_len, d_model):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(max_len, d_model))

    def forward(self, length):
        return self.weight[:length]


class Transformer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        E, pad = c["d_model"], c["special"]["pad"]
        if c["share_embeddings"]:
            self.embedding = nn.Embedding(c["target_vocab_size"], E, padding_idx=pad)
        else:
            self.source_embedding = nn.Embedding(c["source_vocab_size"], E, padding_idx=pad)
            self.target_embedding = nn.Embedding(c["target_vocab_size"], E, padding_idx=pad)
        if c["positions"] == "sinusoidal":
            self.positions = SinusoidalPositions(E, c["max_length"])
        else:
            self.source_positions = LearnedPositions(c["max_length"], E)
            self.target_positions = LearnedPositions(c["max_length"], E)
        layer = dict(d_model=E, nhead=c["nhead"], dim_feedforward=c["dim_feedforward"], dropout=c["dropout"],
                     activation=c["activation"], batch_first=True, norm_first=c["norm_first"])
        final_norm = (lambda: nn.LayerNorm(E)) if c["norm_first"] else (lambda: None)
        self.encoder = nn.TransformerEncoder(nn.TransformerEncoderLayer(**layer), c["num_encoder_layers"],
                                             norm=final_norm(), enable_nested_tensor=False)
        self.decoder = nn.TransformerDecoder(nn.TransformerDecoderLayer(**layer), c["num_decoder_layers"],
                                             norm=final_norm())
        if not c["tie_output"]:
            self.generator = nn.Linear(E, c["target_vocab_size"])

    def tables(self):  # (source, target): one module with share_embeddings, registered once
        if self.c["share_embeddings"]:
            return self.embedding, self.embedding
        return self.source_embedding, self.target_embedding

    def embed(self, table, positions, ids):
        return table(ids) * math.sqrt(self.c["d_model"]) + positions(ids.shape[1])  # (B, L, E)

    def forward(self, src, tgt_in):
        source_table, target_table = self.tables()
        learned = self.c["positions"] == "learned"
        padding = src == self.c["special"]["pad"]  # (B, S)
        x = self.embed(source_table, self.source_positions if learned else self.positions, src)
        memory = self.encoder(x, src_key_padding_mask=padding)  # (B, S, E)
        y = self.embed(target_table, self.target_positions if learned else self.positions, tgt_in)
        T = tgt_in.shape[1]
        causal = torch.triu(torch.full((T, T), float("-inf")), diagonal=1)
        y = self.decoder(y, memory, tgt_mask=causal, memory_key_padding_mask=padding)  # (B, T, E)
        return F.linear(y, target_table.weight) if self.c["tie_output"] else self.generator(y)  # (B, T, V)


# ---- models::LSTMSeq2Seq ----

class AdditiveAttention(nn.Module):
    def __init__(self, H):
        super().__init__()
        self.query_proj = nn.Linear(H, H, bias=False)
        self.key_proj = nn.Linear(H, H, bias=False)
        self.v = nn.Linear(H, 1, bias=False)

    def project_keys(self, memory):
        return self.key_proj(memory)  # (B, S, A)

    def scores(self, query, keys):
        return self.v(torch.tanh(keys + self.query_proj(query).unsqueeze(1))).squeeze(2)  # (B, S)


class LuongAttention(nn.Module):
    def __init__(self, H, general):
        super().__init__()
        if general:
            self.linear_in = nn.Linear(H, H, bias=False)
        self.general = general

    def project_keys(self, memory):
        return self.linear_in(memory) if self.general else memory  # (B, S, H)

    def scores(self, query, keys):
        return torch.bmm(keys, query.unsqueeze(2)).squeeze(2)  # (B, S)


class LSTMSeq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        E, H, L, pad = c["embedding_size"], c["hidden_size"], c["num_layers"], c["special"]["pad"]
        bidirectional = c["bidirectional_encoder"]
        self.source_embedding = nn.Embedding(c["source_vocab_size"], E, padding_idx=pad)
        self.encoder = nn.LSTM(E, H // 2 if bidirectional else H, num_layers=L, batch_first=True,
                               dropout=c["dropout"] if L > 1 else 0.0, bidirectional=bidirectional)
        self.target_embedding = nn.Embedding(c["target_vocab_size"], E, padding_idx=pad)
        first_input = E + (H if c["input_feeding"] else 0)
        self.decoder = nn.ModuleList([nn.LSTMCell(first_input if l == 0 else H, H) for l in range(L)])
        kind = c["attention"]
        self.attention = AdditiveAttention(H) if kind == "additive" else LuongAttention(H, kind == "general")
        self.combine = nn.Linear(2 * H, H, bias=False)
        self.generator = nn.Linear(H, c["target_vocab_size"])

    def forward(self, src, tgt_in):
        c = self.c
        B, S = src.shape
        padding = src == c["special"]["pad"]  # (B, S); heed requires each row's padding at its end
        lengths = (~padding).sum(1).clamp(min=1)
        packed = nn.utils.rnn.pack_padded_sequence(self.source_embedding(src), lengths, batch_first=True,
                                                   enforce_sorted=False)
        out, (h, cell) = self.encoder(packed)
        memory, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=S)  # (B, S, H)
        D = 2 if c["bidirectional_encoder"] else 1
        join = lambda finals, l: finals[l * D:(l + 1) * D].permute(1, 0, 2).reshape(B, -1)  # (B, H)
        states = [(join(h, l), join(cell, l)) for l in range(c["num_layers"])]
        keys = self.attention.project_keys(memory)
        feed = torch.zeros(B, c["hidden_size"]) if c["input_feeding"] else None
        embedded = self.target_embedding(tgt_in)  # (B, T, E)
        attentional = []
        for t in range(tgt_in.shape[1]):
            x = embedded[:, t] if feed is None else torch.cat([embedded[:, t], feed], 1)
            for l, cell_l in enumerate(self.decoder):
                states[l] = cell_l(x, states[l])
                x = states[l][0]
            scores = self.attention.scores(x, keys).masked_fill(padding, float("-inf"))
            weights = torch.nan_to_num(torch.softmax(scores, 1), nan=0.0)  # all-padded row: zeros, as heed
            context = torch.bmm(weights.unsqueeze(1), memory).squeeze(1)  # (B, H)
            h_tilde = torch.tanh(self.combine(torch.cat([context, x], 1)))  # (B, H)
            if feed is not None:
                feed = h_tilde
            attentional.append(h_tilde)
        return self.generator(torch.stack(attentional, 1))  # (B, T, V)


# ---- the two directions ----

def build(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        config = json.load(f)["model"]
    return (Transformer if config["kind"] == "transformer" else LSTMSeq2Seq)(config).eval()


def logits_of(model, batch):
    # Gradients stay on so PyTorch's fused inference fast path (a different kernel) is not taken.
    with torch.enable_grad():
        return model(batch["src"], batch["tgt_in"]).detach()


def check(model_dir):
    model = build(model_dir)
    weights = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    expected_keys = set(model.state_dict())
    if set(weights) != expected_keys:
        print(f"{model_dir}: keys differ; only in heed's file: {sorted(set(weights) - expected_keys)}, "
              f"only in PyTorch's model: {sorted(expected_keys - set(weights))}")
        return False
    model.load_state_dict(weights, strict=True)
    batch = read_safetensors(os.path.join(model_dir, "batch.safetensors"))
    logits = logits_of(model, batch)
    if logits.shape != batch["logits"].shape:
        print(f"{model_dir}: PyTorch's logits are {tuple(logits.shape)}, heed's {tuple(batch['logits'].shape)}")
        return False
    difference = (logits - batch["logits"]).abs().max().item()
    ok = difference <= TOLERANCE
    print(f"{model_dir}: {model.c['kind']} max |PyTorch - heed| logit difference {difference:.3g} "
          f"({'ok' if ok else 'FAIL'}, tolerance {TOLERANCE})")
    return ok


def from_torch(model_dir, seed=1234):
    torch.manual_seed(seed)
    model = build(model_dir)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn_like(p))
    out = os.path.join(model_dir, "torch")
    os.makedirs(out, exist_ok=True)
    for name in os.listdir(model_dir):
        if name != "model.safetensors" and name != "batch.safetensors" and os.path.isfile(os.path.join(model_dir, name)):
            shutil.copy(os.path.join(model_dir, name), out)
    write_safetensors(model.state_dict(), os.path.join(out, "model.safetensors"))
    batch = read_safetensors(os.path.join(model_dir, "batch.safetensors"))
    logits = logits_of(model, batch)
    write_safetensors({"src": batch["src"], "tgt_in": batch["tgt_in"], "logits": logits},
                      os.path.join(out, "batch.safetensors"))
    print(f"{out}: PyTorch {model.c['kind']} weights and logits {tuple(logits.shape)} written")
    return True


def main(argv):
    if len(argv) < 3 or argv[1] not in ("check", "from-torch", "both"):
        print("usage: torch_interop.py check|from-torch|both DIR...", file=sys.stderr)
        return 2
    torch.set_num_threads(1)
    results = []
    if argv[1] in ("check", "both"):
        results += [check(d) for d in argv[2:]]
    if argv[1] in ("from-torch", "both"):
        results += [from_torch(d) for d in argv[2:]]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
