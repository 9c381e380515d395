"""User code named by a spec: 'package.module:function' (imported with the spec's folder first on sys.path) or
'path/to/file.py:function' (relative to the spec's folder). Every failure is one ActinitError naming the field."""

from __future__ import annotations

import contextlib
import hashlib
import importlib
import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType
from typing import Any, Callable

from actinit_cli.errors import ActinitError
from actinit_cli.nn.registry import did_you_mean


_PACKAGE = Path(__file__).resolve().parents[1]  # actinit_cli/


def first_line(exc: BaseException) -> str:
    """'TypeError: the message' on one line (an error inside user code, for a one-line message)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


@contextlib.contextmanager
def user_code(where: str, what: str, message: Callable[[str], str], hooked: bool = False):
    """Run user code (a factory, its import, a data function, a model's forward or backward): anything it raises
    becomes one ActinitError, message(first_line(exc)), and sys.exit() in it one naming `where` (SystemExit is no
    Exception, and would otherwise end actinit silently with the user's exit code). An ActinitError passes through.
    `hooked`: actinit's hooks and loss run inside it, so an exception that passed through actinit's own code
    there is a bug (exit 70), as a MemoryError is the machine's: both pass through too."""
    try:
        yield
    except SystemExit as exc:
        raise ActinitError(f"{where}: {what} called sys.exit({exc.code!r}); raise an exception instead") from None
    except ActinitError:
        raise
    except Exception as exc:
        if hooked and (isinstance(exc, MemoryError) or _through_actinit(exc)):
            raise
        raise ActinitError(message(first_line(exc))) from None


def _through_actinit(exc: BaseException) -> bool:
    """Whether the exception passed through actinit's own code below the `with user_code(...)` block (its first
    two traceback entries are user_code's frame and the block's)."""
    tb = exc.__traceback__
    for _ in range(2):
        tb = tb.tb_next if tb is not None else None
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE):
            return True
        tb = tb.tb_next
    return False


def _module(name: str, folder: Path, where: str) -> ModuleType:
    if name.endswith(".py"):
        path = (folder / name).resolve()
        if not path.is_file():
            raise ActinitError(f"{where}: file {str(path)!r} not found (a .py path is relative to the spec's folder)")
        key = f"actinit_user_{path.stem}_{hashlib.sha256(str(path).encode()).hexdigest()[:8]}"
        if key in sys.modules:
            return sys.modules[key]
        spec = importlib.util.spec_from_file_location(key, path)
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module  # dataclasses and pickling look modules up by name
        try:
            spec.loader.exec_module(module)
        except BaseException:
            del sys.modules[key]
            raise
        return module
    sys.path.insert(0, str(folder))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


def load(ref: str, folder: str | Path, where: str) -> Callable:
    """The callable `ref` names; `where` labels the field in errors ('spec.yaml:4: model.torch.factory')."""
    name, _, attr = ref.rpartition(":")
    with user_code(where, f"importing {name!r}",  # ImportError, SyntaxError, anything its import raises
                   lambda e: f"{where}: cannot import {name!r} from {folder} or sys.path ({e})"):
        module = _module(name, Path(folder), where)
    fn = getattr(module, attr, None)
    if fn is None:
        names = [n for n in vars(module) if not n.startswith("_")]
        raise ActinitError(f"{where}: {name!r} has no attribute {attr!r}{did_you_mean(attr, names)}")
    if not callable(fn):
        raise ActinitError(f"{where}: {ref} is not callable")
    return fn


def call(fn: Callable, kwargs: dict, where: str, where_kwargs: str) -> Any:
    """fn(**kwargs); arguments it does not take name `where_kwargs`, anything it raises names `where`."""
    try:
        signature = inspect.signature(fn)
        signature.bind(**kwargs)
    except TypeError as exc:
        taken = [n for n, p in signature.parameters.items() if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]
        hint = next((did_you_mean(k, taken) for k in kwargs if k not in signature.parameters), "")
        raise ActinitError(f"{where_kwargs}: {getattr(fn, '__name__', 'the factory')}() {exc}{hint}") from None
    except ValueError:  # no signature to check (a builtin): let the call say it
        pass
    shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
    with user_code(where, "the factory", lambda e: f"{where}: {getattr(fn, '__name__', 'the factory')}({shown}) "
                                                   f"raised {e}"):
        return fn(**kwargs)
