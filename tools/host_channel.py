"""Build the host channel: an offline, indexed conda channel of shim packages.

No conda channel is reachable from these machines, so the recipe is built against
shims made from this machine's Debian packages, its pyenv interpreters and locked
PyPI wheels (see ``tools/hostchannel/`` and ../shared/DESIGN.md, section 2). The
channel holds linux-64 and noarch packages whose build strings start with
``external_`` and a ``conda_build_config.yaml`` pinning that matches them.

Command line::

    python tools/host_channel.py                 # build/refresh .cache/host-channel/channel
    python tools/host_channel.py --out DIR       # ... somewhere else
    python tools/host_channel.py --update-lock   # re-resolve the wheels from PyPI first
    python tools/host_channel.py --update-lock 3.13t   # ... only for one python

A second run with unchanged inputs rebuilds nothing; a changed input (a Debian
library, an interpreter, a locked wheel) rebuilds the shims that depend on it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from hostchannel.builder import Outcome, build_channel
from hostchannel.catalog import build_catalog
from hostchannel.freethreaded import freethreaded_label
from hostchannel.lock import project_metadata, read_lock, update_lock
from hostchannel.pinning import write_pinning
from hostchannel.pythons import Interpreter, find_interpreters, installed_pythons

REPO_ROOT = Path(__file__).resolve().parent.parent
CACHE = REPO_ROOT / ".cache" / "host-channel"
DEFAULT_CHANNEL = CACHE / "channel"
PINNING_FILE = "conda_build_config.yaml"


@dataclass(frozen=True)
class HostChannel:
    """A ready host channel."""

    path: Path
    pinning: Path
    interpreters: tuple[Interpreter, ...]
    outcomes: tuple[Outcome, ...]

    @property
    def pythons(self) -> set[str]:
        """Matrix pythons the channel can build and test (``{"3.10", ..., "3.13t"}``)."""
        return {i.label for i in self.interpreters}


def _print_progress(done: int, total: int, outcome: Outcome) -> None:
    shim = outcome.shim
    print(
        f"  [{done:>2}/{total}] {outcome.status:<6} {shim.subdir:<8} {shim.name} {shim.version} "
        f"{shim.build} ({outcome.seconds:.1f}s)",
        flush=True,
    )


def ensure_host_channel(
    channel: Path = DEFAULT_CHANNEL, cache: Path = CACHE, verbose: bool = True
) -> HostChannel:
    """Build or refresh the host channel and return where it is."""
    started = time.monotonic()
    lock = read_lock()
    interpreters, missing = find_interpreters(lock.numpy)
    for python in missing:
        print(f"host channel: skipping python {python} (no pyenv interpreter {python}.x here)")
    print(f"host channel: {channel}", flush=True)
    catalog = build_catalog(lock, interpreters, cache)
    channel.mkdir(parents=True, exist_ok=True)
    work = cache / "work" / hashlib.sha256(str(channel.resolve()).encode()).hexdigest()[:12]
    outcomes = build_channel(
        catalog.shims, channel, work, _print_progress if verbose else lambda *a: None
    )
    write_pinning(channel / PINNING_FILE, catalog.toolchain, catalog.interpreters)
    built = sum(o.status == "built" for o in outcomes)
    print(
        f"host channel ready: {len(outcomes)} packages "
        f"({built} built, {len(outcomes) - built} cached) "
        f"in {time.monotonic() - started:.1f}s; pinning: {channel / PINNING_FILE}",
        flush=True,
    )
    return HostChannel(channel, channel / PINNING_FILE, catalog.interpreters, tuple(outcomes))


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_CHANNEL,
        help=f"channel directory (default: {DEFAULT_CHANNEL.relative_to(REPO_ROOT)})",
    )
    parser.add_argument(
        "--update-lock",
        nargs="*",
        metavar="PYTHON",
        help="re-resolve the locked wheels from PyPI first: for every python, or only for "
        "the ones given (3.13t: the free-threaded one), keeping the others' pins",
    )
    parser.add_argument("--quiet", action="store_true", help="only print the summary")
    args = parser.parse_args(argv)
    if args.update_lock is not None:
        print("resolving wheels from PyPI for each installed python ...", flush=True)
        pythons = args.update_lock or [
            *installed_pythons(project_metadata()["requires-python"]),
            freethreaded_label(),
        ]
        update_lock(find_interpreters(pythons)[0], keep_others=bool(args.update_lock))
    ensure_host_channel(args.out.resolve(), verbose=not args.quiet)
    return 0


if __name__ == "__main__":
    sys.exit(main())
