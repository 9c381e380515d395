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


def raised_by_actinit(exc: BaseException) -> bool:
    """Whether an exception caught around the model's forward or backward is actinit's (it passed through
    actinit's own code below the catching frame: the hooks run inside forward and backward, the loss is
    actinit's; a bug, exit 70) or the machine's (MemoryError), not the user's model."""
    tb = exc.__traceback__.tb_next if exc.__traceback__ is not None else None  # below the frame that caught it
    while tb is not None:
        if Path(tb.tb_frame.f_code.co_filename).resolve().is_relative_to(_PACKAGE):
            return True
        tb = tb.tb_next
    return isinstance(exc, MemoryError)


def first_line(exc: BaseException) -> str:
    """'TypeError: the message' on one line (an error inside user code, for a one-line message)."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:300]}" if text else type(exc).__name__


@contextlib.contextmanager
def no_exit(where: str, what: str):
    """sys.exit() in user code (a factory, its import, its forward, a data function) as an error naming the field:
    SystemExit is no Exception, and would otherwise end actinit silently with the user's exit code."""
    try:
        yield
    except SystemExit as exc:
        raise ActinitError(f"{where}: {what} called sys.exit({exc.code!r}); raise an exception instead") from None


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
    try:
        with no_exit(where, f"importing {name!r}"):
            module = _module(name, Path(folder), where)
    except ActinitError:
        raise
    except Exception as exc:  # user code: ImportError, SyntaxError, anything its import raises
        raise ActinitError(f"{where}: cannot import {name!r} from {folder} or sys.path ({first_line(exc)})") from None
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
        inspect.signature(fn).bind(**kwargs)
    except TypeError as exc:
        raise ActinitError(f"{where_kwargs}: {getattr(fn, '__name__', 'the factory')}() {exc}") from None
    except ValueError:  # no signature to check (a builtin): let the call say it
        pass
    try:
        with no_exit(where, "the factory"):
            return fn(**kwargs)
    except ActinitError:
        raise
    except Exception as exc:
        shown = ", ".join(f"{k}={v!r}" for k, v in kwargs.items())
        raise ActinitError(f"{where}: {getattr(fn, '__name__', 'the factory')}({shown}) raised "
                           f"{first_line(exc)}") from None
