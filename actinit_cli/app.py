"""The command line's machinery: the Typer app whose every user mistake is one line on stderr with
its exit code, the multi-value `--shape`, and the option types and helpers the commands share.
`cli.py` declares the commands on this app.
"""

from __future__ import annotations

import os
import re
import sys
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, NoReturn, Optional

import typer
from typer.core import TyperCommand, TyperGroup

from actinit_cli import __version__, signals
from actinit_cli.errors import ActinitError, exit_codes_help
from actinit_cli.errors import BAD_INPUT as EXIT_USAGE, BUG as EXIT_INTERNAL, CHECK_FAILED as EXIT_FAIL, \
    INTERRUPTED as EXIT_INTERRUPTED, OK as EXIT_OK  # the one table's codes (errors.EXIT_CODES)


def fail(message: str, code: int = EXIT_USAGE) -> NoReturn:
    """Print one line to stderr and exit."""
    sys.stderr.write(f"error: {message}\n")
    sys.stderr.flush()
    sys.exit(code)


class _Group(TyperGroup):
    """Runs the app so that every user mistake, a parse error included, is one line on stderr."""

    def main(self, args: Any = None, prog_name: Any = None, complete_var: Any = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        try:
            code = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except ActinitError as exc:
            fail(str(exc), exc.exit_code)
        except Exception as exc:  # click-style usage errors carry format_message and exit_code
            if signals.interrupted():  # caused by the Ctrl-C, e.g. Python 3.11 wraps one raised in a class's
                # __set_name__ at import in a RuntimeError (a fuzz run saw it reported as an internal error)
                fail(f"{signals.reason()}; nothing was left half-written", signals.exit_code())
            if not (hasattr(exc, "format_message") and hasattr(exc, "exit_code")):
                internal_error(exc)
            if type(exc).__name__ == "NoArgsIsHelpError":
                sys.stdout.write(exc.format_message() + "\n")
                sys.exit(EXIT_USAGE)
            ctx = getattr(exc, "ctx", None)
            where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
            fail((unconverted(exc) or exc.format_message().replace("\n", " ")) + where, exc.exit_code)
        code = code if isinstance(code, int) else EXIT_OK
        if signals.interrupted():  # also a Ctrl-C that a library cleared and the command finished (signals.check)
            code = EXIT_INTERRUPTED
        if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C (and SIGTERM: see signals.py) into Exit(130)
            fail(f"{signals.reason()}; nothing was left half-written", signals.exit_code())
        if standalone_mode:
            sys.exit(code)
        return code


EXPECTED = {"int_parsing": "an integer", "int_from_float": "an integer", "float_parsing": "a number",
            "bool_parsing": "true or false"}  # the pydantic error types typer's conversions raise, in plain words
# click's own wording, which typer before 0.29 (the floor, 0.16) passes on: "'1e3' is not a valid integer."
CLICK_WORDS = re.compile(r"'(?P<value>.*)' is not (a valid (?P<kind>integer|float|boolean)|one of )")
CLICK_KINDS = {"integer": "an integer", "float": "a number", "boolean": "true or false"}


def unconverted(exc: Exception) -> str | None:
    """A value typer could not convert, in actinit's words: "--shape: expected an integer, got '1e3'" (typer
    words it as pydantic does, without the value: "Value error, 'x' is not one of ..." or "Input should be a valid
    integer, unable to parse string as an integer"). None: not such an error, keep typer's message."""
    from actinit_cli.nn.registry import did_you_mean, shown

    errors, param = getattr(exc.__cause__, "errors", None), getattr(exc, "param", None)
    first = (errors() or [None])[0] if errors is not None else None  # typer >= 0.29: pydantic's error
    said = CLICK_WORDS.match(str(getattr(exc, "message", "")))  # earlier typer: click's words
    if param is None or not (first or said):
        return None
    value = first.get("input") if first else said["value"]
    name = max(param.opts, key=len) if param.param_type_name == "option" else (param.metavar or param.name)
    kinds = getattr(param, "type_descriptor", None) or getattr(param, "type", None)
    choices = [str(getattr(c, "value", c)) for c in getattr(kinds, "choices", None) or ()]
    if choices:
        return f"{name}: got {shown(value)}, expected one of {', '.join(choices)}{did_you_mean(str(value), choices)}"
    expected = EXPECTED.get(first.get("type")) if first else CLICK_KINDS.get(said["kind"] or "")
    return f"{name}: expected {expected}, got {shown(value)}" if expected else None


def internal_error(exc: BaseException) -> NoReturn:
    """A bug, not a user mistake: one line and exit 70, the traceback only with ACTINIT_DEBUG=1."""
    if os.environ.get("ACTINIT_DEBUG"):
        raise exc
    text = " ".join(str(exc).split())[:200]
    fail(f"internal error ({type(exc).__name__}: {text}); this is a bug in actinit: rerun with ACTINIT_DEBUG=1 "
         f"for the traceback and report it", EXIT_INTERNAL)


class ShapeCommand(TyperCommand):
    """A command whose `--shape` takes every integer that follows it (`--shape 9 1`): click options take
    a fixed number of values, so this command's own parse step reads `--shape 9 1` as `--shape 9
    --shape 1` (a repeatable option) before the normal parser runs. Nothing outside this command changes."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, spread(args, "--shape"))


def spread(args: list[str], option: str) -> list[str]:
    """`OPTION 9 1` -> `OPTION 9 OPTION 1`: the integers after OPTION each become one of its values
    (up to `--`, after which everything is positional)."""
    out: list[str] = []
    taking = False
    for i, arg in enumerate(args):
        if arg == "--":
            return out + args[i:]
        value = taking and re.fullmatch(r"[+-]?\d+", arg) is not None
        if value and out[-1] != option:  # a further value: repeat the option before it
            out.append(option)
        if not value:
            taking = arg == option
        out.append(arg)
    return out


app = typer.Typer(cls=_Group, no_args_is_help=True, add_completion=True, rich_markup_mode=None,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="See what activation functions and weight initializers do to a deep network.\n\n"
                       + exit_codes_help())


def _version(value: bool) -> None:
    if value:
        typer.echo(f"actinit {__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                                help="Print the version and exit.")] = False) -> None:
    """See what activation functions and weight initializers do to a deep network."""


def examples(*lines: str) -> str:
    """An epilog of example commands, one per line, kept as written (click's \\b: no re-wrapping)."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def parse_params(items: list[str] | None, name: str) -> Any:
    """`--param key=value` pairs into a reference {name: ..., key: value}; values read as YAML scalars
    (a value that is not valid YAML stays a string)."""
    from actinit_cli.run.yamlio import load_yaml

    params: dict[str, Any] = {}
    for item in items or []:
        key, sep, raw = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"expected key=value, got {item!r}", param_hint="--param")
        try:
            params[key.strip()] = load_yaml(raw, f"--param {key.strip()}") if raw.strip() else raw
        except ActinitError as exc:
            if "YAML syntax error" not in str(exc):
                raise
            params[key.strip()] = raw
    return {"name": name, **params} if params else name


def show_verdict(results: list, show: bool = True) -> NoReturn:
    """Print the check results (unless `show` is off) and exit 1 if any failed, else 0."""
    from actinit_cli import terminal

    if show:
        terminal.show_checks(results)
    raise typer.Exit(EXIT_FAIL if any(not r.passed for r in results) else EXIT_OK)


class Format(str, Enum):
    text = "text"
    json = "json"
    csv = "csv"
    npy = "npy"


class DType(str, Enum):
    float32 = "float32"
    float64 = "float64"


class Executor(str, Enum):
    local = "local"
    dask = "dask"


class Kind(str, Enum):  # what `actinit list` shows: the keys of lists.py's LISTS (a test keeps the two equal)
    initializers = "initializers"
    activations = "activations"
    tasks = "tasks"
    optimizers = "optimizers"
    columns = "columns"


def params_option(example: str) -> Any:
    """The repeatable --param option; its help's example, `NAME -p KEY=VALUE`, is run by a test."""
    return Annotated[Optional[list[str]], typer.Option("--param", "-p", metavar="KEY=VALUE",
                                                       help=f"A parameter of the named entry, repeatable, e.g. "
                                                            f"{example}.")]


InitializerParams = params_option("variance_scaling -p scale=2")
ActivationParams = params_option("leaky_relu -p negative_slope=0.2")
Out = Annotated[Path, typer.Option("--out", metavar="DIR", help="Root folder for run directories.")]
ExecutorOption = Annotated[Executor, typer.Option("--executor", help="Where a sweep's points run: local worker "
                                                  "processes, or a Dask cluster (pip install \"actinit[dask]\").")]
SchedulerOption = Annotated[Optional[str], typer.Option("--scheduler", metavar="ADDRESS", help="With --executor dask: "
                                                        "the scheduler, e.g. tcp://10.0.0.5:8786 (default: "
                                                        "DASK_SCHEDULER_ADDRESS, else a LocalCluster).")]
NoPlots = Annotated[bool, typer.Option("--no-plots", help="Skip the PNG plots.")]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of the table.")]
SpecPath = Annotated[Path, typer.Argument(metavar="SPEC", help="YAML experiment spec (actinit init --list shows "
                                                               "the examples).")]
