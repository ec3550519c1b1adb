"""The host channel's own pinning: conda-forge's keys, with the values its shims have.

conda-forge's global pinning names compilers and a glibc this machine does not
have (gcc 15, sysroot 2.17); a build against the host channel uses this file in
its place, together with ``recipe/conda_build_config.yaml`` (the variant matrix).
It is generated from the same facts as the shims, so the two cannot disagree.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .system import BLAS_API_VERSION, Toolchain

HEADER = """\
# Variant configuration of this host channel, written by tools/host_channel.py from
# the versions of its shims. Use it instead of conda-forge's global pinning when
# building against the channel, together with recipe/conda_build_config.yaml.
"""


def pinning(tc: Toolchain) -> dict[str, list[str]]:
    """Return the conda-forge pinning keys a compiled recipe reads, with this channel's values."""
    return {
        "c_compiler": ["gcc"],
        "c_compiler_version": [tc.gcc_major],
        "fortran_compiler": ["gfortran"],
        "fortran_compiler_version": [tc.gcc_major],
        "c_stdlib": ["sysroot"],
        "c_stdlib_version": [tc.glibc],
        # Build against the reference implementation, as conda-forge does, so
        # nothing implementation-specific can leak into the package.
        **{
            name: [f"{BLAS_API_VERSION.rsplit('.', 1)[0]}.* *netlib"]
            for name in ("libblas", "libcblas", "liblapack")
        },
    }


def write_pinning(path: Path, tc: Toolchain) -> None:
    """Write the pinning file (``conda_build_config.yaml`` format)."""
    path.write_text(HEADER + yaml.safe_dump(pinning(tc), sort_keys=False))
