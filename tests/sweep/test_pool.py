"""Sweeps run: serial = parallel, failing points recorded, --resume, and recommendations that reproduce the
textbook pairs on a small grid."""

import csv
from pathlib import Path

import pytest

from actinit_cli.run import spec
from actinit_cli.sweep import plan, pool as sweep
from actinit_cli.errors import ActinitError

BASE = "name: g\nmodel: {depth: 4, width: 32}\ndata: {batch_size: 32}\nloss: random_projection\n"


def points(text):
    return plan.expand(spec.parse(BASE + text))


def read(path: Path) -> list[dict]:
    return list(csv.DictReader(path.open()))


NUMBERS = ("act_m2_last_over_first", "grad_m2_first_over_last", "act_m2_slope_log2", "grad_m2_slope_log2",
           "max_dead_frac", "nonfinite")


def test_serial_and_parallel_give_identical_numbers(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n  model.activation: [tanh, relu]\n  model.initializer: [glorot_normal, he_normal]\n")
    one = cli("sweep", path, "--out", tmp_path / "a", "--jobs", "1")
    two = cli("sweep", path, "--out", tmp_path / "b", "--jobs", "2")
    assert one.exit_code == 0 and two.exit_code == 0, one.output + two.output
    rows = [read(next((tmp_path / d / "g").iterdir()) / "points.csv") for d in ("a", "b")]
    assert [[r[c] for c in NUMBERS] for r in rows[0]] == [[r[c] for c in NUMBERS] for r in rows[1]]
    folder = next((tmp_path / "a" / "g").iterdir())
    for name in ("points.csv", "heatmap_activations.png", "heatmap_gradients.png", "recommendations.md",
                 "summary.json", "sweep.yaml"):
        assert (folder / name).is_file()
    assert len(list((folder / "points").iterdir())) == 4


def test_a_failing_point_does_not_stop_the_sweep(tmp_path):
    good = points("sweep:\n  model.activation: [tanh, relu]")
    broken = dict(good[1].spec.resolved, model=dict(good[1].spec.resolved["model"], initializer="no_such_init"))
    ps = [good[0], plan.Point("broken", {"model.activation": "relu"}, spec.Spec(broken))]
    rows = sweep.execute(ps, tmp_path, jobs=2)
    assert rows[0]["status"] == "ok" and rows[1]["status"] == "failed"
    assert "unknown initializer 'no_such_init'" in rows[1]["reason"]


def test_resume_skips_finished_points(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n  model.depth: [2, 3, 4]\n")
    assert cli("sweep", path, "--out", tmp_path, "--jobs", "1").exit_code == 0
    folder = next((tmp_path / "g").iterdir())
    kept = {p.name: sorted(x.name for x in p.iterdir()) for p in (folder / "points").iterdir()}
    for run_dir in (folder / "points" / "depth=3").iterdir():  # as if interrupted before this point finished
        for f in run_dir.iterdir():
            f.unlink()
        run_dir.rmdir()
    (folder / "summary.json").unlink()
    r = cli("sweep", path, "--out", tmp_path, "--jobs", "1", "--resume")
    assert r.exit_code == 0, r.output
    after = {p.name: sorted(x.name for x in p.iterdir()) for p in (folder / "points").iterdir()}
    assert after["depth=2"] == kept["depth=2"] and after["depth=4"] == kept["depth=4"]
    assert len(after["depth=3"]) == 1 and (folder / "summary.json").is_file()
    assert len(list((tmp_path / "g").iterdir())) == 1


def test_resume_without_an_earlier_sweep_is_bad_input(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n  model.depth: [2]\n")
    r = cli("sweep", path, "--out", tmp_path, "--resume")
    assert r.exit_code == 2 and "no earlier sweep" in r.stderr


def recommend(cli, tmp_path, depth):
    path = tmp_path / f"s{depth}.yaml"
    path.write_text(f"name: g{depth}\nmodel: {{width: 256}}\ndata: {{batch_size: 256}}\nloss: random_projection\n"
                    f"sweep:\n  model.activation: [tanh, relu]\n  model.initializer: [standard, glorot_normal, "
                    f"he_normal]\n  model.depth: [{depth}]\n")
    r = cli("sweep", path, "--out", tmp_path)
    assert r.exit_code == 0, r.output
    return r.stdout


def test_recommendations_reproduce_the_textbook_pairs(cli, tmp_path):
    """At depth 50 and width 256 the measurements name He for relu and Glorot for tanh (whose power-law decay
    beats He's exponential gradient growth, chi_1 = 1.106 per layer, once the net is deep enough: both
    stay within 100x end to end, 64x and 71x, and Glorot is flatter, 0.084 against 0.146 doublings per layer)."""
    out = recommend(cli, tmp_path, 50)
    assert "relu: agrees with the notes (He for relu): the flattest pair is he_normal" in out
    assert "tanh: agrees with the notes (Xavier/Glorot for tanh): the flattest pair is glorot_normal" in out
    text = (next((tmp_path / "g50").iterdir()) / "recommendations.md").read_text()
    assert text.index("## tanh") < text.index("| glorot_normal | yes")


def test_recommendations_come_from_the_data_not_the_rules(cli, tmp_path):
    """At depth 30, He keeps tanh flatter than Xavier (gradient slope -0.13 against about +0.16), and the
    tool says so rather than repeating the textbook."""
    out = recommend(cli, tmp_path, 30)
    assert "tanh: disagrees with the notes (Xavier/Glorot for tanh): measured, he_normal is flatter" in out


def test_run_and_check_refuse_a_sweep_spec(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n  model.depth: [2]\n")
    for cmd in ("run", "check"):
        r = cli(cmd, path, "--out", tmp_path)
        assert r.exit_code == 2 and "actinit sweep" in r.stderr
    good = tmp_path / "good.yaml"  # among other targets (configs/*.yaml) a sweep spec is skipped, with a notice
    good.write_text(BASE + "checks: [{quantity: nonfinite, max: 0}]\n")
    r = cli("check", good, path, "--out", tmp_path, "--no-plots")
    assert r.exit_code == 0 and f"skipped {path}: a sweep spec" in r.stderr
    plain = tmp_path / "p.yaml"
    plain.write_text(BASE)
    r = cli("sweep", plain, "--out", tmp_path)
    assert r.exit_code == 2 and "no sweep: section" in r.stderr


class _Crash(sweep.Point):
    """A point whose worker process dies as soon as it looks at the spec (as if killed, or out of memory)."""

    def __getattribute__(self, name):
        import multiprocessing
        import os

        if name == "spec" and multiprocessing.parent_process() is not None:  # only in the worker
            os._exit(1)
        return super().__getattribute__(name)


def test_a_dying_worker_fails_its_points_and_the_sweep_finishes(tmp_path):
    good = points("sweep:\n  model.activation: [tanh, relu]")
    crash = _Crash("crash", {"model.activation": "relu"}, good[1].spec)
    rows = sweep.execute([crash, good[0]], tmp_path, jobs=1)
    assert rows[0]["status"] == "failed" and "worker process died" in rows[0]["reason"]
    assert "--resume" in rows[0]["reason"]


@pytest.mark.parametrize("given, again", [
    (["my sweep.yaml", "--out", "my runs"], "actinit sweep 'my sweep.yaml' --out 'my runs' --resume"),
    (["my sweep.yaml", "--yes"], "actinit sweep 'my sweep.yaml' --resume --yes"),
])
def test_interrupt_keeps_finished_points_and_says_how_to_resume(cli, tmp_path, monkeypatch, given, again):
    """Ctrl-C during a sweep: exit 130, one line saying how many points are kept and the command that resumes,
    with the spec and --out as the user gave them."""
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.chdir(tmp_path)
    (tmp_path / "my sweep.yaml").write_text(BASE + "sweep:\n  model.depth: [2, 3]\n")
    monkeypatch.setattr(sweep, "execute", interrupted)
    r = cli("sweep", *given, "--jobs", "1")
    assert r.exit_code == 130, r.output
    assert len(r.stderr.strip().splitlines()) == 1
    assert r.stderr.startswith("error: interrupted; 0 finished points are kept in ")
    assert r.stderr.rstrip().endswith(f"continue with {again}")


@pytest.mark.parametrize("harm, kept", [
    (lambda a, b: None, "2 finished points are kept"),
    (lambda a, b: (a / "summary.json").unlink(), "1 finished point is kept"),  # damaged, left in place
    (lambda a, b: (b.parent / "backup").mkdir(), "2 finished points are kept"),  # the user's own folder
    (lambda a, b: ((a / "summary.json").unlink(), (b.parent / "20991231T000000Z-abcdef").mkdir()),
     "0 finished points are kept"),  # a newer run-id folder that is not a run hides the older run
])
def test_an_interrupted_resume_counts_the_points_it_would_keep(cli, tmp_path, monkeypatch, harm, kept):
    """Ctrl-C during --resume counts the points a later --resume keeps (their newest run directory can be read),
    not every folder under points/: a damaged run left in place or a user's folder is not a finished point."""
    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n  model.depth: [2, 3]\n")
    assert cli("sweep", path, "--out", tmp_path / "o", "--jobs", "1").exit_code == 0
    folder = next((tmp_path / "o" / "g").iterdir())
    (folder / "summary.json").unlink()  # the sweep reads as unfinished
    harm(*sorted(folder.glob("points/*/*")))

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(sweep, "execute", interrupted)
    r = cli("sweep", path, "--out", tmp_path / "o", "--resume")
    assert r.exit_code == 130 and f"interrupted; {kept} in {folder}" in r.stderr, r.stderr


def test_an_interrupt_while_the_sweep_writes_its_files_keeps_the_points(cli, tmp_path, monkeypatch):
    """Every point finished, then Ctrl-C while points.csv, the heatmaps or summary.json are written: the points are
    kept and the line says so (not 'nothing was left half-written'); --resume then writes the sweep's files."""
    from actinit_cli.sweep import report

    real = report.finish

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n  model.depth: [2, 3]\n")
    monkeypatch.setattr(report, "finish", interrupted)
    r = cli("sweep", path, "--out", tmp_path / "o", "--jobs", "1")
    assert r.exit_code == 130 and r.stderr.startswith("error: interrupted; 2 finished points are kept in "), r.stderr
    monkeypatch.setattr(report, "finish", real)
    r = cli("sweep", path, "--out", tmp_path / "o", "--resume")
    assert r.exit_code == 0, r.output
    assert len(list((tmp_path / "o").glob("g/*/summary.json"))) == 1  # the spec is named g


SWEEP_FILES = ("points.csv", "recommendations.md", "heatmap_activations.png", "heatmap_gradients.png",
               "heatmap_collapse.png", "summary.json")


@pytest.mark.parametrize("hit", SWEEP_FILES[1:])
def test_ctrl_c_among_the_sweep_files_then_resume_rewrites_them(cli, tmp_path, monkeypatch, hit):
    """Ctrl-C at the very end, as `hit` is written (the files before it already are): no summary.json, so the
    sweep reads as unfinished; --resume runs no point again and writes every one of the sweep's files anew."""
    from actinit_cli.sweep import report

    def stop_at(write):
        def wrapped(path, *args, **kwargs):
            if Path(path).name == hit:
                raise KeyboardInterrupt
            return write(path, *args, **kwargs)
        return wrapped

    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n  model.activation: [tanh, relu]\n")
    with monkeypatch.context() as m:
        m.setattr(report, "write_atomic", stop_at(report.write_atomic))
        m.setattr(report, "write_with", stop_at(report.write_with))
        r = cli("sweep", path, "--out", tmp_path, "--jobs", "1")
    assert r.exit_code == 130 and "2 finished points are kept" in r.stderr, r.output
    folder = next((tmp_path / "g").iterdir())
    before = SWEEP_FILES[:SWEEP_FILES.index(hit)]
    assert sorted(p.name for p in folder.iterdir()) == sorted([*before, "points", "sweep.yaml"])
    runs = sorted(folder.glob("points/*/*"))
    written = {name: (folder / name).stat().st_ino for name in before}
    r = cli("sweep", path, "--out", tmp_path, "--jobs", "1", "--resume")
    assert r.exit_code == 0, r.output
    assert sorted(folder.glob("points/*/*")) == runs  # no point ran again
    assert all((folder / name).is_file() for name in SWEEP_FILES)
    assert all((folder / name).stat().st_ino != ino for name, ino in written.items())  # rewritten, not kept


def test_duplicates_and_list_values():
    with pytest.raises(ActinitError, match=r"sweep.model.activation: 'tanh' is listed twice"):
        points("sweep:\n  model.activation: [tanh, tanh]")
    ps = points("sweep:\n  model.width: [[8, 16, 8, 16], 32]")
    assert [p.label for p in ps] == ["width=8-16-8-16", "width=32"]


def test_resume_refuses_a_finished_sweep(cli, tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text(BASE + "sweep:\n  model.depth: [2]\n")
    assert cli("sweep", path, "--out", tmp_path, "--jobs", "1").exit_code == 0
    r = cli("sweep", path, "--out", tmp_path, "--resume")
    assert r.exit_code == 2 and "finished with no failed points; nothing to resume" in r.stderr
