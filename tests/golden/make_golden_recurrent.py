#!/usr/bin/python3
"""Golden values from PyTorch for heed's recurrent layers (read by tests/test_recurrent.cpp).

Run with the Python that has torch 1.13:
    /usr/bin/python3 tests/golden/make_golden_recurrent.py
It rewrites recurrent.json in this directory. Each case holds a module's state_dict, the inputs,
the output, the upstream gradient and the gradients of the inputs and of every parameter (see
run_module in make_golden.py), plus the settings heed needs to build the same module.

A case has one output, so the layers' several results are flattened and joined:
  LSTMCell: [h', c'] along the last dim             GRUCell: h'
  LSTM: [output, h_n, c_n], each flattened           GRU: [output, h_n], each flattened
so one random upstream gradient reaches all of them. With lengths, the sequences go through
pack_padded_sequence(enforce_sorted=False) and come back with pad_packed_sequence(total_length=T):
zeros at padded steps, h_n and c_n at each sequence's last real step.
"""
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from make_golden import leaf, run_module, write


def lstm_cell_forward(module, x, h=None, c=None):
    state = None if h is None else (h, c)
    return torch.cat(module(x, state), dim=-1)


def gru_cell_forward(module, x, h=None):
    return module(x, h)


def sequence_forward(module, x, lengths=None, h0=None, c0=None):
    """Runs an LSTM or GRU, with lengths through packing, and joins its flattened results."""
    state = h0 if c0 is None else (h0, c0)
    if lengths is None:
        output, final = module(x, state)
    else:
        packed = pack_padded_sequence(x, lengths, batch_first=module.batch_first, enforce_sorted=False)
        packed_output, final = module(packed, state)
        steps = x.shape[1] if module.batch_first else x.shape[0]
        output, _ = pad_packed_sequence(packed_output, batch_first=module.batch_first, total_length=steps)
    finals = final if isinstance(final, tuple) else (final,)
    return torch.cat([output.flatten()] + [t.flatten() for t in finals])


def cell_cases(kind):
    cell = {"lstm": nn.LSTMCell, "gru": nn.GRUCell}[kind]
    forward = {"lstm": lstm_cell_forward, "gru": gru_cell_forward}[kind]
    state = {"h": leaf(3, 5)}
    if kind == "lstm":
        state["c"] = leaf(3, 5)
    settings = lambda bias: dict(input_size=4, hidden_size=5, bias=bias)
    return [
        dict(name=f"{kind} cell with state", **run_module(cell(4, 5), forward, {"x": leaf(3, 4), **state},
                                                          **settings(True))),
        dict(name=f"{kind} cell, zero state", **run_module(cell(4, 5), forward, {"x": leaf(3, 4)}, **settings(True))),
        dict(name=f"{kind} cell without bias", **run_module(cell(4, 5, bias=False), forward,
                                                            {"x": leaf(3, 4), **state}, **settings(False))),
    ]


def sequence_case(kind, name, inputs, input_size=3, hidden_size=4, num_layers=1, bias=True, batch_first=False,
                  bidirectional=False):
    layer = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
    module = layer(input_size, hidden_size, num_layers=num_layers, bias=bias, batch_first=batch_first,
                   bidirectional=bidirectional)
    return dict(name=f"{kind}: {name}",
                **run_module(module, sequence_forward, inputs, input_size=input_size, hidden_size=hidden_size,
                             num_layers=num_layers, bias=bias, batch_first=batch_first, bidirectional=bidirectional))


def sequence_cases(kind):
    T, B = 5, 4
    lengths = torch.tensor([3, 5, 1, 4])  # unsorted, one sequence of full length, one of a single step

    def state(layers_times_directions):
        s = {"h0": leaf(layers_times_directions, B, 4)}
        if kind == "lstm":
            s["c0"] = leaf(layers_times_directions, B, 4)
        return s

    return [
        sequence_case(kind, "one layer", {"x": leaf(T, B, 3)}),
        sequence_case(kind, "one layer without bias", {"x": leaf(T, B, 3)}, bias=False),
        sequence_case(kind, "two layers, bidirectional, batch_first, initial state",
                      {"x": leaf(B, T, 3), **state(4)}, num_layers=2, batch_first=True, bidirectional=True),
        sequence_case(kind, "lengths, one layer", {"x": leaf(T, B, 3), "lengths": lengths}),
        sequence_case(kind, "lengths, two layers, bidirectional, initial state",
                      {"x": leaf(T, B, 3), "lengths": lengths, **state(4)}, num_layers=2, bidirectional=True),
        sequence_case(kind, "lengths, bidirectional, batch_first",
                      {"x": leaf(B, T, 3), "lengths": lengths}, batch_first=True, bidirectional=True),
    ]


def main():
    torch.manual_seed(0)
    cases = cell_cases("lstm") + cell_cases("gru") + sequence_cases("lstm") + sequence_cases("gru")
    write("recurrent", cases, "make_golden_recurrent.py")


if __name__ == "__main__":
    main()
