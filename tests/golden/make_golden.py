#!/usr/bin/python3
"""Golden values from PyTorch for heed's tests (tests/test_*.cpp read the JSON written here).

Run with the Python that has torch 1.13 (Debian's python3-torch):
    /usr/bin/python3 tests/golden/make_golden.py
It rewrites the JSON files of the ops below (the nn layers have their own make_golden_*.py). Each file holds a list of cases; a case has a name,
its settings, its input tensors, the output, the upstream gradient fed to backward and the
resulting gradients. A tensor is {"shape": [...], "data": [... row-major ...]}. Inputs are drawn
from a fixed seed, so rerunning the script gives the same files.

heed's conventions differ from PyTorch's in one place, handled below: heed's cross_entropy takes
the classes in the last dim, PyTorch's in dim 1, so the (B, T, C) logits are flattened to (B·T, C)
before calling torch.
"""
import json
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))


def tensor(t):
    """A tensor as JSON: its shape and its values, with 9 significant digits (float32 round-trips)."""
    t = t.detach()
    if t.dtype == torch.int64:
        return {"shape": list(t.shape), "data": t.flatten().tolist()}
    return {"shape": list(t.shape), "data": [float(f"{v:.9g}") for v in t.flatten().tolist()]}


def leaf(*shape):
    return torch.randn(*shape, dtype=torch.float32).requires_grad_()


def run(f, inputs, **settings):
    """Calls f on the inputs, runs backward with a random upstream gradient, returns the case."""
    inputs = {name: value.detach().clone().requires_grad_(value.is_floating_point())
              for name, value in inputs.items()}
    output = f(**inputs)
    upstream = torch.randn_like(output)
    output.backward(upstream)
    return {**settings,
            "inputs": {name: tensor(value) for name, value in inputs.items()},
            "output": tensor(output),
            "upstream": tensor(upstream),
            "grads": {name: tensor(value.grad) for name, value in inputs.items()
                      if value.is_floating_point()}}


def run_module(module, forward, inputs, **settings):
    """Like run, for a layer: also stores the module's state_dict, and the gradients of its
    parameters under their state-dict names (next to the inputs' gradients). The scripts for the
    nn layers (tests/golden/make_golden_*.py) import this."""
    inputs = {name: value.detach().clone().requires_grad_(value.is_floating_point())
              for name, value in inputs.items()}
    module.zero_grad()
    output = forward(module, **inputs)
    upstream = torch.randn_like(output)
    output.backward(upstream)
    grads = {name: tensor(value.grad) for name, value in inputs.items() if value.is_floating_point()}
    grads.update({name: tensor(p.grad) for name, p in module.named_parameters() if p.grad is not None})
    return {**settings,
            "state": {name: tensor(value) for name, value in module.state_dict().items()},
            "inputs": {name: tensor(value) for name, value in inputs.items()},
            "output": tensor(output),
            "upstream": tensor(upstream),
            "grads": grads}


def write(name, cases, generator):
    """Writes tests/golden/<name>.json."""
    with open(os.path.join(HERE, f"{name}.json"), "w") as out:
        json.dump({"generator": f"{generator}, torch {torch.__version__}", "cases": cases}, out)
        out.write("\n")


def softmax_cases(op):
    extreme = torch.tensor([[1e4, -1e4, 0.0, 1e4],
                            [-1e4, -1e4, -1e4, -1e4 + 1.0],
                            [1e4, 0.0, -1e4, 5.0]])
    return [
        dict(name="last dim", **run(lambda x: op(x, -1), {"x": leaf(3, 5)}, dim=-1)),
        dict(name="middle dim", **run(lambda x: op(x, 1), {"x": leaf(2, 3, 4)}, dim=1)),
        dict(name="first dim", **run(lambda x: op(x, 0), {"x": leaf(4, 3)}, dim=0)),
        dict(name="logits of +-1e4", **run(lambda x: op(x, -1), {"x": extreme}, dim=-1)),
    ]


def cross_entropy_case(name, logits, targets, ignore_index, label_smoothing, reduction):
    classes = logits.shape[-1]

    def f(logits, targets):
        loss = F.cross_entropy(logits.reshape(-1, classes), targets.reshape(-1),
                               ignore_index=ignore_index, label_smoothing=label_smoothing,
                               reduction=reduction)
        return loss.reshape(targets.shape) if reduction == "none" else loss

    return dict(name=name, **run(f, {"logits": logits, "targets": targets},
                                 ignore_index=ignore_index, label_smoothing=label_smoothing,
                                 reduction=reduction))


def cross_entropy_cases():
    # (B, T, C) = (2, 4, 6), two padded positions
    targets = torch.tensor([[3, 1, -100, 5], [0, -100, 2, 2]])
    # (N, C) = (5, 7), class 1 is the padding token
    padded = torch.tensor([1, 4, 6, 1, 0])
    return [
        cross_entropy_case("mean, smoothing 0.1, ignore -100", leaf(2, 4, 6) * 3, targets, -100, 0.1, "mean"),
        cross_entropy_case("sum, smoothing 0.1, ignore 1", leaf(5, 7) * 3, padded, 1, 0.1, "sum"),
        cross_entropy_case("none, smoothing 0.1, ignore -100", leaf(2, 4, 6) * 3, targets, -100, 0.1, "none"),
        cross_entropy_case("mean, no smoothing", leaf(5, 7), torch.tensor([0, 6, 3, 3, 2]), -100, 0.0, "mean"),
    ]


def layer_norm_cases():
    return [
        dict(name="weight and bias", **run(lambda x, weight, bias: F.layer_norm(x, [8], weight, bias, 1e-5),
                                           {"x": leaf(2, 3, 8) * 2 + 1, "weight": leaf(8), "bias": leaf(8)},
                                           normalized_shape=[8], eps=1e-5)),
        dict(name="two dims, no affine", **run(lambda x: F.layer_norm(x, [3, 4], eps=1e-5),
                                               {"x": leaf(2, 3, 4)}, normalized_shape=[3, 4], eps=1e-5)),
    ]


def matmul_cases():
    return [
        dict(name="broadcast batch", **run(torch.matmul, {"input": leaf(2, 1, 2, 3), "other": leaf(3, 3, 4)})),
        dict(name="matrix times batch", **run(torch.matmul, {"input": leaf(2, 3), "other": leaf(2, 3, 4)})),
        dict(name="linear", **run(F.linear, {"input": leaf(2, 3, 4), "weight": leaf(3, 4), "bias": leaf(3)})),
    ]


def main():
    torch.manual_seed(0)
    files = {
        "softmax": softmax_cases(F.softmax),
        "log_softmax": softmax_cases(F.log_softmax),
        "cross_entropy": cross_entropy_cases(),
        "layer_norm": layer_norm_cases(),
        "gelu": [dict(name="exact", **run(lambda x: F.gelu(x), {"x": leaf(24) * 2}))],
        "matmul": matmul_cases(),
    }
    for name, cases in files.items():
        write(name, cases, "make_golden.py")


if __name__ == "__main__":
    main()
