"""The commands that read a spec, each with what its spec must carry besides the case (a `checks:` section for
`check`, a `sweep:` section for `sweep`) and its arguments with every destination inside the case's Box."""

from __future__ import annotations

from typing import Any, Callable

from tests.hostile.harness import CHECKS, SMALL, Box, merged

SWEEP = {"seed": [0, 1]}


def run_args(spec: Any, box: Box) -> list:
    return ["run", spec, "--out", box.out, "--no-plots"]


def check_args(spec: Any, box: Box) -> list:
    return ["check", spec, "--out", box.out, "--no-plots", "--junit", box.root / "junit" / "report.xml"]


def run_check_args(spec: Any, box: Box) -> list:
    return ["run", spec, "--out", box.out, "--no-plots", "--check"]


def sweep_args(spec: Any, box: Box) -> list:
    return ["sweep", spec, "--out", box.out, "--jobs", "1"]


# name -> (arguments, the sections its spec needs)
SPEC_COMMANDS: dict[str, tuple[Callable[[Any, Box], list], dict]] = {
    "run": (run_args, {}),
    "check": (check_args, {"checks": CHECKS}),
    "sweep": (sweep_args, {"sweep": SWEEP}),
}


def spec_for(command: str, change: Any) -> Any:
    """The small valid spec with `change` laid over it, plus the sections `command` needs when the change
    leaves them out (a change that is not a mapping is the whole file's content, as it is)."""
    if not isinstance(change, dict):
        return change
    needs = {k: v for k, v in SPEC_COMMANDS[command][1].items() if k not in change}
    return merged(merged(SMALL, needs), change)


def invoke_spec(cli: Any, box: Box, command: str, change: Any, name: str = "spec.yaml") -> Any:
    """Write the case's spec for `command`, seal the box, run the command on it."""
    path = box.file(name, spec_for(command, change))
    box.seal()
    return cli(*SPEC_COMMANDS[command][0](path, box))
