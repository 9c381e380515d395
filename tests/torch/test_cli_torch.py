"""`actinit run`, `check` and `sweep` on torch: specs through the CLI: the run directory, gates by module type
and name, re-checking a saved run, and every way a torch spec is refused: exit 2, one line naming the field,
nothing written."""

import json
import sys

import pytest

from actinit_cli.run import rundir
from actinit_cli.torch import rows as module_rows
from tests.cases import REPO, need

need("torch")
MODELS = REPO / "tests/torch/models.py"


def write(tmp_path, model: str, rest: str = "", name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(f"model:\n{model}\ndata: {{batch_size: 16}}\nloss: random_projection\n{rest}")
    return path


def torch_model(factory="mlp", shape="[32]", extra=""):
    return f"  torch: {{factory: '{MODELS}:{factory}', input_shape: {shape}{extra}}}\n  initializer: he_normal"


def test_run_writes_module_rows_layers_and_plots(cli, tmp_path):
    result = cli("run", write(tmp_path, torch_model()), "--out", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    assert "Linear" in result.stdout and "theory: critical" not in result.stdout
    folder = next((tmp_path / "runs" / "s").iterdir())
    names = {p.name for p in folder.iterdir()}
    assert {"modules.csv", "layers.csv", "summary.json", "spec.yaml", "report.md", "variance_by_module.png",
            "layers"} <= names
    rows = rundir.read_csv(folder / "modules.csv")
    assert [r["type"] for r in rows] == [None, "Linear", "Tanh", "Linear", "Tanh", "Linear"]
    assert list(rows[0]) == list(module_rows.COLUMNS)
    doc = json.loads((folder / "summary.json").read_text())
    assert doc["modules"][1]["module"] == "0" and len(doc["layers"]) == 4 and doc["versions"]["torch"]


@pytest.mark.parametrize("factory, measured", [("mlp", True), ("dropout", False), ("norm_first", True),
                                               ("mlp_with_loss", True), ("force", True), ("inplace_first", True),
                                               ("dropout always", True), ("pinn", True)])
def test_dx_is_measured_where_a_row_needs_it(cli, tmp_path, factory, measured):
    """Row 0's dL/dx in a run: for a model the plain-MLP view may fold, and where a module before the first
    trainable parameter needs it for its own gradient (the probe finds out), or the spec asks for it; not
    elsewhere, with a note."""
    factory, _, always = factory.partition(" ")
    shape = {"mlp": "[32]", "force": "[1, 8]"}.get(factory, "[8]")
    extra = ", input_gradient: always" if always else ""
    result = cli("run", write(tmp_path, torch_model(factory, shape, extra)), "--out", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    folder = next((tmp_path / "runs" / "s").iterdir())
    rows = rundir.read_csv(folder / "modules.csv")
    assert (rows[0]["grad_act_m2"] is not None) == measured
    assert all(r["grad_act_m2"] is not None for r in rows[1:]), [r["module"] for r in rows[1:]]
    notes = json.loads((folder / "summary.json").read_text())["notes"]
    assert any("dL/dx (row 0's grad_act_m2) is not measured" in n for n in notes) != measured, notes
    if (folder / "layers.csv").exists():  # the plain-MLP view: its layer 0 has dL/dx, as actinit's own run
        assert rundir.read_csv(folder / "layers.csv")[0]["grad_act_m2"] is not None


def test_a_fault_in_actinits_own_hooks_is_a_bug_not_the_models(cli, tmp_path, monkeypatch):
    """The hooks run inside the model's forward and backward: an exception they raise is exit 70 (a bug in
    actinit), not exit 2 blaming model.torch.factory."""
    from actinit_cli.nn import stats

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the statistics")

    monkeypatch.setattr(stats, "observe_grad", broken)
    result = cli("run", write(tmp_path, torch_model()), "--out", tmp_path / "runs", "--no-plots")
    assert result.exit_code == 70 and "RuntimeError: a bug in the statistics" in result.stderr, result.stderr
    assert "model.torch.factory" not in result.stderr


def test_same_seed_same_numbers(cli, tmp_path):
    spec = write(tmp_path, torch_model("dropout", "[8]"), "repeats: 2\n")
    for out in ("a", "b"):
        assert cli("run", spec, "--out", tmp_path / out, "--no-plots").exit_code == 0
    a, b = (next((tmp_path / out / "s").iterdir()) for out in ("a", "b"))
    assert (a / "modules.csv").read_text() == (b / "modules.csv").read_text()
    assert (a / "modules_repeats.csv").is_file()
    other = write(tmp_path, torch_model("dropout", "[8]"), "repeats: 2\nseed: 1\n", "o.yaml")
    assert cli("run", other, "--out", tmp_path / "c", "--no-plots").exit_code == 0
    c = next((tmp_path / "c" / "o").iterdir())
    assert (c / "modules.csv").read_text() != (a / "modules.csv").read_text()


@pytest.mark.parametrize("factory", ["linear", "single"])
def test_a_model_of_one_module_has_an_empty_headline(cli, tmp_path, factory):
    """Two module rows (input, output) leave nothing for a ratio or a slope: the headline is None, not a crash."""
    result = cli("run", write(tmp_path, torch_model(factory, "[8]")), "--out", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    doc = json.loads((next((tmp_path / "runs" / "s").iterdir()) / "summary.json").read_text())
    assert len(doc["modules"]) == 2 and set(doc["headline"].values()) == {None}


# With He weights each Linear doubles E[y^2] after a ReLU-free input and the residual block adds its branch:
# models.py's residual() reaches about 2 (stem), 2 + 4 = 6 (block), 12 (head) times the input's: within 100.
GATES = """checks:
  - {quantity: act_m2, relative_to: input, min: 0.1, max: 100, layers: {type: Linear}}
  - {quantity: grad_act_m2, max: 1e9, layers: {name: "fc*"}}
"""


def test_gates_select_modules_and_a_saved_run_is_rechecked(cli, tmp_path):
    spec = write(tmp_path, torch_model("residual", "[8]"), GATES.replace('"fc*"', '"1.fc*"'))
    result = cli("check", spec, "--out", tmp_path / "runs", "--no-plots", "--json")
    assert result.exit_code == 0, result.stdout + result.stderr
    doc = json.loads(result.stdout)
    assert [r["name"] for r in doc["results"]] == ["act_m2/input @ type=Linear", "grad_act_m2 @ name=1.fc*"]
    folder = next((tmp_path / "runs" / "s").iterdir())
    again = cli("check", folder, "--json")
    same = lambda d: [(r["name"], r["passed"], r["layer"], r["value"]) for r in d["results"]]  # noqa: E731
    assert again.exit_code == 0 and same(json.loads(again.stdout)) == same(doc)


def _cut_after_a_whole_row(folder):
    text = (folder / "modules.csv").read_text()
    (folder / "modules.csv").write_text("".join(text.splitlines(keepends=True)[:5]))


def _module_list_dropped(folder):
    doc = json.loads((folder / "summary.json").read_text())
    del doc["modules"]
    (folder / "summary.json").write_text(json.dumps(doc))


@pytest.mark.parametrize("harm, match", [
    (_cut_after_a_whole_row, r"modules\.csv: damaged \(not the \d+ module rows summary\.json lists\)"),
    (_module_list_dropped, r"summary\.json: damaged \(no list of modules in it\)"),
], ids=["modules.csv cut after a whole row", "summary.json without its modules"])
def test_a_saved_torch_run_missing_module_rows_is_refused(cli, tmp_path, harm, match):
    """A modules.csv cut after its 4th module read as a shorter model and passed its checks on 4 of 12 rows (found
    by a user test); rows are now held to the modules summary.json lists."""
    import re

    spec = write(tmp_path, torch_model("residual", "[8]"), GATES.replace('"fc*"', '"1.fc*"'))
    assert cli("check", spec, "--out", tmp_path / "runs", "--no-plots").exit_code == 0
    folder = next((tmp_path / "runs" / "s").iterdir())
    harm(folder)
    again = cli("check", folder)
    assert again.exit_code == 2 and re.search(match, again.stderr) and again.stderr.count("\n") == 1, again.stderr


def test_a_bad_init_fails_its_gates(cli, tmp_path):
    model = f"  torch: {{factory: '{REPO}/examples/torch_models.py:small_cnn', kwargs: {{channels: 4, blocks: 2, " \
            f"bad_init: true}}, input_shape: [3, 8, 8]}}"
    result = cli("check", write(tmp_path, model, GATES.replace("Linear", "Conv2d").replace('"fc*"', '"*"')),
                 "--out", tmp_path / "runs", "--no-plots")
    assert result.exit_code == 1
    assert "FAIL" in result.stdout and "act_m2/input @ type=Conv2d: layer 1 is" in result.stdout


NO_DX = r": dL/dx \(grad_act_m2 at the input, layer 0\)"
COUNTED = ".layers: {} is counted on the outputs of activation modules and on the model's output"
REFUSED = [
    (torch_model("nope"), "", r"s.yaml:2: model.torch.factory: .* has no attribute 'nope'"),
    ("  torch: {factory: 'no_such_module_xyz:make', input_shape: [8]}", "",
     r"s.yaml:2: model.torch.factory: cannot import 'no_such_module_xyz' .*ModuleNotFoundError"),
    (torch_model("raises", "[8]"), "", r"model.torch.factory: raises\(\) raised RuntimeError: out of ideas"),
    (torch_model("mlp", "[8]", ", kwargs: {depth: 3}"), "",
     r"model.torch.kwargs: mlp\(\) got an unexpected keyword argument 'depth'"),
    (torch_model("residual", "[8]", ", kwargs: {widht: 3}"), "",  # a user test's typo got no suggestion
     r"model.torch.kwargs: residual\(\) got an unexpected keyword argument 'widht'; did you mean 'width'\?$"),
    (torch_model("not_a_module", "[8]"), "", r"model.torch.factory: .*returned list, expected a torch.nn.Module"),
    (torch_model("mlp", "[3, 4]"), "", r"model.torch.input_shape: the model's forward fails on a batch of shape "
                                       r"\(2, 3, 4\)"),
    (torch_model("detached", "[8]"), "", r"model.torch.factory: the model's output must be one floating tensor"),
    (torch_model("argmax", "[8]"), "", r"model.torch.factory: the model's output must be one floating tensor"),
    (torch_model("mlp", "[32]", ", layers: {type: Conv2D}"), "",
     r"model.torch.layers.type: 'Conv2D' is not a torch.nn module type; did you mean 'Conv2d'"),
    (torch_model(), "checks: [{quantity: act_m2, max: 5, layers: {type: Conv2d}}]\n",
     r"s.yaml:6: checks\[0\].layers.type: 'Conv2d' is not a type of this model's modules; the model has Linear, Tanh"),
    (torch_model(), "checks: [{quantity: act_m2, max: 5, layers: {name: 'conv*'}}]\n",
     r"checks\[0\].layers: selects nothing in this model"),
    (torch_model(), "checks: [{quantity: preact_m2, max: 5}]\n", r"checks\[0\].quantity: preact_m2 is not measured"),
    (torch_model(), "checks: [{quantity: act_m2, max: 5, layers: [99]}]\n", r"checks\[0\].layers: layer 99 does not"),
    # a quantity the run will not have where the check looks (README, PyTorch: "What is measured")
    *[(torch_model(factory, "[8]"), f"checks: [{check}]\n", rf"checks\[0\]{said}") for factory, check, said in [
        ("dropout", "{quantity: grad_act_m2, relative_to: input, min: 0.1}", NO_DX + " is not measured for this model"),
        ("dropout", "{quantity: grad_act_m2, max: 5, layers: [0]}",
         ": dL/dx .* set model.torch.input_gradient: always, or bound grad_act_m2 of the modules"),
        ("dropout", "{quantity: grad_act_m2, max: 5, layers: [0, 2]}", NO_DX),
        ("dropout", "{quantity: grad_act_m2, max: 5, layers: {from: 0, to: 2}}", NO_DX),
        ("dropout", "{quantity: grad_act_m2, slope_log2: {max: 1}, layers: all}", NO_DX),
        ("dropout", "{quantity: dead_frac, max: 0.5, layers: {type: Dropout}}", COUNTED.format("dead_frac")),
        ("residual_block", "{quantity: dead_frac, max: 0.5, layers: output}", COUNTED.format("dead_frac")),
        ("dropout", "{quantity: saturated_frac, max: 0.5}", ".layers: saturated_frac is counted on the outputs of "
                                                            "activation modules with a saturation bound")]],
    (torch_model("mlp", "[1000000, 1000000]"), "", r"s.yaml:2: model.torch.input_shape: an input batch of 16 x "
                                                   r"\[1000000, 1000000\] needs about .* reduce model.torch.input_shape"),
    # found by fuzzing: user code that gets past the probe, or ends the process (exit 70, or its own exit code)
    (torch_model("small_batches_only", "[8]"), "", r"s.yaml:2: model.torch.factory: the model's forward or backward "
                                                   r"fails on a batch of shape \(16, 8\) \(RuntimeError: no batch of 16\)"),
    (torch_model("on_meta", "[8]"), "", r"s.yaml:2: model.torch.factory: parameters on device meta; actinit runs on"),
    (torch_model("exits", "[8]"), "", r"s.yaml:2: model.torch.factory: the factory called sys.exit\(3\)"),
    (torch_model("exits", "[8]", ", kwargs: {code: 0}"), "", r"model.torch.factory: the factory called sys.exit\(0\)"),
    (torch_model("exits_in_forward", "[8]"), "", r"model.torch.factory: the model's forward or backward called "
                                                 r"sys.exit\(0\)"),
    ("  torch: {factory: 'x:y', input_shape: [8]}\n  depth: 3", "", r"s.yaml:3: model.depth: describes actinit's own MLP"),
    ("  torch: {factory: 'x', input_shape: [8]}", "", r"model.torch.factory: expected 'module:function'"),
    ("  torch: {factory: 'x:y', input_shape: [0]}", "", r"model.torch.input_shape: expected the per-sample input"),
    ("  torch: {factory: 'x:y', input_shape: [8], kwrgs: {}}", "", r"model.torch.kwrgs: unknown key; did you mean"),
    *[(f"  torch: {{factory: 'x:y', input_shape: [8], input_gradient: {bad}}}", "",
       rf"model.torch.input_gradient: expected auto \(dL/dx where something needs it\) or always, got {said}$")
      for bad, said in [("yes", "True"), ("false", "False"), ("0", "0"), ("''", "''"), ("[]", r"\[\]"), ("{}", "{}")]],
    ("  depth: 3", "checks: [{quantity: act_m2, max: 5, layers: {type: Linear}}]\n",
     r"checks\[0\].layers: \{type: \.\.\.\} and \{name: \.\.\.\} select the modules of a torch: model"),
]


@pytest.mark.parametrize("model,rest,message", REFUSED, ids=[m[2][:40] for m in REFUSED])
def test_refused_before_anything_runs(cli, tmp_path, model, rest, message):
    result = cli("run", write(tmp_path, model, rest), "--out", tmp_path / "runs")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert __import__("re").search(message, result.stderr), result.stderr
    assert not (tmp_path / "runs").exists()


def test_loss_must_suit_the_output(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"model:\n{torch_model('mlp', '[32]', ', kwargs: {sizes: [32, 1]}')}\nloss: cross_entropy\n")
    result = cli("run", path, "--out", tmp_path / "runs")
    assert result.exit_code == 2 and "loss: cross_entropy takes (batch, classes) logits" in result.stderr


def test_data_from_a_function(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(f"model:\n{torch_model('residual', '[8]')}\ndata: {{batch_size: 16, input: {{torch: "
                    f"'{MODELS}:batch'}}}}\nloss: mse\n")
    result = cli("run", path, "--out", tmp_path / "runs", "--no-plots", "--json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    x = doc["modules"][0]
    assert 0 < x["act_mean"] < 1 and x["act_var"] == pytest.approx(1 / 12, rel=0.2)  # U[0, 1): mean 1/2, var 1/12


WRONG_TENSOR = r"called with batch 2, expected x \(or \(x, target\)\) with x a float tensor of shape \(2, 8\) " \
    r"\(batch, \*model\.torch\.input_shape\), got a tensor of dtype "


# The wrong tensor's message names the batch the function was called with (the probe's 2, not data.batch_size
# 16) and what came back, dtype included (a user test read "expected ... (2, 3, 8, 8), got (2, 3, 8, 8)" of int64).
@pytest.mark.parametrize("function, said", [
    ("batch_exits", r"the function called sys\.exit\(4\); raise an exception instead"),
    ("integer_batch", WRONG_TENSOR + r"int64 and shape \(2, 8\)"),
    ("batch_of_ten", WRONG_TENSOR + r"float32 and shape \(10, 8\)"),
], ids=["exits", "integers", "another batch size"])
def test_a_data_function_that_fails_is_refused(cli, tmp_path, function, said):
    path = tmp_path / "s.yaml"
    path.write_text(f"model:\n{torch_model('residual', '[8]')}\ndata: {{batch_size: 16, input: {{torch: "
                    f"'{MODELS}:{function}'}}}}\n")
    result = cli("run", path, "--out", tmp_path / "runs")
    assert result.exit_code == 2 and not (tmp_path / "runs").exists()
    assert __import__("re").fullmatch(rf"error: \S+s\.yaml:\d+: data\.input\.torch: {said}\n", result.stderr), \
        result.stderr


def test_without_torch_a_torch_spec_says_how_to_install_it(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch now raises ImportError
    result = cli("run", write(tmp_path, torch_model()), "--out", tmp_path / "runs")
    assert result.exit_code == 2
    assert result.stderr.strip() == ('error: a torch: model spec needs PyTorch (torch is not installed); install it '
                                     'with: pip install "actinit[torch]"')


def test_sweep_over_factory_kwargs_and_initializer(cli, tmp_path):
    path = write(tmp_path, torch_model("residual", "[8]"),
                 "sweep: {model.initializer: [he_normal, lecun_normal], model.torch.kwargs.width: [8, 16]}\n")
    result = cli("sweep", path, "--out", tmp_path / "runs", "--jobs", "2")
    assert result.exit_code == 0, result.stdout + result.stderr
    folder = next((tmp_path / "runs" / "s").iterdir())
    rows = (folder / "points.csv").read_text().splitlines()
    assert rows[0].startswith("model.initializer,model.torch.kwargs.width,activation,initializer")
    assert len(rows) == 5 and all(",ok," in r for r in rows[1:])


def test_memory_estimate_refuses_what_does_not_fit(tmp_path):
    from actinit_cli.errors import ActinitError
    from actinit_cli.run import runner, spec as specs

    s = specs.load(write(tmp_path, torch_model()))
    need_bytes = runner.preflight(s, False, None)[0]
    # 16 samples x (32 + 4 x 64 + 16 outputs) x 4 bytes x 4, plus the parameters' 4 x (2,112 + 4,160 + 1,040) x 3
    assert need_bytes == 4 * 16 * (32 + 64 * 4 + 16) * 4 + 3 * 4 * (32 * 64 + 64 + 64 * 64 + 64 + 64 * 16 + 16)
    with pytest.raises(ActinitError, match=r"s.yaml:\d+: data.batch_size: this run \(the model's outputs for batch 16\) needs about .* "
                                          r"reduce data.batch_size"):
        runner.preflight(s, False, need_bytes)[0]
    with pytest.raises(ActinitError, match="--save-arrays: not available for a torch: model"):
        runner.preflight(s, True, None)[0]


def test_input_batch_is_checked_before_the_probe_draws_it(tmp_path):
    from actinit_cli.errors import ActinitError
    from actinit_cli.run import spec as specs, torchrun

    s = specs.load(write(tmp_path, torch_model("nope", "[3, 5]")))  # refused before the factory is looked up
    need_bytes = torchrun.input_fits(s, None)
    assert need_bytes == 16 * 15 * (8 + 4)  # drawn in float64, cast to float32
    with pytest.raises(ActinitError, match=r"s.yaml:2: model.torch.input_shape: an input batch of 16 x \[3, 5\]"):
        torchrun.preflight(s, False, need_bytes - 1)


def test_checks_over_all_layers_skip_what_a_row_does_not_measure(cli, tmp_path):
    """`layers: all` (a bound's default) means every row that has the quantity by construction: without dL/dx and
    with counts on activation modules only, these checks look at the rows that have them and pass."""
    checks = ("checks:\n  - {quantity: grad_act_m2, max: 1.0e+6}\n  - {quantity: dead_frac, max: 1}\n"
              "  - {quantity: zero_frac, max: 1, layers: output}\n")
    result = cli("check", write(tmp_path, torch_model("dropout", "[8]"), checks), "--out", tmp_path / "runs")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert result.stdout.count("PASS") == 3


def test_a_model_that_changes_its_input_in_place_leaves_the_data_alone(cli, tmp_path):
    """Without dL/dx the batch goes in as it is; a function's batch is a copy, so `DATA[:n]` stays as it was and
    row 0 describes the data (the probe's trial batch went through the same model first)."""
    sys.path.insert(0, str(MODELS.parent))
    import models

    before = models.DATA.clone()
    rest = f"data: {{batch_size: 16, input: {{torch: '{MODELS}:fixed'}}}}\nloss: random_projection\n"
    path = tmp_path / "s.yaml"
    path.write_text(f"model:\n{torch_model('relu_first', '[8]')}\n{rest}")
    result = cli("run", path, "--out", tmp_path / "runs")
    assert result.exit_code == 0, result.stderr
    row0 = rundir.read_csv(next((tmp_path / "runs" / "s").iterdir()) / "modules.csv")[0]
    assert row0["act_mean"] == pytest.approx(float(before[:16].double().mean()), rel=1e-6)
    assert torch_equal(models.DATA, before)


def torch_equal(a, b) -> bool:
    return bool((a == b).all())


@pytest.mark.parametrize("command", ["run", "inspect"])
def test_a_backbone_under_inference_mode(cli, tmp_path, command):
    """Outputs made under torch.inference_mode() have no version counter (and no gradient): measured, not a crash."""
    if command == "run":
        result = cli("run", write(tmp_path, torch_model("inference", "[1, 16]")), "--out", tmp_path / "runs")
        assert result.exit_code == 0, result.stderr
        return
    sys.path.insert(0, str(MODELS.parent))
    import models
    from actinit_cli.torch import inspect

    rows = inspect(models.inference(), __import__("torch").randn(8, 1, 16)).rows
    assert [r["type"] for r in rows[1:]] == ["Conv1d", "Linear"] and rows[2]["grad_act_m2"] > 0


def test_a_forward_that_sets_requires_grad_itself_gets_checks_of_dx(cli, tmp_path):
    """A physics-informed net differentiates with respect to x and sets x.requires_grad in its forward: dL/dx
    reaches x anyway, so the run measures it and a check relative to it is not refused."""
    checks = "checks: [{quantity: grad_act_m2, relative_to: input, min: 1.0e-12, layers: hidden}]\n"
    result = cli("check", write(tmp_path, torch_model("pinn", "[8]"), checks), "--out", tmp_path / "runs")
    assert result.exit_code == 0, result.stdout + result.stderr


@pytest.mark.parametrize("command", ["run", "check"])
def test_a_model_is_built_and_tried_once_per_run(cli, tmp_path, monkeypatch, command):
    """The probe (the factory's model and a trial batch) runs once: the preflight that validates the spec hands it
    to the run, instead of the run probing again."""
    from actinit_cli.torch import probe

    calls, real = [], probe.probe
    monkeypatch.setattr(probe, "probe", lambda *a: calls.append(a) or real(*a))
    gates = "checks: [{quantity: act_m2, max: 100, layers: {type: Linear}}]\n" if command == "check" else ""
    result = cli(command, write(tmp_path, torch_model(), gates), "--out", tmp_path / "runs", "--no-plots")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert len(calls) == 1


def test_a_sweep_point_carries_its_probe_to_the_worker(tmp_path, monkeypatch):
    """Planning probes each torch point; the point takes that probe to its worker (pickled, as a spawned worker
    gets it), whose run does not probe again and gives the numbers of a run that probes for itself."""
    import pickle

    from actinit_cli.run import runner, spec as specs
    from actinit_cli.sweep import plan, pool
    from actinit_cli.torch import probe

    base = specs.load(write(tmp_path, torch_model(), "sweep: {model.initializer: [he_normal, lecun_normal]}\n"))
    points = [pickle.loads(pickle.dumps(p)) for p in plan.expand(base)]
    assert all(p.probe is not None and p.probe.rows[1]["type"] == "Linear" for p in points)
    fresh = runner.execute(points[0].spec).rows
    monkeypatch.setattr(probe, "probe", lambda *a: pytest.fail("probed again in the worker"))
    row = pool._point(points[0], tmp_path / "points", False)
    assert not row["reason"], row["reason"]
    assert runner.execute(points[0].spec, probe=points[0].probe).rows == fresh
