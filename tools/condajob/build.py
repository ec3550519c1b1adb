"""Build the recipe for chosen variants with py-rattler-build, one log per variant."""

from __future__ import annotations

import time
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

from rattler_build import Package, ToolConfiguration

from variants import Variant

from .channels import Channels
from .recipe import recipe_environment, render


@dataclass(frozen=True)
class BuildOutcome:
    """The result of building one variant at one microarchitecture level."""

    variant: Variant
    microarch_level: int | None  # None where the platform has no levels
    package: Path | None
    seconds: float  # the build alone
    log: Path
    error: str | None = None
    test_seconds: float | None = None  # the recipe's tests, when run

    @property
    def name(self) -> str:
        """The build's name in logs and tables: ``py312`` or ``py312-microarch3``."""
        return build_name(self.variant, self.microarch_level)


def build_name(variant: Variant, microarch_level: int | None) -> str:
    """``py312`` where the platform has no microarchitecture levels, else ``py312-microarch3``."""
    return variant.tag if microarch_level is None else f"{variant.tag}-microarch{microarch_level}"


def _microarch_level(rendered) -> int | None:
    level = rendered.variant.get("microarch_level")
    return None if level is None else int(level)


class FileLog:
    """rattler-build progress callback writing every message to a log file.

    The default callback is silent; without one, warnings (overlinking, missing
    run exports) would go unseen.
    """

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.handle = path.open("w")

    def close(self) -> None:
        """Close the log file."""
        self.handle.close()

    def write(self, line: str) -> None:
        """Append one line of our own to the log."""
        self.handle.write(line + "\n")
        self.handle.flush()

    def on_log(self, event) -> None:
        """Receive a log message from rattler-build."""
        self.write(f"[{event.level}] {event.message}")

    def on_build_step(self, event) -> None:
        """Receive the start of a build step from rattler-build."""
        self.write(f"== {event.step_name}: {event.message}")


def build_variants(
    variants: list[Variant], channels: Channels, output: Path, logs: Path, recipe_tests: bool
) -> list[BuildOutcome]:
    """Build each variant, at each of its microarchitecture levels, into ``output``.

    A failure is recorded and the next build goes on. With ``recipe_tests`` the
    recipe's own tests then run in a fresh environment, as ``rattler-build build``
    does by default; they are timed apart from the build.
    """
    outcomes = []
    with recipe_environment():
        rendered = render(channels.pinning)
        for variant in variants:
            match = sorted(
                (
                    r
                    for r in rendered
                    if r.variant.get("python") == variant.python_spec
                    and str(r.variant.get("numpy")) == variant.numpy
                ),
                key=lambda r: _microarch_level(r) or 0,
            )
            levels = [_microarch_level(r) for r in match]
            if not match or len(set(levels)) != len(levels):
                raise RuntimeError(
                    f"{variant.tag}: the rendered variants have microarch levels {levels}; "
                    "expected one variant per level"
                )
            for recipe in match:
                name = build_name(variant, _microarch_level(recipe))
                log = logs / f"{name}-build.log"
                print(f"[{name}] building (log: {log})", flush=True)
                with closing(FileLog(log)) as callback:
                    outcome = _build(variant, recipe, channels, output, log, callback)
                    if recipe_tests and outcome.package is not None:
                        outcome = _test(outcome, [output.as_uri(), *channels.urls], callback)
                _announce(outcome)
                outcomes.append(outcome)
    return outcomes


def _build(
    variant, rendered, channels: Channels, output: Path, log: Path, callback
) -> BuildOutcome:
    level = _microarch_level(rendered)
    started = time.monotonic()
    try:
        result = rendered.run_build(
            tool_config=ToolConfiguration(test_strategy="skip"),
            output_dir=output,
            channels=channels.urls,
            progress_callback=callback,
        )
    except Exception as exc:  # rattler-build raises its own hierarchy; the next variant goes on
        callback.write(f"FAILED: {exc}")
        return BuildOutcome(variant, level, None, time.monotonic() - started, log, f"build: {exc}")
    return BuildOutcome(variant, level, result.packages[0], time.monotonic() - started, log)


def _test(outcome: BuildOutcome, channels: list[str], callback) -> BuildOutcome:
    started = time.monotonic()
    try:
        results = Package.from_file(outcome.package).run_tests(
            channel=channels, progress_callback=callback
        )
        failed = [r for r in results if not r.success]
        error = f"recipe tests failed: {len(failed)} of {len(results)}" if failed else None
    except Exception as exc:  # a failing test raises; keep the variant's record
        error = f"recipe tests: {exc}"
    if error:
        callback.write(f"FAILED: {error}")
    return replace(outcome, error=error, test_seconds=time.monotonic() - started)


def _announce(outcome: BuildOutcome) -> None:
    tag = outcome.name
    if outcome.error:
        tail = outcome.log.read_text().splitlines()[-25:]
        print(f"[{tag}] FAILED after {outcome.seconds:.0f}s: {outcome.error}", flush=True)
        print("\n".join(f"[{tag}]   {line}" for line in tail), flush=True)
        print(f"[{tag}] full log: {outcome.log}", flush=True)
        return
    size = outcome.package.stat().st_size / 1024
    tested = (
        ""
        if outcome.test_seconds is None
        else f"; recipe tests passed in {outcome.test_seconds:.0f}s"
    )
    print(
        f"[{tag}] built {outcome.package.name} ({size:.0f} KiB) in {outcome.seconds:.0f}s{tested}",
        flush=True,
    )
