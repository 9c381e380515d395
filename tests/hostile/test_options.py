"""Bad options and destinations of every command: --out, --junit, --baseline and --update-baseline, --tolerance,
phase's ranges, gain's and list's arguments, unknown options. Everything must be refused before anything runs
(README: "every target is loaded and validated first ... --out, the --junit folder"), so nothing is written."""

from __future__ import annotations

import pytest

from tests.hostile.harness import CHECKS, SMALL, Box, ids, merged, refused

GOOD = merged(SMALL, {"checks": CHECKS})


def setup(box: Box) -> None:
    """What every case may refer to: a good spec, a spec with a bad field, a sweep spec, a plain file, an
    empty folder and a folder with something else in it."""
    box.file("good.yaml", GOOD)
    box.file("nochecks.yaml", SMALL)
    box.file("bad.yaml", merged(GOOD, {"model": {"depth": 0}}))
    box.file("sweep.yaml", merged(GOOD, {"sweep": {"seed": [0, 1]}}))
    box.file("afile", "x")
    (box.root / "empty").mkdir()
    box.file("full/notes.txt", "keep me")


LONG = "x" * 300
RUN = [
    ("--out is a file", ["run", "good.yaml", "--out", "afile"], r"--out"),
    ("--out below a file", ["run", "good.yaml", "--out", "afile/runs"], r"--out"),
    ("--out name too long", ["run", "good.yaml", "--out", LONG], r"--out"),
    ("--out below a name too long", ["run", "good.yaml", "--out", f"{LONG}/runs"], r"--out"),
    ("--out in /proc", ["run", "good.yaml", "--out", "/proc/runs"], r"--out"),
    ("a bad spec", ["run", "bad.yaml", "--out", "out"], r"model\.depth"),
    ("--check without checks", ["run", "nochecks.yaml", "--check", "--out", "out"], r"--check.*no checks"),
    ("run a sweep spec", ["run", "sweep.yaml", "--out", "out"], r"actinit sweep"),
    ("unknown option", ["run", "good.yaml", "--plots"], r"--plots"),
    ("two specs", ["run", "good.yaml", "good.yaml"], r"unexpected extra argument"),
]
CHECK = [
    ("a bad target after a good one", ["check", "good.yaml", "bad.yaml", "--out", "out"], r"bad\.yaml.*model\.depth"),
    ("a missing target after a good one", ["check", "good.yaml", "nope.yaml", "--out", "out"], r"nope\.yaml"),
    ("an empty folder after a good one", ["check", "good.yaml", "empty", "--out", "out"], r"empty"),
    ("only sweep specs", ["check", "sweep.yaml", "--out", "out"], r"sweep"),
    ("--tolerance 0", ["check", "good.yaml", "--tolerance", "0", "--out", "out"], r"--tolerance"),
    ("--tolerance -1", ["check", "good.yaml", "--tolerance", "-1", "--out", "out"], r"--tolerance"),
    ("--tolerance nan", ["check", "good.yaml", "--tolerance", "nan", "--out", "out"], r"--tolerance"),
    ("--tolerance inf", ["check", "good.yaml", "--tolerance", "inf", "--out", "out"], r"--tolerance"),
    ("--tolerance text", ["check", "good.yaml", "--tolerance", "wide", "--out", "out"], r"--tolerance"),
    ("--out is a file", ["check", "good.yaml", "--out", "afile"], r"--out"),
    ("--out name too long", ["check", "good.yaml", "--out", LONG], r"--out"),
    ("--junit below a file", ["check", "good.yaml", "--out", "out", "--junit", "afile/r.xml"], r"--junit"),
    ("--junit onto a folder", ["check", "good.yaml", "--out", "out", "--junit", "empty"], r"--junit"),
    ("--junit name too long", ["check", "good.yaml", "--out", "out", "--junit", LONG + ".xml"], r"--junit"),
    ("--junit in /proc", ["check", "good.yaml", "--out", "out", "--junit", "/proc/r.xml"], r"--junit"),
    ("--junit onto the spec it checks", ["check", "--junit", "good.yaml", "good.yaml"], r"--junit: 'good\.yaml' would "
                                                                                        r"overwrite 'good\.yaml'"),
    ("--junit onto a target spelt otherwise", ["check", "good.yaml", "--junit", "./good.yaml"],
     r"--junit: 'good\.yaml' would overwrite 'good\.yaml', which the check reads"),
    ("--junit onto a spec before the targets (a glob)", ["check", "--junit", "nochecks.yaml", "good.yaml"],
     r"--junit: 'nochecks\.yaml' exists and is not an XML report"),
    ("a target name too long", ["check", LONG, "--out", "out"], r"check: 'x+"),
    ("a target below a name too long", ["check", f"{LONG}/s.yaml", "--out", "out"], r"check: 'x+"),
    ("--baseline name too long", ["check", "good.yaml", "--out", "out", "--baseline", LONG], r"--baseline"),
    ("--baseline missing", ["check", "good.yaml", "--out", "out", "--baseline", "nope"], r"--baseline|nope"),
    ("--baseline a file", ["check", "good.yaml", "--out", "out", "--baseline", "afile"], r"--baseline|afile"),
    ("--baseline an empty folder", ["check", "good.yaml", "--out", "out", "--baseline", "empty"], r"empty"),
    ("--baseline a spec", ["check", "good.yaml", "--out", "out", "--baseline", "good.yaml"], r"good\.yaml"),
    ("--update-baseline without --baseline", ["check", "good.yaml", "--update-baseline"], r"--baseline"),
    ("--update-baseline of two targets", ["check", "good.yaml", "good.yaml", "--baseline", "b",
                                          "--update-baseline"], r"one target"),
    ("--update-baseline onto a file", ["check", "good.yaml", "--out", "out", "--baseline", "afile",
                                       "--update-baseline"], r"--baseline"),
    ("--update-baseline onto a folder with notes", ["check", "good.yaml", "--out", "out", "--baseline", "full",
                                                    "--update-baseline"], r"--baseline"),
    ("--update-baseline below a file", ["check", "good.yaml", "--out", "out", "--baseline", "afile/base",
                                        "--update-baseline"], r"--baseline"),
    ("--update-baseline name too long", ["check", "good.yaml", "--out", "out", "--baseline", LONG,
                                         "--update-baseline"], r"--baseline"),
    ("--update-baseline of a bad spec", ["check", "bad.yaml", "--out", "out", "--baseline", "b",
                                         "--update-baseline"], r"model\.depth"),
    ("--update-baseline of a sweep spec", ["check", "sweep.yaml", "--out", "out", "--baseline", "b",
                                           "--update-baseline"], r"sweep"),
]
PHASE = [
    ("--points 0", ["--points", "0"], r"--points"),
    ("--points 1", ["--points", "1"], r"--points"),
    ("--points -5", ["--points", "-5"], r"--points"),
    ("--points 1001", ["--points", "1001"], r"--points"),
    ("--points 2.5", ["--points", "2.5"], r"--points"),
    ("--points 10**30", ["--points", str(10**30)], r"--points"),
    ("--sw2-max 0", ["--sw2-max", "0"], r"--sw2-max"),
    ("--sw2-max -1", ["--sw2-max", "-1"], r"--sw2-max"),
    ("--sw2-max nan", ["--sw2-max", "nan"], r"--sw2-max"),
    ("--sw2-max inf", ["--sw2-max", "inf"], r"--sw2-max"),
    ("--sw2-max 1e300", ["--sw2-max", "1e300"], r"--sw2-max"),
    ("--sb2-max -1", ["--sb2-max", "-1"], r"--sb2-max"),
    ("--sb2-max nan", ["--sb2-max", "nan"], r"--sb2-max"),
    ("--sb2-max text", ["--sb2-max", "big"], r"--sb2-max"),
    ("softmax", ["--points", "3"], r"softmax"),
    ("--out is a file", ["--points", "3", "--out", "afile"], r"--out"),
    ("--out name too long", ["--points", "3", "--out", LONG], r"--out"),
    ("--out in /proc", ["--points", "3", "--out", "/proc/x"], r"--out"),
]
OTHER = [
    ("gain without a name", ["gain"], r"ACTIVATION|--all"),
    ("gain with a name and --all", ["gain", "relu", "--all"], r"--all|ACTIVATION"),
    ("gain --all with --param", ["gain", "--all", "-p", "alpha=1"], r"--param"),
    ("gain of softmax", ["gain", "softmax"], r"softmax"),
    ("gain of an unknown name", ["gain", "rleu"], r"did you mean 'relu'"),
    ("gain --param without =", ["gain", "elu", "-p", "alpha"], r"--param"),
    ("list of an unknown kind", ["list", "losses"], r"losses|kind"),
    ("list of two kinds", ["list", "activations", "columns"], r"unexpected extra argument"),
    ("schema with an argument", ["schema", "spec.yaml"], r"unexpected extra argument"),
    ("schema with an option", ["schema", "--out", "x"], r"--out"),
    ("init of an unknown example", ["init", "xavier_tanhh"], r"did you mean 'xavier_tanh'"),
    ("init of a path", ["init", "../configs/he_relu"], r"he_relu"),
    ("init onto an existing file", ["init", "he_relu", "-o", "afile"], r"--force"),
    ("init below a file", ["init", "he_relu", "-o", "afile/he.yaml"], r"--output"),
    ("init name too long", ["init", "he_relu", "-o", LONG + ".yaml"], r"--output"),
    ("init into /proc", ["init", "he_relu", "-o", "/proc/he.yaml"], r"--output"),
    ("unknown command", ["runn", "good.yaml"], r"runn"),
    ("unknown root option", ["--verbose", "list"], r"--verbose"),
]
TABLE = [(f"run {c}", a, m) for c, a, m in RUN] + [(f"check {c}", a, m) for c, a, m in CHECK] + [(f"phase {c}", ["phase", "softmax" if c == "softmax" else "tanh", *a], m)
                       for c, a, m in PHASE] + OTHER


@pytest.mark.parametrize("case, args, match", TABLE, ids=ids(TABLE))
def test_bad_option(cli, box, case, args, match):
    setup(box)
    box.seal()
    refused(cli(*args), box, match)
