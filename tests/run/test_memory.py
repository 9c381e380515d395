"""The process-wide memory settings of actinit_cli/run/memory.py, each checked in a fresh interpreter
(they change the process they run in): NumPy's huge-page advice goes off unless the user chose, and the
choice reaches the processes a run starts."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

PROBE = """
import json, os
import numpy as np
from actinit_cli.run import memory
kept = memory.keep_freed_memory()
core = getattr(np, "_core", None) or np.core
print(json.dumps({"kept": kept, "env": os.environ.get("NUMPY_MADVISE_HUGEPAGE"),
                  "advice": bool(core.multiarray._get_madvise_hugepage())}))
"""


def probe(env_value: str | None) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "NUMPY_MADVISE_HUGEPAGE"}
    if env_value is not None:
        env["NUMPY_MADVISE_HUGEPAGE"] = env_value
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="huge pages and mallopt are Linux/glibc")
@pytest.mark.parametrize("env_value, advice, env_after", [
    (None, False, "0"),  # nobody chose: advice off, and sweep workers started later inherit "0"
    ("0", False, "0"),  # the user chose off
    ("1", True, "1"),  # the user chose NumPy's default: kept
])
def test_huge_page_advice(env_value, advice, env_after):
    got = probe(env_value)
    assert got["advice"] is advice
    assert got["env"] == env_after
    assert got["kept"] is True  # glibc accepted both mallopt thresholds
