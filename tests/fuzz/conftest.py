"""The fuzz harness reports its seed, call count and time at the end of the pytest run."""

from __future__ import annotations

import pytest

FUZZ_REPORT = pytest.StashKey[list[str]]()


@pytest.fixture(scope="session")
def fuzz_report(request: pytest.FixtureRequest) -> list[str]:
    """Lines that pytest prints in its terminal summary, captured output or not."""
    return request.config.stash.setdefault(FUZZ_REPORT, [])


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    lines = config.stash.get(FUZZ_REPORT, [])
    if lines:
        terminalreporter.section("fuzz harness")
        for line in lines:
            terminalreporter.write_line(line)
