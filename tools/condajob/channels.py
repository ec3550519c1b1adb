"""Where the build's dependencies come from: conda-forge when reachable, else the host channel."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from variants import MIGRATIONS, pinning_in_force, write_pinning

from .envs import create_env

CONDA_FORGE_HOST = "conda.anaconda.org"


@dataclass(frozen=True)
class Channels:
    """Channels and the pinning in force for one build run."""

    kind: str  # "host" or "conda-forge"
    urls: list[str]  # where the test environments are solved from
    pinning: Path  # a flat variant file: what `-m` gets
    # `-c` of the build command: none where the pinning names its channel_sources
    build_channels: list[str]


def conda_forge_reachable(timeout: float = 3.0) -> bool:
    """Whether conda-forge's server accepts a connection (one TCP connect, no download)."""
    try:
        with socket.create_connection((CONDA_FORGE_HOST, 443), timeout=timeout):
            return True
    except OSError:
        return False


def host_channels() -> Channels:
    """Build or refresh the offline host channel and use it with its own pinning."""
    from host_channel import ensure_host_channel

    channel = ensure_host_channel(verbose=False)
    urls = [channel.path.as_uri()]
    return Channels("host", urls, channel.pinning, urls)


def conda_forge_channels(cache: Path) -> Channels:
    """conda-forge with the pinning in force: its global pinning and the carried migrations.

    The global pinning comes from the conda-forge-pinning package, installed into
    a cache environment like any package, as conda-smithy fetches it to rerender.
    """
    prefix = cache / "conda-forge-pinning"
    create_env(prefix, ["conda-forge"], ["conda-forge-pinning"], cache / "rattler")
    combined = pinning_in_force(prefix / "conda_build_config.yaml", "linux-64", MIGRATIONS)
    pinning = write_pinning(combined, cache / "pinning.yaml")
    return Channels("conda-forge", ["conda-forge"], pinning, [])


def select_channels(mode: str, cache: Path) -> Channels:
    """Resolve ``auto``/``host``/``conda-forge`` to channels, saying which was chosen."""
    if mode == "auto":
        mode = "conda-forge" if conda_forge_reachable() else "host"
        reason = "reachable" if mode == "conda-forge" else "conda-forge unreachable"
        print(f"channel: {mode} ({reason})")
    if mode == "host":
        return host_channels()
    if mode == "conda-forge":
        return conda_forge_channels(cache)
    raise ValueError(f"--channel must be auto, host or conda-forge, not {mode!r}")
