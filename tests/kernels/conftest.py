"""Fixtures and hypothesis settings for the kernel tests.

These tests import the installed chemlib, never the source tree. Shared inputs
and strategies live in kernel_inputs.py, references in kernel_references.py.
"""

from __future__ import annotations

import os

import numpy as np
import pytest
from hypothesis import HealthCheck, settings

# Compiled kernels are fast but the first call of a module pays for its import;
# deadlines would only measure the machine. CI=1 runs more examples.
settings.register_profile(
    "default", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "ci", deadline=None, max_examples=150, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") else "default")


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261123)
