"""pytest plugin for MDAnalysis' own distance tests run against chemlib.

Loaded with ``-p mdanalysis_plugin`` by tools/mdanalysis_compat.py in the
compatibility venv (MDAnalysis is never installed in .venv). Before the test
module is imported it replaces MDAnalysis.lib.distances' functions by the
adapters of mdanalysis_adapter.py; at collection it deselects or marks as
strict xfail the tests listed in differences.py, and fails if an entry there
matches no test (a list that no longer describes the suite). At the end it
writes the counts and the lists to the JSON file named by
``--compat-report``.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from pathlib import Path

import MDAnalysis
import MDAnalysis.lib.distances as distances
import MDAnalysisTests
import pytest
from differences import DESELECTED, XFAILED
from mdanalysis_adapter import ADAPTERS

import chemlib

_RESULTS = pytest.StashKey[dict]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--compat-report", help="write the counts and lists here (JSON)")


def _counted(adapter, calls: dict[str, int]):
    """The adapter, counting its calls (the report shows each one ran)."""

    @functools.wraps(adapter)
    def call(*args, **kwargs):
        calls[adapter.__name__] += 1
        return adapter(*args, **kwargs)

    return call


def pytest_configure(config: pytest.Config) -> None:
    calls = dict.fromkeys(ADAPTERS, 0)
    for name, adapter in ADAPTERS.items():
        if not callable(getattr(distances, name, None)):
            raise pytest.UsageError(f"MDAnalysis.lib.distances has no function {name}")
        setattr(distances, name, _counted(adapter, calls))
    config.stash[_RESULTS] = {
        "mdanalysis": MDAnalysis.__version__,
        "mdanalysistests": MDAnalysisTests.__version__,
        "chemlib": chemlib.__version__,
        "chemlib_path": chemlib.__path__[0],
        "calls": calls,
        "deselected": [],
        "xfailed": [],
        "outcomes": {},
    }


def _test_name(item: pytest.Item) -> str:
    """The node id inside the test module: Class::test[parameters]."""
    return item.nodeid.partition("::")[2]


def _match(name: str, table: dict[str, tuple[str, str]]) -> tuple[str, str, str] | None:
    """The entry whose pattern matches the test's id without parameters, if any."""
    test = name.partition("[")[0]
    for pattern, (category, reason) in table.items():
        if fnmatch.fnmatchcase(test, pattern):
            return pattern, category, reason
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    results = config.stash[_RESULTS]
    used: set[str] = set()
    keep: list[pytest.Item] = []
    deselected: list[pytest.Item] = []
    for item in items:
        name = _test_name(item)
        found = _match(name, DESELECTED)
        if found:
            used.add(found[0])
            deselected.append(item)
            results["deselected"].append({"test": name, "category": found[1], "reason": found[2]})
            continue
        found = _match(name, XFAILED)
        if found:
            used.add(found[0])
            item.add_marker(pytest.mark.xfail(reason=f"{found[1]}: {found[2]}", strict=True))
            results["xfailed"].append({"test": name, "category": found[1], "reason": found[2]})
        keep.append(item)
    unused = sorted((set(DESELECTED) | set(XFAILED)) - used)
    if unused:
        raise pytest.UsageError(f"differences.py entries that match no test: {unused}")
    results["collected"] = len(items)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = keep


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    results = session.config.stash[_RESULTS]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    results["outcomes"] = {
        outcome: len(reports)
        for outcome, reports in reporter.stats.items()
        if outcome in ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
    }
    results["outcomes"]["deselected"] = len(results["deselected"])
    results["exitstatus"] = int(exitstatus)
    report = session.config.getoption("--compat-report")
    if report:
        Path(report).write_text(json.dumps(results, indent=1))
