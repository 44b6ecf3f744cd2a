#!/usr/bin/python3
"""Golden values from PyTorch for heed's optimizers, gradient clipping and learning-rate schedules
(tests/test_optim.cpp and tests/test_schedule.cpp read the JSON written here).

Run with the Python that has torch 1.13:
    /usr/bin/python3 tests/golden/make_golden_optim.py
It writes optim.json, clip_grad_norm.json and schedule.json beside itself, from a fixed seed.

optim.json: each case starts two parameters from stored values, then for each step sets their
gradients to stored values (None skips a parameter for that step, which PyTorch does not update
and whose step count does not advance), calls optimizer.step() and stores the parameters.
A case may name a schedule, stepped after each optimizer step (heed's NoamSchedule is
LambdaLR with base lr 1 and the Noam formula). settings are the optimizer's keyword arguments.

schedule.json: the learning rate after construction and after each scheduler.step(), in double
precision (17 significant digits), for StepLR, CosineAnnealingLR and LambdaLR with formulas
written here independently of heed's.
"""
import math

import torch

from make_golden import tensor, write

STEPS = 6


def noam(d_model, warmup_steps, factor):
    """Attention Is All You Need, eq. 3; t counts earlier updates, the paper counts from 1."""
    return lambda t: factor * d_model ** -0.5 * min((t + 1) ** -0.5, (t + 1) * warmup_steps ** -1.5)


def warmup_cosine(base_lr, warmup_steps, total_steps, min_lr):
    """Linear warmup to base_lr over warmup_steps updates, then half a cosine down to min_lr,
    as a factor of base_lr (for LambdaLR)."""
    def factor(t):
        if t < warmup_steps:
            return (t + 1) / warmup_steps
        progress = min(1.0, (t - warmup_steps) / (total_steps - warmup_steps))
        return (min_lr + (base_lr - min_lr) * (1 + math.cos(math.pi * progress)) / 2) / base_lr
    return factor


def optimizer_case(name, kind, settings, schedule=None):
    make = {"SGD": torch.optim.SGD, "Adam": torch.optim.Adam, "AdamW": torch.optim.AdamW}[kind]
    params = [torch.randn(3, 4).requires_grad_(), torch.randn(5).requires_grad_()]
    initial = [tensor(p) for p in params]
    optimizer = make(params, **settings)
    scheduler = None
    if schedule is not None:
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, noam(**schedule))
    steps = []
    for step in range(STEPS):
        grads = [torch.randn_like(p) * 2 for p in params]
        if step == 2:
            grads[1] = None
        for p, g in zip(params, grads):
            p.grad = g
        optimizer.step()
        if scheduler is not None:
            scheduler.step()
        steps.append({"grads": [None if g is None else tensor(g) for g in grads],
                      "params": [tensor(p) for p in params]})
    return {"name": name, "optimizer": kind, "settings": settings, "schedule": schedule,
            "params": initial, "steps": steps}


def optimizer_cases():
    return [
        optimizer_case("SGD", "SGD", {"lr": 0.1}),
        optimizer_case("SGD momentum, dampening, weight decay", "SGD",
                       {"lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weight_decay": 0.01}),
        optimizer_case("SGD nesterov, weight decay", "SGD",
                       {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
        optimizer_case("Adam", "Adam", {"lr": 0.01}),
        optimizer_case("Adam betas, eps, L2 weight decay", "Adam",
                       {"lr": 0.02, "betas": (0.8, 0.95), "eps": 1e-6, "weight_decay": 0.1}),
        optimizer_case("Adam amsgrad", "Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.05}),
        optimizer_case("AdamW", "AdamW", {"lr": 0.01}),
        optimizer_case("AdamW amsgrad, weight decay 0.1", "AdamW",
                       {"lr": 0.02, "betas": (0.85, 0.99), "weight_decay": 0.1, "amsgrad": True}),
        optimizer_case("AdamW driven by Noam", "AdamW", {"lr": 1.0, "betas": (0.9, 0.98), "eps": 1e-9},
                       schedule={"d_model": 16, "warmup_steps": 3, "factor": 0.5}),
    ]


def clip_case(name, max_norm, scale):
    params = [torch.randn(4, 3).requires_grad_(), torch.randn(6).requires_grad_(),
              torch.randn(2).requires_grad_()]
    for p in params[:2]:  # the last parameter has no gradient
        p.grad = torch.randn_like(p) * scale
    grads = [tensor(p.grad) for p in params[:2]]
    total = torch.nn.utils.clip_grad_norm_(params, max_norm)
    return {"name": name, "max_norm": max_norm, "grads": grads, "total_norm": float(total),
            "clipped": [tensor(p.grad) for p in params[:2]]}


def schedule_case(name, kind, settings, base_lr, steps, make):
    parameter = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.SGD([parameter], lr=base_lr)
    scheduler = make(optimizer)
    lrs = [optimizer.param_groups[0]["lr"]]
    for _ in range(steps):
        optimizer.step()
        scheduler.step()
        lrs.append(optimizer.param_groups[0]["lr"])
    return {"name": name, "schedule": kind, "settings": settings, "lrs": lrs}


def schedule_cases():
    lr_scheduler = torch.optim.lr_scheduler
    noam_settings = {"d_model": 16, "warmup_steps": 4, "factor": 2.0}
    cosine = {"base_lr": 0.1, "warmup_steps": 0, "total_steps": 10, "min_lr": 0.001}
    warm = {"base_lr": 0.1, "warmup_steps": 3, "total_steps": 10, "min_lr": 0.002}
    return [
        schedule_case("StepLR", "step_decay", {"base_lr": 0.1, "step_size": 3, "gamma": 0.5}, 0.1, 12,
                      lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)),
        schedule_case("CosineAnnealingLR", "warmup_cosine", cosine, 0.1, 10,
                      lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=10, eta_min=0.001)),
        schedule_case("LambdaLR, Noam", "noam", noam_settings, 1.0, 12,
                      lambda opt: lr_scheduler.LambdaLR(opt, noam(**noam_settings))),
        schedule_case("LambdaLR, warmup then cosine", "warmup_cosine", warm, 0.1, 14,
                      lambda opt: lr_scheduler.LambdaLR(opt, warmup_cosine(**warm))),
    ]


def main():
    torch.manual_seed(0)
    write("optim", optimizer_cases(), "make_golden_optim.py")
    write("clip_grad_norm", [clip_case("clipped", 1.0, 1.0), clip_case("below max_norm", 100.0, 1.0),
                             clip_case("tiny gradients, where the 1e-6 matters", 2e-5, 1e-5)], "make_golden_optim.py")
    write("schedule", schedule_cases(), "make_golden_optim.py")


if __name__ == "__main__":
    main()
