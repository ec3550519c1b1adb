"""The host channel's own pinning: conda-forge's keys, with the values its shims have.

conda-forge's global pinning names compilers and a glibc this machine does not
have (gcc 15, sysroot 2.17) and Pythons it may not have; a build against the host
channel uses this file in its place (``rattler-build build --recipe recipe -m
<channel>/conda_build_config.yaml``; the recipe's own variants.yaml adds the
microarch levels). It is generated from the same facts as the shims, so the two
cannot disagree: the Python list is the interpreters the channel packaged.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .lock import build_numpy_major
from .pythons import Interpreter
from .system import BLAS_API_VERSION, Toolchain

HEADER = """\
# Variant configuration of this host channel, written by tools/host_channel.py from
# the versions of its shims: the pinning in force for builds against the channel,
# in place of conda-forge's global pinning.
"""


def pinning(tc: Toolchain, interpreters: tuple[Interpreter, ...]) -> dict[str, list]:
    """Return the conda-forge pinning keys a compiled recipe reads, with this channel's values.

    Python is zipped with ``is_python_min`` and ``is_freethreading`` as in
    conda-forge's pinning with its free-threaded migration applied; the oldest
    Python the channel holds is the minimum, a free-threaded one (``3.13.*
    *_cp313t``) follows the build with the GIL of the same version.
    """
    pythons = sorted(
        interpreters,
        key=lambda i: (tuple(int(p) for p in i.python.split(".")), i.freethreading),
    )
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
        "numpy": [build_numpy_major()],
        "python": [i.python_spec for i in pythons],
        "is_python_min": [i is pythons[0] for i in pythons],
        "is_freethreading": [i.freethreading for i in pythons],
        "zip_keys": [["python", "is_python_min", "is_freethreading"]],
    }


def write_pinning(path: Path, tc: Toolchain, interpreters: tuple[Interpreter, ...]) -> None:
    """Write the pinning file (``conda_build_config.yaml`` format, no selectors)."""
    path.write_text(HEADER + yaml.safe_dump(pinning(tc, interpreters), sort_keys=False))
