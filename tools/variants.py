"""Read the variant matrix from ``recipe/conda_build_config.yaml``.

The matrix file is the single source of truth for the Python and NumPy versions
chemlib-kernels is built for. Everything else (the local build job, the
GitHub workflows, pixi environment checks) asks this module instead of keeping
its own list.

The matrix's ``microarch_level`` (x86-64 levels, linux-64 only through a selector)
is not a dimension of these variants: it multiplies the builds of a variant, not
its Python environments or CI jobs, where the solver picks the level. The build job
takes the levels from the recipe as rattler-build renders it for the platform.

Command line::

    python tools/variants.py                 # one variant per line, human readable
    python tools/variants.py --json          # the variants as a JSON list
    python tools/variants.py --github-matrix # {"include": [...]} for a workflow matrix
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parent.parent
MATRIX_FILE = REPO_ROOT / "recipe" / "conda_build_config.yaml"


@dataclass(frozen=True)
class Variant:
    """One entry of the build matrix."""

    python: str  # "3.12"
    python_spec: str  # "3.12.* *_cpython", exactly as in the matrix file
    numpy: str  # the NumPy the variant is built against ("2")

    @property
    def tag(self) -> str:
        """Short name used for pixi environments, CI jobs and log files: ``py312``."""
        return "py" + self.python.replace(".", "")


def _python_version(spec: str) -> str:
    version = spec.split()[0].removesuffix(".*")
    parts = version.split(".")
    if len(parts) != 2 or not all(p.isdigit() for p in parts):
        raise ValueError(
            f"python entry {spec!r} in {MATRIX_FILE} is not of the form 'X.Y.* <build>'"
        )
    return version


def load_matrix(path: Path = MATRIX_FILE) -> dict[str, list]:
    """Return the raw keys of the matrix file (lists of values, plus ``zip_keys``)."""
    with path.open() as handle:
        config = yaml.safe_load(handle)
    if not isinstance(config, dict) or "python" not in config or "numpy" not in config:
        raise ValueError(f"{path} must define the 'python' and 'numpy' lists")
    return config


def load_variants(path: Path = MATRIX_FILE) -> list[Variant]:
    """Expand the matrix into variants: python x numpy (is_python_min rides along with python)."""
    config = load_matrix(path)
    return [
        Variant(python=_python_version(str(py)), python_spec=str(py), numpy=str(np))
        for py, np in itertools.product(config["python"], config["numpy"])
    ]


def main(argv: list[str] | None = None) -> int:
    """Print the variants in the requested format."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--json", action="store_true", help="print the variants as a JSON list")
    group.add_argument(
        "--github-matrix", action="store_true", help="print a GitHub Actions matrix object"
    )
    args = parser.parse_args(argv)
    variants = load_variants()
    rows = [asdict(v) | {"tag": v.tag} for v in variants]
    if args.json:
        print(json.dumps(rows, indent=2))
    elif args.github_matrix:
        print(json.dumps({"include": rows}, separators=(",", ":")))
    else:
        for v in variants:
            print(f"{v.tag}: python {v.python_spec}, numpy {v.numpy}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
