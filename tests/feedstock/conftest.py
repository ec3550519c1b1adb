"""Fixtures of the packaging tests: tools/ importable, ../shared located, the host channel, the job.

The tools under tools/ are scripts, not an installed package; the tests import
their modules the way the scripts do, with tools/ first on sys.path.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
# /proc/cpuinfo flags that x86-64 levels 2, 3 and 4 each add to the one below
# (SSE3 is "pni", LZCNT "abm").
LEVEL_FLAGS = (
    {"cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3"},
    {"avx", "avx2", "bmi1", "bmi2", "f16c", "fma", "abm", "movbe", "xsave"},
    {"avx512f", "avx512bw", "avx512cd", "avx512dq", "avx512vl"},
)
sys.path.insert(0, str(REPO_ROOT / "tools"))


@pytest.fixture(scope="session")
def reference() -> Path:
    """../shared/reference (conda-forge's pinning, conda-smithy's lint messages)."""
    path = SHARED / "reference"
    if not path.is_dir():
        pytest.skip(f"{path} is absent: the reference files live in shared/ beside the repository")
    return path


@pytest.fixture(scope="session")
def cpu_level() -> int:
    """x86-64 level of this CPU, from /proc/cpuinfo: independent of archspec and rattler."""
    flags = set(re.search(r"^flags\s*:(.*)$", Path("/proc/cpuinfo").read_text(), re.M)[1].split())
    level = 1
    for added in LEVEL_FLAGS:
        if not added <= flags:
            break
        level += 1
    return level


@pytest.fixture(scope="session")
def host_channel():
    """The host channel, built (or refreshed from cache) once per test session."""
    from host_channel import ensure_host_channel

    return ensure_host_channel()


@pytest.fixture(scope="session")
def cycle(host_channel, tmp_path_factory) -> tuple[subprocess.CompletedProcess, list[dict], Path]:
    """The main job, run once: every build of the oldest matrix python this machine has.

    Its oldest NumPy is the floor pyproject.toml claims. Returns the finished
    process, output/summary.json and the output channel.
    """
    python = min(
        host_channel.interpreters,
        key=lambda i: (tuple(map(int, i.python.split("."))), i.freethreading),
    ).label
    output = tmp_path_factory.mktemp("output")
    job = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "conda_build.py"), "--channel", "host",
         "--variants", "py" + python.replace(".", ""), "--output", str(output),
         "--pytest-args", "-m 'not slow'"],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    summary = output / "summary.json"
    assert summary.exists(), job.stdout + job.stderr
    return job, json.loads(summary.read_text()), output
