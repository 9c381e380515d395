"""YAML oddities and file kinds given as the spec of run, check and sweep: syntax errors, tags (none may build
an object or run anything), duplicate keys at every level, deep nesting, encodings, empty documents, and
paths that are not a regular readable file. (Cases that can hang or eat memory are in test_limits.py.)"""

from __future__ import annotations

import os
import socket

import pytest

from tests.hostile.commands import SPEC_COMMANDS
from tests.hostile.harness import Box, ids, refused

SMALL_TEXT = "name: h\nmodel:\n  depth: 2\n  width: 4\n  activation: relu\n  initializer: he_normal\ndata:\n  batch_size: 4\n"
NEEDS = {"run": "", "check": "checks:\n  - {quantity: nonfinite, max: 0}\n", "sweep": "sweep:\n  seed: [0, 1]\n"}


def with_needs(command: str, text: str) -> str:
    """The text plus the section `command` needs, unless the text already has it."""
    section = NEEDS[command].split(":")[0]
    return text if not section or f"{section}:" in text else text + NEEDS[command]


def nested(levels: int, open_: str, close: str) -> str:
    return "model: " + open_ * levels + close * levels + "\n"


TEXTS = [
    ("unclosed list", SMALL_TEXT + "seed: [1, 2\n", r"YAML syntax error"),
    ("unclosed quote", SMALL_TEXT + 'loss: "mse\n', r"YAML syntax error"),
    ("tab indentation", "model:\n\tdepth: 2\n", r"YAML syntax error"),
    ("bad indentation", "model:\n  depth: 2\n width: 4\n", r"YAML syntax error"),
    ("two documents", SMALL_TEXT + "---\nseed: 1\n", r"YAML syntax error|single document"),
    ("unhashable key", SMALL_TEXT + "? [a, b]\n: 1\n", r"YAML syntax error|unhashable"),
    ("undefined alias", SMALL_TEXT + "seed: *nothing\n", r"YAML syntax error|alias"),
    ("python object tag", SMALL_TEXT + "seed: !!python/object/apply:os.system ['touch pwned']\n", r"spec\.yaml"),
    ("python name tag", SMALL_TEXT + "loss: !!python/name:os.system\n", r"spec\.yaml"),
    ("unknown local tag", SMALL_TEXT + "loss: !mse mse\n", r"spec\.yaml"),
    ("binary tag as a name", SMALL_TEXT.replace("name: h", "name: !!binary aGVsbG8="), r"name"),
    ("set tag as widths", SMALL_TEXT.replace("width: 4", "width: !!set {4, 8}"), r"model\.width"),
    ("timestamp as a seed", SMALL_TEXT + "seed: 2001-12-14\n", r"seed"),
    ("str tag on a depth", SMALL_TEXT.replace("depth: 2", "depth: !!str 2"), r"model\.depth"),
    ("anchor on an unknown key", "depth: &d 2\n" + SMALL_TEXT.replace("depth: 2", "depth: *d"), r"depth.*unknown key"),
    ("alias to a scalar as a mapping", "name: &n h\nmodel: *n\n", r"model"),
    ("duplicate top-level key", SMALL_TEXT + "name: g\n", r"name: duplicate key"),
    ("duplicate nested key", SMALL_TEXT.replace("  width: 4\n", "  width: 4\n  width: 8\n"), r"model\.width: duplicate"),
    ("duplicate input key", SMALL_TEXT + "  input:\n    std: 1\n    std: 2\n", r"data\.input\.std: duplicate"),
    ("duplicate key in a flow mapping", SMALL_TEXT + "loss: mse\nloss: mse\n", r"loss: duplicate"),
    ("duplicate key in a check", SMALL_TEXT + "checks:\n  - {quantity: act_m2, max: 1, max: 2}\n", r"duplicate"),
    ("duplicate sweep path", SMALL_TEXT + "sweep:\n  seed: [0]\n  seed: [1]\n", r"sweep\.seed: duplicate"),
    ("50 nested lists", nested(50, "[", "]"), r"model|nest"),
    ("500 nested lists", nested(500, "[", "]"), r"model|nest"),
    ("500 nested mappings", nested(500, "{a: ", "}"), r"model|nest"),
    ("500 nested block mappings", "".join(f"{'  ' * i}k{i}:\n" for i in range(500)) + "  " * 500 + "v\n",
     r"k0|nest"),
    ("5000 nested lists", nested(5000, "[", "]"), r"model|nest"),
    ("NUL byte", SMALL_TEXT + "loss: m\x00se\n", r"YAML syntax error|special characters"),
    ("control character", SMALL_TEXT + "loss: m\x07se\n", r"YAML syntax error|special characters"),
]

BYTES = [
    ("latin-1 text", SMALL_TEXT.replace("name: h", "name: caf\xe9").encode("latin-1"), r"UTF-8"),
    ("UTF-16 with a BOM", SMALL_TEXT.encode("utf-16"), r"UTF-8"),
    ("binary garbage", bytes(range(256)) * 4, r"UTF-8"),
    ("truncated UTF-8 sequence", SMALL_TEXT.encode() + b"loss: \xe2\x82\n", r"UTF-8"),
]

# Documents that hold nothing: a spec of defaults for `run` (valid), but no checks for `check` and no
# sweep for `sweep`.
EMPTY = [("empty file", ""), ("only whitespace", "  \n\n"), ("only a comment", "# nothing\n"),
         ("only a document marker", "---\n"), ("null", "null\n"), ("tilde", "~\n"), ("end marker", "---\n...\n")]
EMPTY_MATCH = {"check": r"has no checks", "sweep": r"no sweep: section"}


def write_and_run(cli, box: Box, command: str, content) -> object:
    path = box.file("spec.yaml", content)
    box.seal()
    return cli(*SPEC_COMMANDS[command][0](path, box))


@pytest.mark.parametrize("command", SPEC_COMMANDS)
@pytest.mark.parametrize("case, text, match", TEXTS, ids=ids(TEXTS))
def test_yaml_oddities(cli, box, command, case, text, match):
    r = write_and_run(cli, box, command, with_needs(command, text))
    refused(r, box, match)
    assert not (box.root / "pwned").exists()


@pytest.mark.parametrize("command", SPEC_COMMANDS)
@pytest.mark.parametrize("case, data, match", BYTES, ids=ids(BYTES))
def test_not_utf8(cli, box, command, case, data, match):
    refused(write_and_run(cli, box, command, data), box, match)


@pytest.mark.parametrize("command", ["check", "sweep"])
@pytest.mark.parametrize("case, text", EMPTY, ids=ids(EMPTY))
def test_empty_documents(cli, box, command, case, text):
    refused(write_and_run(cli, box, command, text), box, EMPTY_MATCH[command])


def directory(box: Box) -> str:
    (box.root / "adir").mkdir()
    return "adir"


def unix_socket(box: Box) -> str:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(box.root / "sock"))
    sock.close()  # the socket file stays
    return "sock"


def symlink_loop(box: Box) -> str:
    os.symlink("loop", box.root / "loop")
    return "loop"


def dangling_symlink(box: Box) -> str:
    os.symlink("nowhere.yaml", box.root / "link.yaml")
    return "link.yaml"


def missing(box: Box) -> str:
    return "missing.yaml"


def empty_path(box: Box) -> str:
    return ""


# (id, makes the path, what the message says for run/sweep, for check (where a directory is a run directory))
KINDS = [
    ("directory", directory, r"adir", r"adir.*not a complete run directory"),
    ("unix socket", unix_socket, r"sock", r"sock"),
    ("symlink loop", symlink_loop, r"loop", r"loop"),
    ("dangling symlink", dangling_symlink, r"link\.yaml.*not found", r"link\.yaml.*not found"),
    ("missing file", missing, r"missing\.yaml.*not found", r"missing\.yaml.*not found"),
    ("empty path", empty_path, r"spec file|SPEC", r"^error: \.: not a complete run directory|TARGET"),
]


@pytest.mark.parametrize("command", SPEC_COMMANDS)
@pytest.mark.parametrize("case, make, match, check_match", KINDS, ids=ids(KINDS))
def test_not_a_regular_file(cli, box, command, case, make, match, check_match):
    path = make(box)
    box.seal()
    r = cli(*SPEC_COMMANDS[command][0](path, box))
    refused(r, box, check_match if command == "check" else match)
