"""The closing table of the build job, and the same data as output/summary.json."""

from __future__ import annotations

import json
from pathlib import Path

from .build import BuildOutcome
from .testenvs import ENV_KINDS, EnvOutcome

# The environments with an overridden __archspec share one column: each lower
# microarchitecture level has its own, on the row of that level's build.
OVERRIDE_COLUMN = "archspec override"


def kernel_tests(outcome: EnvOutcome) -> str:
    """Return what an environment ran of the kernel suite.

    The count of passed tests, or "installed" where the environment only proves
    the solver's choice and that the build loads (the recipe's tests ran the
    suite on that package).
    """
    return f"{outcome.passed} passed" if outcome.env.kernel_suite else "installed"


def _cell(outcome: EnvOutcome | None) -> str:
    if outcome is None:
        return "-"
    if outcome.installed is None:  # no environment: the solve or the install failed
        return "FAILED"
    state = kernel_tests(outcome)
    state += f", {outcome.failed} failed" if outcome.failed else ""
    state += ", GIL disabled" if outcome.gil == "GIL disabled after import chemlib" else ""
    where = f"{outcome.env.archspec}, " if outcome.env.archspec else ""
    return f"{where}numpy {outcome.numpy}: {state}{'' if outcome.ok else ' FAILED'}"


def _column(outcome: EnvOutcome) -> str:
    return OVERRIDE_COLUMN if outcome.env.archspec else outcome.env.label


def _recipe_tests(build: BuildOutcome) -> str:
    if build.package is None:
        return "-"
    if build.test_seconds is None:
        return "not run"
    return f"{'FAILED' if build.error else 'passed'} ({build.test_seconds:.0f}s)"


def table(builds: list[BuildOutcome], tests: dict[str, list[EnvOutcome]]) -> str:
    """One row per build: build time, package size, recipe tests, the environments it went into.

    An environment shows on the row of the build the solver had to install there.
    """
    columns = [env.label for env in ENV_KINDS]
    if any(o.env.archspec for outcomes in tests.values() for o in outcomes):
        columns.append(OVERRIDE_COLUMN)
    header = ["build", "time", ".conda", "recipe tests", *columns]
    rows = [header]
    for build in builds:
        by_column = {_column(o): o for o in tests.get(build.name, [])}
        built = build.package is not None
        rows.append(
            [
                build.name,
                f"{build.seconds:.0f}s" if built else "FAILED",
                f"{build.package.stat().st_size / 1024:.0f} KiB" if built else "-",
                _recipe_tests(build),
                *(_cell(by_column.get(column)) for column in columns),
            ]
        )
    return aligned(rows)


def aligned(rows: list[list[str]]) -> str:
    """Columns padded to their widest cell, a rule under the first row (the header)."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def write_summary(
    path: Path, builds: list[BuildOutcome], tests: dict[str, list[EnvOutcome]]
) -> None:
    """Machine-readable summary (tests and tools/readme_numbers.py read it)."""
    summary = []
    for build in builds:
        summary.append(
            {
                "build": build.name,
                "variant": build.variant.tag,
                "python": build.variant.python,
                "microarch_level": build.microarch_level,
                "package": build.package.name if build.package else None,
                "size_bytes": build.package.stat().st_size if build.package else None,
                "build_seconds": round(build.seconds, 1),
                "recipe_test_seconds": build.test_seconds and round(build.test_seconds, 1),
                "error": build.error,
                "log": str(build.log),
                "environments": [
                    {
                        "label": o.env.label,
                        "archspec": o.env.archspec,
                        "installed": o.installed,
                        "numpy": o.numpy,
                        "blas": o.blas,
                        "passed": o.passed,
                        "failed": o.failed,
                        "gil": o.gil,
                        "error": o.error,
                    }
                    for o in tests.get(build.name, [])
                ],
            }
        )
    path.write_text(json.dumps(summary, indent=1) + "\n")
