"""Training tasks: the data a short training run learns, one registry entry each, drawn from an explicit
generator (same seed, same data). A task gives inputs x (samples, features) and targets y with its kind:
  regression: y (samples, outputs) floats; multiclass: y (samples,) labels 0..classes-1; binary: y labels 0/1.
The kind chooses the loss when the spec does not (mse, cross_entropy, binary_cross_entropy). digits,
breast_cancer and diabetes are scikit-learn's bundled copies (the `data` extra; no network): the three
output-layer cases, multi-class, binary and regression.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from actinit_cli.nn.registry import Entry, Param, Registry

KINDS = {"regression": "mse", "multiclass": "cross_entropy", "binary": "binary_cross_entropy"}  # kind -> its loss


@dataclass(frozen=True)
class Data:
    """A whole data set before splitting: inputs, targets, kind and (classification) the number of classes."""

    x: np.ndarray
    y: np.ndarray
    kind: str
    classes: int | None = None


Maker = Callable[[np.random.Generator], Data]


def _teacher(samples: int = 2048, features: int = 16, outputs: int = 1, hidden: int = 32, noise: float = 0.0) -> Maker:
    """x ~ N(0, I); y = a random two-hidden-layer tanh MLP's output (weights N(0, 1/fan_in)) plus N(0, noise^2)."""
    def make(rng: np.random.Generator) -> Data:
        x = rng.standard_normal((samples, features))
        h = x
        for fan_in, fan_out in ((features, hidden), (hidden, hidden)):
            h = np.tanh(h @ (rng.standard_normal((fan_in, fan_out)) / np.sqrt(fan_in)) * 2.0)  # 2: a non-linear teacher
        y = h @ (rng.standard_normal((hidden, outputs)) / np.sqrt(hidden))
        return Data(x, y + noise * rng.standard_normal(y.shape), "regression")
    return make


def _labels(rng: np.random.Generator, samples: int, classes: int) -> np.ndarray:
    return rng.permutation(np.arange(samples) % classes)


def _mixture(samples: int = 2048, features: int = 16, classes: int = 3, separation: float = 3.0) -> Maker:
    """Class c: x ~ N(mu_c, I), the centres mu_c drawn N(0, I) and scaled to length `separation`."""
    def make(rng: np.random.Generator) -> Data:
        centres = rng.standard_normal((classes, features))
        centres *= separation / np.linalg.norm(centres, axis=1, keepdims=True)
        y = _labels(rng, samples, classes)
        return Data(centres[y] + rng.standard_normal((samples, features)), y, "multiclass", classes)
    return make


def _spirals(samples: int = 2048, classes: int = 2, turns: float = 1.0, noise: float = 0.05) -> Maker:
    """2-D interleaved spiral arms, one per class: radius t in [0.1, 1], angle 2 pi (turns t + c / classes)."""
    def make(rng: np.random.Generator) -> Data:
        y = _labels(rng, samples, classes)
        t = rng.uniform(0.1, 1.0, samples)
        angle = 2 * np.pi * (turns * t + y / classes)
        x = np.stack([t * np.cos(angle), t * np.sin(angle)], axis=1)
        return Data(x + noise * rng.standard_normal(x.shape), y, "multiclass", classes)
    return make


def _binary(samples: int = 2048, features: int = 16, separation: float = 2.0) -> Maker:
    """Two classes x ~ N(+-mu, I), |mu| = separation / 2 along a random direction."""
    def make(rng: np.random.Generator) -> Data:
        mu = rng.standard_normal(features)
        mu *= separation / 2 / np.linalg.norm(mu)
        y = _labels(rng, samples, 2)
        return Data(np.where(y[:, None] == 1, mu, -mu) + rng.standard_normal((samples, features)), y, "binary", 2)
    return make


def _sklearn(loader: str, kind: str) -> Callable[[], Maker]:
    """scikit-learn's bundled data set `loader` (load_digits, ...), read from the installed package."""
    def factory() -> Maker:
        def make(rng: np.random.Generator) -> Data:
            from actinit_cli.extras import need

            datasets = need("sklearn.datasets", "data", f"train.task {loader[5:]}")
            bunch = getattr(datasets, loader)()
            x, y = np.asarray(bunch.data, dtype=np.float64), np.asarray(bunch.target)
            if kind == "regression":
                return Data(x, y.astype(np.float64).reshape(len(y), -1), kind)
            return Data(x, y.astype(np.int64), kind, int(y.max()) + 1)
        return make
    factory.__name__ = loader
    factory.needs = ("sklearn.datasets", "data")  # type: ignore[attr-defined]  (see `installed`)
    return factory


SAMPLES = Param("samples", low=2, high=10_000_000, doc="samples drawn (train and test together)", kind=int)
FEATURES = Param("features", low=1, high=100_000, doc="input features", kind=int)
CLASSES = Param("classes", low=2, high=10_000, doc="classes", kind=int)
# A separation, noise or number of turns of 1e6 is far past where it changes what is learnt (classes apart by
# 10 no longer overlap); bounded so that every sum of squares stays finite (1e308 made the data nan).
SCALE = 1e6
MAX_VALUES = 50_000_000  # values of any one array a task draws, at most (400 MB of float64): a data set, not a
# stress test


def _fits(params: Mapping[str, Any]) -> str | None:
    """Refuse a task whose largest drawn array holds more than MAX_VALUES values: the data (samples x features,
    samples x outputs), a mixture's centres (classes x features), the teacher's weights and its hidden activations
    (samples x hidden)."""
    p = {"features": 2, "outputs": 1, "hidden": 1, "classes": 1, **params}
    teacher = "hidden" in params
    arrays = {"samples x features": p["samples"] * p["features"], "samples x outputs": p["samples"] * p["outputs"],
              "classes x features": p["classes"] * p["features"], "features x hidden": p["features"] * p["hidden"],
              "samples x hidden": p["samples"] * p["hidden"] if teacher else 0,  # the teacher's hidden activations
              "hidden x hidden": p["hidden"] ** 2 if teacher else 0,
              "hidden x outputs": p["hidden"] * p["outputs"]}
    what, n = max(arrays.items(), key=lambda kv: kv[1])
    if n <= MAX_VALUES:
        return None
    return f"{what} is {n:,}, more than {MAX_VALUES:,} values; lower {' or '.join(dict.fromkeys(what.split(' x ')))}"


REGISTRY: Registry = Registry("task", [
    Entry("teacher", _teacher, (SAMPLES, FEATURES, Param("outputs", low=1, high=100_000),
                                Param("hidden", low=1, high=100_000), Param("noise", low=0.0, high=SCALE)), check=_fits, formula="regression on a random tanh teacher MLP"),
    Entry("gaussian_mixture", _mixture, (SAMPLES, FEATURES, CLASSES, Param("separation", low=0.0, high=SCALE)), check=_fits,
          formula="k Gaussian classes"),
    Entry("spirals", _spirals, (SAMPLES, CLASSES, Param("turns", low=0.0, low_open=True, high=SCALE), Param("noise", low=0.0, high=SCALE)),
          formula="2-D interleaved spirals"),
    Entry("binary", _binary, (SAMPLES, FEATURES, Param("separation", low=0.0, high=SCALE)), check=_fits, formula="two Gaussian classes"),
    Entry("digits", _sklearn("load_digits", "multiclass"), formula="scikit-learn: 1797 8x8 digits, 10 classes"),
    Entry("breast_cancer", _sklearn("load_breast_cancer", "binary"), formula="scikit-learn: 569 tumours, binary"),
    Entry("diabetes", _sklearn("load_diabetes", "regression"), formula="scikit-learn: 442 patients, regression"),
], aliases={})


def installed(ref: Any, field: str = "train.task") -> None:
    """Import now the package a task reads its data from (scikit-learn for its bundled sets), so that a missing
    extra is refused before anything runs (a sweep's plan), not in every point: ActinitError naming the extra."""
    entry, _ = REGISTRY.resolve(ref, field)
    needs = getattr(entry.make, "needs", None)
    if needs:
        from actinit_cli.extras import need

        need(needs[0], needs[1], f"{field} {entry.name}")


def generate(ref: Any, rng: np.random.Generator, field: str = "train.task") -> Data:
    """The data of a named task reference (a name or {name: ..., parameters})."""
    return REGISTRY.get(ref, field)(rng)
