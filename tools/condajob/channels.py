"""Where the build's dependencies come from: conda-forge when reachable, else the host channel."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path

from .envs import create_env

CONDA_FORGE_HOST = "conda.anaconda.org"


@dataclass(frozen=True)
class Channels:
    """Channels and pinning for one build run."""

    kind: str  # "host" or "conda-forge"
    urls: list[str]
    pinning: Path
    pythons: frozenset[str] | None  # pythons available; None: whatever the pinning lists

    def skip_reason(self, python: str) -> str | None:
        """Why a matrix python cannot be built here, or None."""
        if self.pythons is None or python in self.pythons:
            return None
        return (
            f"python {python} is not in the host channel "
            f"(no pyenv interpreter {python}.x on this machine)"
        )


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
    return Channels("host", [channel.path.as_uri()], channel.pinning, frozenset(channel.pythons))


def conda_forge_channels(cache: Path) -> Channels:
    """conda-forge with its global pinning, taken from the conda-forge-pinning package.

    This is what conda-smithy renders feedstocks with; it is installed into a
    cache environment like any package.
    """
    prefix = cache / "conda-forge-pinning"
    create_env(prefix, ["conda-forge"], ["conda-forge-pinning"], cache / "rattler")
    return Channels("conda-forge", ["conda-forge"], prefix / "conda_build_config.yaml", None)


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
