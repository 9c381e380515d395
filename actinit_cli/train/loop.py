"""The training loop: minibatch steps through nn/mlp's forward and backward (the tested gradients) and an
nn/optimizers update, with full per-layer statistics (nn/stats) on the held-out split every eval_every steps.

Reproducibility: SeedSequence(seed).spawn(2) -> [weights, data], as `actinit run`; data.spawn(2) -> [the
task's samples and split, the minibatch order]. The minibatch order is a fresh permutation of the training
split each epoch; a last partial batch of an epoch is dropped.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np

from actinit_cli import blas
from actinit_cli.nn import losses, mlp, optimizers, stats
from actinit_cli.run.spec import Spec
from actinit_cli.train.data import Split, accuracy

SMALL_PRODUCT = 1 << 24  # multiply-adds of a step's largest product below which BLAS runs on one thread (blas.py)
EVAL_SAMPLES = 4096  # the train loss is measured on the first 4096 training samples; the held-out split likewise
LAYER_COLUMNS = ("act_m2", "act_mean", "dead_frac", "saturated_frac", "grad_preact_m2", "grad_w_m2", "weight_var")
HISTORY = ("step", "train_loss", "test_loss", "test_accuracy", "lr")  # history.csv's columns
HISTORY_LAYERS = ("step", "layer", *LAYER_COLUMNS, "update_ratio")  # history_layers.csv's columns

Tick = Callable[[int, float], None]  # (steps done, latest minibatch loss)


@dataclass
class Training:
    """What a training run measured: the history, per-layer history, the last evaluation's layer rows (the
    trained network on the held-out split) and the run-level scalars (nn/scalars.TRAINING)."""

    spec: Spec
    history: list[dict]
    layers: list[dict]
    rows: list[dict]
    scalars: dict[str, float | None]
    seconds: float = 0.0
    timings: dict[str, float] = field(default_factory=dict)
    eval_seconds: list[float] = field(default_factory=list)  # wall time at each evaluation (not in history.csv)

    @property
    def per_repeat(self) -> list[list[dict]]:
        return [self.rows]


def streams(seed: int) -> tuple[np.random.SeedSequence, np.random.Generator, np.random.Generator]:
    """(weights, data, minibatch order): the three independent streams of a training run."""
    weights, data = np.random.SeedSequence(seed).spawn(2)
    task, order = data.spawn(2)
    return weights, np.random.default_rng(task), np.random.default_rng(order)


def step(net: mlp.Network, opt: optimizers.Sgd | optimizers.Adam, loss: str, x: np.ndarray, t: np.ndarray,
         ratios: list[float | None] | None = None) -> float:
    """One optimizer step on one minibatch: forward, loss, backward, each layer updated as soon as its gradient
    is out (backward has used W[l] by then). With `ratios`, std(delta W) / std(W) per layer goes into it."""
    tape = mlp.forward(net, x)
    top = len(net.weights)
    g = losses.evaluate(loss, tape.h[top], tape.y[top], t, net.output)
    with np.errstate(all="ignore"):
        for lg in mlp.backward(net, tape, g.dy, g.dh):
            if lg.layer == 0:
                break
            i = lg.layer - 1
            w, b = net.weights[i], net.biases[i]
            dw = opt.delta(("W", i), w, lg.dW, True)
            if ratios is not None:
                ratios[i] = float(np.std(dw, dtype=np.float64) / np.std(w, dtype=np.float64))
            w += dw
            b += opt.delta(("b", i), b, lg.db, False)
    return g.value


def evaluate(net: mlp.Network, split: Split, loss: str) -> tuple[dict, list[dict]]:
    """Train loss, held-out loss and accuracy, and every layer's statistics on the held-out split."""
    top = len(net.weights)
    n_train = min(len(split.x_train), EVAL_SAMPLES)
    tape = mlp.forward(net, split.x_train[:n_train])
    train = losses.evaluate(loss, tape.h[top], tape.y[top], split.t_train[:n_train], net.output).value
    acc = stats.Accumulator(net)
    n = min(len(split.x_test), EVAL_SAMPLES)
    tape = mlp.forward(net, split.x_test[:n], acc.forward_layer)
    g = losses.evaluate(loss, tape.h[top], tape.y[top], split.t_test[:n], net.output)
    labels = None if split.labels_test is None else split.labels_test[:n]
    row = {"train_loss": train, "test_loss": g.value, "test_accuracy": accuracy(tape.y[top], labels)}
    for lg in mlp.backward(net, tape, g.dy, g.dh):
        acc.backward(lg)
    return row, acc.rows()


def train(spec: Spec, net: mlp.Network, split: Split, order: np.random.Generator, tick: Tick | None = None
          ) -> Training:
    """Run train.steps optimizer steps; evaluate at step 0, every eval_every steps and at the last. Small
    networks train with one BLAS thread (the products are too small to share; blas.py says why)."""
    product = spec["train.batch_size"] * max(w.shape[0] * w.shape[1] for w in net.weights)
    with blas.limited(1 if product < SMALL_PRODUCT else 1 << 16):
        return _train(spec, net, split, order, tick)


def _train(spec: Spec, net: mlp.Network, split: Split, order: np.random.Generator, tick: Tick | None) -> Training:
    cfg, loss = spec.resolved["train"], spec["loss"]
    opt = optimizers.get(cfg["optimizer"])
    steps, every, size = cfg["steps"], cfg["eval_every"], cfg["batch_size"]
    start = time.perf_counter()
    history, layers, eval_seconds, perm, ratios = [], [], [], np.empty(0, dtype=np.int64), None
    clock = {"steps": 0.0, "evaluations": 0.0}
    last = None
    for s in range(steps + 1):
        if s % every == 0 or s == steps:
            t0 = time.perf_counter()
            row, last = evaluate(net, split, loss)
            history.append({"step": s, **row, "lr": cfg["optimizer"]["lr"]})
            layers += [{"step": s, "layer": r["layer"], **{c: r[c] for c in LAYER_COLUMNS},
                        "update_ratio": ratios[r["layer"] - 1] if ratios and r["layer"] else None} for r in last]
            eval_seconds.append(time.perf_counter() - start)
            clock["evaluations"] += time.perf_counter() - t0
        if s == steps:
            break
        if len(perm) < size:
            perm = order.permutation(len(split.x_train))
        idx, perm = perm[:size], perm[size:]
        t0 = time.perf_counter()
        ratios = [None] * len(net.weights) if (s + 1) % every == 0 or s + 1 == steps else None
        value = step(net, opt, loss, split.x_train[idx], split.t_train[idx], ratios)
        clock["steps"] += time.perf_counter() - t0
        if tick is not None:
            tick(1, value)
    return Training(spec, history, layers, last, scalars(history, layers, cfg["target_loss"], len(net.weights)),
                    time.perf_counter() - start, clock, eval_seconds)


def scalars(history: list[dict], layers: list[dict], target: float | None, top: int) -> dict[str, float | None]:
    """The run-level quantities of nn/scalars.TRAINING from the history."""
    first, final = history[0], history[-1]
    ratio = final["train_loss"] / first["train_loss"] if first["train_loss"] else None
    hidden = [r for r in layers if 0 < r["layer"] < top]
    dead = [(r["dead_frac"], r["step"]) for r in hidden if r["dead_frac"] is not None and math.isfinite(r["dead_frac"])]
    worst = max(dead, key=lambda d: (d[0], -d[1])) if dead else (None, None)
    reached = [h["step"] for h in history if target is not None and h["train_loss"] <= target]
    tops = [r["act_mean"] for r in hidden if r["layer"] == top - 1]
    return {"final_loss_ratio": ratio, "final_train_loss": final["train_loss"], "final_test_loss": final["test_loss"],
            "test_accuracy": final["test_accuracy"], "max_dead_frac": worst[0],
            "max_dead_step": None if worst[1] is None else float(worst[1]),
            "steps_to_loss": float(reached[0]) if reached else None,
            "top_act_mean_first": tops[0] if tops else None, "top_act_mean_min": min(tops) if tops else None}
