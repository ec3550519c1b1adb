"""Build the declared shims into an indexed channel, rebuilding only what changed.

Each shim's fingerprint covers its recipe, the contents of its files and the
fingerprints of the shims its build installs (``Shim.needs``); a shim whose
fingerprint and package are unchanged is not rebuilt, so a second run with the
same inputs only hashes files and re-indexes.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import yaml
from rattler.index import index_fs
from rattler_build import Stage0Recipe, ToolConfiguration, VariantConfig

from .spec import Shim, fingerprint, stage

# Fast zstd: shims are rebuilt locally and never published, size matters little.
PACKAGE_FORMAT = "conda:3"


@dataclass(frozen=True)
class Outcome:
    """What happened to one shim."""

    shim: Shim
    status: str  # "built" | "cached"
    seconds: float
    package: Path


class _Log:
    """rattler-build progress callback that keeps the messages for the log file."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def on_log(self, event) -> None:
        self.lines.append(f"[{event.level}] {event.message}")

    def on_build_step(self, event) -> None:
        self.lines.append(f"== {event.step_name}: {event.message}")


@contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Serialise concurrent builders of the same channel (e.g. a test run and a manual run)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def index(channel: Path) -> None:
    """(Re)write the channel's repodata for linux-64 and noarch."""
    for subdir in ("linux-64", "noarch"):
        (channel / subdir).mkdir(parents=True, exist_ok=True)
    asyncio.run(index_fs(channel, force=True, write_shards=False))


def _build(shim: Shim, work: Path, channel: Path) -> Path:
    source = work / "staging" / shim.key
    recipe_dir = work / "recipes" / shim.key
    out = work / "out"
    stage(shim, source)
    recipe_dir.mkdir(parents=True, exist_ok=True)
    (recipe_dir / "recipe.yaml").write_text(yaml.safe_dump(shim.recipe(source), sort_keys=False))
    log = _Log()
    try:
        rendered = Stage0Recipe.from_file(recipe_dir / "recipe.yaml").render(VariantConfig())
        result = rendered[0].run_build(
            tool_config=ToolConfiguration(),
            output_dir=out,
            channels=[channel.as_uri()],
            progress_callback=log,
            package_format=PACKAGE_FORMAT,
        )
    except Exception as error:
        log_file = work / "logs" / f"{shim.key}.log"
        log_file.parent.mkdir(parents=True, exist_ok=True)
        log_file.write_text("\n".join(log.lines) + f"\n{error}\n")
        raise RuntimeError(f"building shim {shim.key} failed: {error} (log: {log_file})") from error
    built = result.packages[0]
    target = channel / shim.subdir / built.name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.move(built, target)
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(source, ignore_errors=True)
    return target


def build_channel(
    shims: tuple[Shim, ...],
    channel: Path,
    work: Path,
    report: Callable[[int, int, Outcome], None],
) -> list[Outcome]:
    """Make ``channel`` hold exactly ``shims``, building the ones that changed.

    Shims without host requirements go first; the channel is re-indexed before
    building one whose host environment is solved from it.
    """
    # The state lives in the channel: it describes exactly the packages there.
    with _exclusive(channel / ".lock"):
        state_file = channel / ".shim-state.json"
        state: dict[str, dict[str, str]] = (
            json.loads(state_file.read_text()) if state_file.exists() else {}
        )
        by_key = {s.key: s for s in shims}
        fingerprints: dict[str, str] = {}
        memo: dict[Path, str] = {}
        for shim in shims:
            _fingerprint(shim, by_key, fingerprints, memo)
        outcomes: list[Outcome] = []
        indexed = (channel / "noarch" / "repodata.json").exists()
        changed = False
        for shim in sorted(shims, key=lambda s: bool(s.host)):
            started = time.monotonic()
            known = state.get(shim.key, {})
            package = channel / known.get("package", "-")
            status = "cached"
            if known.get("fingerprint") != fingerprints[shim.key] or not package.is_file():
                if shim.host and not indexed:
                    index(channel)  # its host environment is solved from the channel
                    indexed = True
                package, status, changed = _build(shim, work, channel), "built", True
                # Only packages without host requirements are installed by other builds.
                indexed = indexed and bool(shim.host)
                state[shim.key] = {
                    "fingerprint": fingerprints[shim.key],
                    "package": str(package.relative_to(channel)),
                }
                _save(state_file, state)
            outcomes.append(Outcome(shim, status, time.monotonic() - started, package))
            report(len(outcomes), len(shims), outcomes[-1])
        if _prune(channel, {o.package for o in outcomes}) or changed or not indexed:
            index(channel)
        _save(state_file, {k: v for k, v in state.items() if k in by_key})
    return outcomes


def _save(state_file: Path, state: dict[str, dict[str, str]]) -> None:
    # Saved after every build, so an interrupted run keeps what it finished.
    state_file.write_text(json.dumps(state, indent=1, sort_keys=True))


def _fingerprint(
    shim: Shim, by_key: dict[str, Shim], done: dict[str, str], memo: dict[Path, str]
) -> str:
    if shim.key not in done:
        needed = {k: _fingerprint(by_key[k], by_key, done, memo) for k in shim.needs}
        done[shim.key] = fingerprint(shim, needed, memo)
    return done[shim.key]


def _prune(channel: Path, keep: set[Path]) -> list[Path]:
    """Remove packages of shims that no longer exist (e.g. a NumPy the lock dropped)."""
    stale = [
        p
        for sub in ("linux-64", "noarch")
        for p in (channel / sub).glob("*.conda")
        if p not in keep
    ]
    for package in stale:
        package.unlink()
    return stale
