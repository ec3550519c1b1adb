"""The main job's build step: ``rattler-build build --recipe recipe -m PINNING -c CHANNEL ...``.

The job builds with exactly the command line a maintainer types (README,
"Packaging"). No rattler-build binary can be installed on our machines (it is
not on PyPI), so :func:`run_build_command` carries that command line out
in-process with py-rattler-build, the library rattler-build is made of: the
arguments are parsed as rattler-build parses them (only the options the job
uses; anything else is an error, never ignored), the recipe's variants.yaml is
read first and every ``-m`` file after it, the variants are rendered and each one
is built, then tested (``--test native``, rattler-build's default). Doing it
in-process gives one log per build, with rattler-build's warnings in it, where
py-rattler-build's copy of the CLI entry point prints nothing at all.
tests/feedstock/test_build_command.py renders the same command line through
that entry point (``rattler_build.build_recipes``) and requires the same builds.
"""

from __future__ import annotations

import argparse
import time
from contextlib import closing
from dataclasses import dataclass, replace
from pathlib import Path

import yaml
from rattler import Subdir
from rattler_build import Package, ToolConfiguration
from rattler_build.render import RenderedVariant

from variants import REPO_ROOT, Variant, render, variants_of


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


def microarch_level(rendered: RenderedVariant) -> int | None:
    """Return the x86-64 level a rendered variant builds for, None where the platform has none."""
    level = rendered.variant.get("microarch_level")
    return None if level is None else int(level)


def build_command(pinning: Path, channels: list[str], output: Path) -> list[str]:
    """Return the command line of the main job's build step (paths relative to the repository).

    Without ``channels`` rattler-build takes them from the pinning's
    ``channel_sources``, as conda-forge's CI does (giving both is an error).
    """
    command = ["rattler-build", "build", "--recipe", "recipe", "-m", _relative(pinning)]
    for channel in channels:
        command += ["-c", channel]
    return [*command, "--output-dir", _relative(output)]


def _relative(path: Path) -> str:
    path = path.resolve()
    return str(path.relative_to(REPO_ROOT)) if path.is_relative_to(REPO_ROOT) else str(path)


def parse_build_command(argv: list[str]) -> argparse.Namespace:
    """Parse ``rattler-build build ...`` as rattler-build does, for the options the job uses."""
    if argv[:2] != ["rattler-build", "build"]:
        raise ValueError(f"not a `rattler-build build` command line: {argv[:2]}")
    parser = argparse.ArgumentParser(
        prog="rattler-build build", exit_on_error=False, allow_abbrev=False
    )
    parser.add_argument("-r", "--recipe", type=Path, default=Path("."))
    parser.add_argument("-m", "--variant-config", type=Path, action="append", default=[])
    parser.add_argument("-c", "--channel", action="append", default=[])
    parser.add_argument("--output-dir", type=Path, default=Path("output"))
    parser.add_argument("--target-platform")
    parser.add_argument("--test", choices=("skip", "native", "native-and-emulated"))
    args, unknown = parser.parse_known_args(argv[2:])
    if unknown:
        raise ValueError(f"rattler-build build options the job does not carry out: {unknown}")
    recipe = args.recipe if args.recipe.is_absolute() else REPO_ROOT / args.recipe
    if recipe.is_dir():
        recipe = recipe / "recipe.yaml"
    if recipe != REPO_ROOT / "recipe" / "recipe.yaml":
        raise ValueError(f"--recipe {args.recipe}: the job builds recipe/recipe.yaml only")
    args.variant_config = [p if p.is_absolute() else REPO_ROOT / p for p in args.variant_config]
    if not args.output_dir.is_absolute():
        args.output_dir = REPO_ROOT / args.output_dir
    return args


def render_command(argv: list[str]) -> list[RenderedVariant]:
    """Return the builds ``rattler-build build ...`` would make, in its order."""
    args = parse_build_command(argv)
    machine = str(Subdir.current())  # rattler-build builds on this machine, for the target
    return render(args.variant_config, args.target_platform or machine, machine)


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


def run_build_command(
    argv: list[str], logs: Path, pythons: set[str] | None = None
) -> list[BuildOutcome]:
    """Carry out ``rattler-build build ...``, one build (and its tests) at a time.

    ``pythons`` (python specs of the pinning) narrows the builds to some Pythons,
    for a quicker run; the command line is the same. A failure is recorded and
    the next build goes on.
    """
    args = parse_build_command(argv)
    channels = args.channel or channel_sources(args.variant_config)
    outcomes = []
    for rendered in render_command(argv):
        variant = variants_of([rendered])[0]
        if pythons is not None and variant.python_spec not in pythons:
            continue
        name = build_name(variant, microarch_level(rendered))
        log = logs / f"{name}-build.log"
        print(f"[{name}] building (log: {log})", flush=True)
        with closing(FileLog(log)) as callback:
            callback.write("$ " + " ".join(argv))
            outcome = _build(variant, rendered, args.output_dir, channels, log, callback)
            if args.test != "skip" and outcome.package is not None:
                outcome = _test(outcome, [args.output_dir.as_uri(), *channels], callback)
        _announce(outcome)
        outcomes.append(outcome)
    return outcomes


def channel_sources(variant_files: list[Path]) -> list[str]:
    """Return the channels of the last variant file naming ``channel_sources`` (conda-forge's)."""
    for path in reversed(variant_files):
        sources = (yaml.safe_load(path.read_text()) or {}).get("channel_sources")
        if sources:
            return [c.strip() for c in str(sources[0]).split(",")]
    raise ValueError(f"no --channel given and no channel_sources in {variant_files}")


def _build(variant, rendered, output: Path, channels, log: Path, callback) -> BuildOutcome:
    level = microarch_level(rendered)
    started = time.monotonic()
    try:
        result = rendered.run_build(
            tool_config=ToolConfiguration(test_strategy="skip"),
            output_dir=output,
            channels=channels,
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
