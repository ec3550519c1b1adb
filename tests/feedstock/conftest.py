"""Fixtures of the packaging tests: tools/ importable, ../shared located, the host channel.

The tools under tools/ are scripts, not an installed package; the tests import
their modules the way the scripts do, with tools/ first on sys.path.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
sys.path.insert(0, str(REPO_ROOT / "tools"))


@pytest.fixture(scope="session")
def reference() -> Path:
    """../shared/reference (conda-forge's pinning, conda-smithy's lint messages)."""
    path = SHARED / "reference"
    if not path.is_dir():
        pytest.skip(f"{path} is absent: the reference files live in shared/ beside the repository")
    return path


@pytest.fixture(scope="session")
def host_channel():
    """The host channel, built (or refreshed from cache) once per test session."""
    from host_channel import ensure_host_channel

    return ensure_host_channel()
