"""Every training task: shapes, kinds and labels as documented, the same data for the same seed, and the
geometry each generator states (mixture centres at the stated distance, the teacher's targets non-trivial)."""

import warnings

import numpy as np
import pytest

from actinit_cli.errors import ActinitError
from actinit_cli.nn import tasks
from tests.cases import need

SKLEARN = {"digits": (1797, 64, "multiclass", 10), "breast_cancer": (569, 30, "binary", 2),
           "diabetes": (442, 10, "regression", None)}


@pytest.mark.parametrize("name", tasks.REGISTRY.names())
def test_task_shapes_kinds_and_determinism(name):
    if name in SKLEARN:
        need("sklearn")
    a, b = (tasks.generate(name, np.random.default_rng(7)) for _ in range(2))
    np.testing.assert_array_equal(a.x, b.x)
    np.testing.assert_array_equal(a.y, b.y)
    assert a.kind in tasks.KINDS and a.x.ndim == 2 and len(a.y) == len(a.x) and np.all(np.isfinite(a.x))
    if a.kind == "regression":
        assert a.y.ndim == 2 and a.classes is None and a.y.std() > 0.1
    else:
        assert a.y.ndim == 1 and sorted(np.unique(a.y)) == list(range(a.classes))
    if name in SKLEARN:
        assert (len(a.x), a.x.shape[1], a.kind, a.classes) == SKLEARN[name]


def test_mixture_centres_sit_at_the_stated_length():
    d = tasks.generate({"name": "gaussian_mixture", "samples": 60000, "features": 4, "classes": 3,
                        "separation": 2.5}, np.random.default_rng(0))
    centres = np.array([d.x[d.y == c].mean(axis=0) for c in range(3)])
    np.testing.assert_allclose(np.linalg.norm(centres, axis=1), 2.5, atol=0.03)  # 20000 samples: sd 0.007 per axis
    np.testing.assert_allclose(np.array([d.x[d.y == c].var(axis=0) for c in range(3)]), 1.0, atol=0.04)


def test_binary_classes_are_mirror_images():
    d = tasks.generate({"name": "binary", "samples": 40000, "features": 3, "separation": 2.0}, np.random.default_rng(0))
    m0, m1 = d.x[d.y == 0].mean(axis=0), d.x[d.y == 1].mean(axis=0)
    np.testing.assert_allclose(m0, -m1, atol=0.04)
    assert abs(np.linalg.norm(m1 - m0) - 2.0) < 0.04


def test_spirals_radius_is_uniform_in_its_range():
    d = tasks.generate({"name": "spirals", "samples": 20000, "noise": 0.0}, np.random.default_rng(0))
    r = np.linalg.norm(d.x, axis=1)
    assert r.min() >= 0.1 - 1e-12 and r.max() <= 1.0 and abs(r.mean() - 0.55) < 0.01


SCALES = [(e.name, p) for e in tasks.REGISTRY.entries.values() for p in e.params
          if p.kind is float]


@pytest.mark.parametrize("name, param", SCALES, ids=[f"{n}.{p.name}" for n, p in SCALES])
def test_largest_allowed_parameter_gives_finite_data(name, param):
    """At its upper bound (1e308 where there is none) every float parameter draws data whose moments are finite,
    without a NumPy warning (gaussian_mixture separation 1e308 drew nan after six RuntimeWarnings)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = tasks.generate({"name": name, "samples": 64, param.name: param.high or 1e308}, np.random.default_rng(0))
        moments = [d.x.mean(axis=0), d.x.std(axis=0), d.y.astype(np.float64).std(axis=0)]
    assert all(np.all(np.isfinite(m)) for m in moments)



@pytest.mark.parametrize("params, message", [
    # the teacher's hidden activations, samples x hidden (7.5 GiB here), not only its weights and the data
    ({"samples": 10_000_000, "features": 1, "hidden": 100},
     "samples x hidden is 1,000,000,000, more than 50,000,000 values; lower samples or hidden"),
    ({"samples": 2, "features": 1, "hidden": 8000},
     "hidden x hidden is 64,000,000, more than 50,000,000 values; lower hidden"),
])
def test_a_teacher_whose_arrays_would_not_fit_is_refused(params, message):
    with pytest.raises(ActinitError) as exc:
        tasks.REGISTRY.resolve({"name": "teacher", **params}, "train.task")
    assert str(exc.value) == f"train.task: {message}"
