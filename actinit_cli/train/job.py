"""One training run from the command line's point of view: everything it can be refused for found before
the first step (the spec, the data, the network kind, memory, --out), then trained and written."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
import numpy as np

from actinit_cli.errors import ActinitError
from actinit_cli.nn import mlp
from actinit_cli import resources
from actinit_cli.run import analysis, datainit, files, runner
from actinit_cli.run import spec as specs
from actinit_cli.train import data, loop


@dataclass(frozen=True)
class Job:
    """A validated training spec (completed from its data), its data split, the weights' stream (the network is
    drawn when it trains: `actinit check` prepares every target before running the first) and where it goes."""

    spec: specs.Spec
    split: data.Split
    weights: np.random.SeedSequence
    order: np.random.Generator
    out: Path

    @property
    def steps(self) -> int:
        return self.spec["train.steps"]


def refuse(spec: specs.Spec) -> None:
    """What training does not cover (yet): one line naming the field."""
    if not spec.resolved.get("train"):
        raise ActinitError(f"{spec.where('train')}: missing; actinit train needs a train: section (task:, steps:, "
                           f"optimizer:); see the README's training section")
    if spec.torch:
        raise ActinitError(f"{spec.where('model.torch')}: actinit train trains actinit's own MLP; a torch: model "
                           f"is measured at initialization only (actinit run)")
    block = spec.resolved["model"].get("block") or {}
    if block.get("residual") or block.get("norm", "none") != "none":
        raise ActinitError(f"{spec.where('model.block')}: actinit train does not train residual or normalized "
                           f"blocks yet; remove model.block to train a plain MLP")
    if spec["repeats"] != 1:
        raise ActinitError(f"{spec.where('repeats')}: actinit train runs one network; remove repeats (sweep the "
                           f"seed for several)")
    if analysis.samples(spec.resolved):
        raise ActinitError(f"{spec.where(analysis.FIELD)}: actinit train does not compute the Jacobian spectrum; "
                           f"remove analysis.jacobian (actinit run computes it at initialization)")
    if datainit.layers(spec.resolved["model"]):
        raise ActinitError(f"{spec.where('model.initializer')}: actinit train does not resolve lsuv (a data-driven "
                           f"initializer) yet; use its base (e.g. orthogonal) or actinit run")


def prepare(spec: specs.Spec, out: Path) -> Job:
    """The spec completed from its data, the data split, memory and --out checked."""
    refuse(spec)
    weights, task_rng, order = loop.streams(spec["seed"])
    d = data.draw(spec["train.task"], task_rng, specs.folder_of(spec), spec.where)
    spec = data.complete(spec, d)
    split = data.split(d, spec["loss"], spec["train.test_fraction"], task_rng, np.dtype(spec["model.dtype"]))
    if spec["train.batch_size"] > len(split.x_train):
        raise ActinitError(f"{spec.where('train.batch_size')}: {spec['train.batch_size']} is more than the "
                           f"{len(split.x_train)} training samples; lower it")
    files.check_out(out)
    check_memory(spec, split)
    return Job(spec, split, weights, order, Path(out))


def check_memory(spec: specs.Spec, split: data.Split) -> int:
    """Peak memory of the largest forward and backward (a minibatch or an evaluation) beside the data and
    the optimizer's state (two arrays per parameter at most: adam's moments), refused beyond 80 % of what is free."""
    batch = max(spec["train.batch_size"], min(len(split.x_test), loop.EVAL_SAMPLES))
    itemsize = np.dtype(spec["model.dtype"]).itemsize
    params = sum(a * b + b for a, b in zip(spec.sizes[:-1], spec.sizes[1:]))
    need = mlp.peak_bytes(spec.sizes, batch, itemsize) + 3 * params * itemsize + split.x_train.nbytes * 2
    return resources.check_fits(need, f"train: this run (depth {spec['model.depth']}, batch {batch})",
                                "reduce train.batch_size, model.width or model.depth")


def load(path: Path, out: Path) -> Job:
    spec = specs.load(path)
    if spec.resolved.get("sweep"):
        raise ActinitError(f"{spec.name}: the spec has a sweep: section; run it with actinit sweep")
    return prepare(spec, out)


def execute(job: Job, plots: bool = True, tick: loop.Tick | None = None) -> tuple[loop.Training, Path]:
    """Train, then write the run directory whole (or nothing, on an error or Ctrl-C)."""
    from actinit_cli.train import record

    from actinit_cli import plots as drawing

    with drawing.imported_meanwhile(plots):
        result = loop.train(job.spec, runner.network(job.spec, job.weights), job.split, job.order, tick)
    return result, record.write(result, job.out, plots)

