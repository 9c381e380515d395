"""Every command's --help tells the truth: the files its examples name exist, and `actinit --help` lists
the exit codes of errors.py's table (which the README's table is made from)."""

import re

import pytest

from actinit_cli.cli import app
from actinit_cli.errors import EXIT_CODES
from tests.cases import REPO

COMMANDS = [c.name for c in app.registered_commands]


def help_text(cli, *command: str) -> str:
    r = cli(*command, "--help")
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_config_paths_in_help_exist(cli, command):
    paths = re.findall(r"configs/[\w./-]+\.yaml", help_text(cli, command))
    missing = [p for p in paths if not (REPO / p).is_file()]
    assert not missing, f"actinit {command} --help names {missing}"


def test_help_lists_every_exit_code(cli):
    text = " ".join(help_text(cli).split())
    listed = re.search(r"Exit codes: (.*?)\.", text).group(1)
    assert [int(c) for c in re.findall(r"(?:^|, )(\d+) ", listed)] == [e.code for e in EXIT_CODES]



EXTRA = {"sample": ["--shape", 3, 2], "gain": [], "phase": ["--points", 2]}  # what each command needs besides -p


def test_every_command_with_a_param_option_has_its_example_tested(cli):
    with_param = [c for c in COMMANDS if "--param KEY=VALUE" in help_text(cli, c)]
    assert with_param == list(EXTRA)


@pytest.mark.parametrize("command", EXTRA)
def test_the_param_example_in_help_runs(cli, tmp_path, monkeypatch, command):
    example = re.search(r"e\.g\. (\w+) -p (\S+?)\.(?:\s|$)", " ".join(help_text(cli, command).split()))
    assert example, f"actinit {command} --help has no `NAME -p KEY=VALUE` example"
    monkeypatch.chdir(tmp_path)  # phase writes runs/
    r = cli(command, example.group(1), "-p", example.group(2), *EXTRA[command])
    assert r.exit_code == 0, r.output
