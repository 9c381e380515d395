"""Reading spec YAML safely: a regular file of bounded size, plain data only (yaml.SafeLoader, reading
1e-3 as a number), a bounded document (nesting depth, and the number of values once aliases are
expanded, so an anchor bomb is refused before anything walks it), and the line of every field path.
"""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import yaml

from actinit_cli.errors import ActinitError

MAX_BYTES = 1 << 20  # a spec is a page of YAML; 1 MiB is far beyond any real one
MAX_DEPTH = 32  # the deepest real spec nests 5 levels (checks[i].slope_log2.min)
MAX_VALUES = 100_000  # values after expanding aliases; a 1,000-point sweep of 8 lists needs a few thousand


class Loader(yaml.SafeLoader):
    """yaml.SafeLoader that also reads 1e-3 as a number (YAML 1.1 wants 1.0e-3 and would give a string)."""


Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+|\.[0-9_]+(?:[eE][-+]?"
               r"[0-9]+)?|\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def read_text(path: Path) -> str:
    """The text of a spec file; a missing, non-regular (FIFO, device, directory), huge or non-UTF-8 file is
    an error that says so (a FIFO would otherwise block forever)."""
    where = str(path)
    try:
        info = path.stat()
        if not stat.S_ISREG(info.st_mode):
            kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
            raise ActinitError(f"spec file {where!r} is {kind}; give a YAML file (examples: actinit init --list)")
        if info.st_size > MAX_BYTES:
            raise ActinitError(f"spec file {where!r} is {info.st_size:,} bytes, more than a spec can be "
                               f"({MAX_BYTES:,}); check the path")
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ActinitError(f"spec file {where!r} not found; check the path (examples: actinit init --list)") from None
    except UnicodeDecodeError:
        raise ActinitError(f"spec file {where!r} is not UTF-8 text; save it as UTF-8") from None
    except OSError as exc:
        raise ActinitError(f"cannot read spec file {where!r} ({exc.strerror}); check the path and "
                           f"permissions") from None


def _syntax(exc: yaml.YAMLError, source: str) -> ActinitError:
    mark = getattr(exc, "problem_mark", None)
    at = f":{mark.line + 1}:{mark.column + 1}" if mark else ""
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    return ActinitError(f"{source}{at}: YAML syntax error: {problem}; fix the file's indentation/quoting")


def _measure(node: Any, source: str) -> None:
    """Refuse a document nested deeper than MAX_DEPTH, holding more than MAX_VALUES values once its aliases
    are expanded, or containing itself. Aliases share node objects, so each node's expanded size is
    computed once (post-order, iteratively: a deep document must not exhaust Python's recursion here)."""
    size: dict[int, int | None] = {}  # None: on the current path (seeing it again is a cycle)
    stack = [(node, 1, False)]
    while stack:
        n, depth, done = stack.pop()
        if done:
            size[id(n)] = 1 + sum(size[id(c)] for c in _children(n))
            if size[id(n)] > MAX_VALUES:
                raise ActinitError(f"{source}: the document holds more than {MAX_VALUES:,} values (counting what "
                                   f"YAML aliases repeat); a spec is a page of settings: shorten its lists")
            continue
        if id(n) in size:
            continue
        if depth > MAX_DEPTH:
            raise ActinitError(f"{source}:{n.start_mark.line + 1}: nested more than {MAX_DEPTH} levels deep; a spec "
                               f"is a few levels of mappings and lists")
        size[id(n)] = None
        stack.append((n, depth, True))
        for c in _children(n):
            if id(c) in size and size[id(c)] is None:
                raise ActinitError(f"{source}:{c.start_mark.line + 1}: a YAML alias refers to a value that "
                                   f"contains it; a spec cannot contain itself")
            stack.append((c, depth + 1, False))


def _children(node: Any) -> list:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def compose(text: str, source: str) -> tuple[Any, Any]:
    """(the document's node graph, the plain data it holds), after the size and depth checks."""
    try:
        loader = Loader(text)  # the reader refuses NUL and other control characters right here
    except yaml.YAMLError as exc:
        raise _syntax(exc, source) from None
    try:
        node = loader.get_single_node()
        if node is None:
            return None, None
        _measure(node, source)
        return node, loader.construct_document(node)
    except yaml.YAMLError as exc:
        raise _syntax(exc, source) from None
    except RecursionError:
        raise ActinitError(f"{source}: nested too deeply to read; a spec is a few levels of mappings and "
                           f"lists") from None
    except ValueError as exc:  # PyYAML's int() of more than 4,300 digits (Python's limit), or a bad timestamp
        why = ("an integer of more than 4,300 digits; numbers here are at most about 1.8e308" if "digits" in str(exc)
               else str(exc).splitlines()[0])
        raise ActinitError(f"{source}: unreadable value: {why}") from None
    finally:
        loader.dispose()


def load_yaml(text: str, source: str = "<value>") -> Any:
    """Plain data from YAML text, with the same safety as a spec (used for --param values)."""
    return compose(text, source)[1]


class Lines:
    """YAML line numbers by field path, so errors can point into the file."""

    def __init__(self, node: Any, source: str, folder: Path | None = None):
        self.source, self.lines = source, {}
        self.folder = folder  # where relative paths start when `source` is not a file (a sweep point: its spec's)
        if node is not None:
            self._walk(node, ())

    def _walk(self, node: Any, path: tuple) -> None:
        if isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                self.lines[path + (str(i),)] = item.start_mark.line + 1
                self._walk(item, path + (str(i),))
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                here = path + (str(key.value),)
                if here in self.lines:  # PyYAML would silently keep the last one
                    raise ActinitError(f"{self.source}:{key.start_mark.line + 1}: {'.'.join(here)}: duplicate key "
                                       f"(first on line {self.lines[here]}); keep one")
                self.lines[here] = key.start_mark.line + 1
                self._walk(value, here)

    def where(self, path: str) -> str:
        parts = tuple(path.replace("[", ".").replace("]", "").split(".")) if path else ()
        while parts and parts not in self.lines:
            parts = parts[:-1]
        line = self.lines.get(parts)
        return f"{self.source}:{line}: {path}" if line else f"{self.source}: {path}"
