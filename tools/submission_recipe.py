"""Write the recipe for submission to conda-forge's staged-recipes, from a built sdist.

recipe/ builds the working tree (``source: path: ..``). What conda-forge takes is
the same recipe with the released sdist as its source: a literal ``url`` (with
``${{ version }}`` in it, so the autotick bot can bump it) and the sdist's
``sha256``, nothing conditional around them. This writes it, with the recipe's
variants.yaml and build scripts, in the layout of a staged-recipes pull request
(``recipes/chemlib-kernels/``), then lints it there.

Command line::

    python tools/submission_recipe.py --maintainer HANDLE [--maintainer HANDLE ...]
                                      [--sdist dist/chemlib_kernels-X.tar.gz] [--out DIR]

Without ``--sdist`` it builds one from the committed tree (meson dist) into
dist/. The recipe-maintainers of the submitted recipe must be the GitHub handles
of the people who will maintain the feedstock: conda-forge's linter rejects an
organisation (CF-001), so the repository's own owner is refused here.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import yaml

from recipe_lint import lint
from variants import RECIPE, RECIPE_DIR, REPO_ROOT

DIST = REPO_ROOT / "dist"
PACKAGE = "chemlib-kernels"
# PyPI's source URL, with the PEP 625 file name meson-python writes.
URL = "https://pypi.org/packages/source/c/chemlib-kernels/chemlib_kernels-${{ version }}.tar.gz"
WORKING_TREE_SOURCE = re.compile(r"^# The working tree:.*?\nsource:\n  path: \.\.\n", re.M | re.S)
# What the recipe's tests read from the source (recipe.yaml `files: source:`).
TEST_SOURCES = ("pyproject.toml", "LICENSE", "tests/kernels/conftest.py", "tools/linkage_report.py")


def build_sdist(out: Path) -> Path:
    """Build the sdist of the committed tree into ``out`` with meson-python (meson dist)."""
    out.mkdir(parents=True, exist_ok=True)
    script = (
        "import mesonpy, sys\nprint(mesonpy.build_sdist(sys.argv[1], {'builddir': sys.argv[2]}))\n"
    )
    # meson-python looks for `meson` on PATH: this interpreter's bin first.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    with tempfile.TemporaryDirectory() as build:
        done = subprocess.run(
            [sys.executable, "-c", script, str(out), build],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode:
        raise SystemExit(f"building the sdist failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return out / done.stdout.strip().splitlines()[-1]


def repository_owner() -> str:
    """Return the GitHub owner of this repository, from the recipe's ``about.repository``."""
    about = yaml.safe_load(RECIPE.read_text())["about"]
    return urlparse(about["repository"]).path.strip("/").split("/")[0]


def submission_text(recipe_text: str, sha256: str, maintainers: list[str]) -> str:
    """Return the recipe text with the sdist as its source and the given maintainers."""
    source = f"source:\n  url: {URL}\n  sha256: {sha256}\n"
    text, replaced = WORKING_TREE_SOURCE.subn(source, recipe_text)
    if replaced != 1:
        raise ValueError("recipe.yaml no longer has its working-tree source block")
    head, _, _ = text.partition("extra:\n")
    listed = "".join(f"    - {m}\n" for m in maintainers)
    return f"{head}extra:\n  recipe-maintainers:\n{listed}"


def check_sdist(sdist: Path, version: str) -> None:
    """Refuse an sdist of another version or without what the recipe's tests read."""
    expected = f"chemlib_kernels-{version}.tar.gz"
    if sdist.name != expected:
        raise SystemExit(f"{sdist.name}: expected {expected} (VERSION is {version})")
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    missing = [path for path in TEST_SOURCES if path not in members]
    if missing:
        raise SystemExit(f"{sdist.name} lacks {missing}, which the recipe's tests need")


def write_submission(sdist: Path, maintainers: list[str], out: Path) -> Path:
    """Write recipes/chemlib-kernels/ under ``out`` and return that directory."""
    owner = repository_owner()
    if not maintainers:
        raise SystemExit("give the feedstock's maintainers: --maintainer HANDLE (GitHub users)")
    if owner in maintainers:
        raise SystemExit(
            f"{owner!r} owns the repository, an organisation: conda-forge takes the GitHub "
            "handles of people as recipe-maintainers (lint CF-001)"
        )
    version = yaml.safe_load(RECIPE.read_text())["context"]["version"]
    check_sdist(sdist, version)
    sha256 = hashlib.sha256(sdist.read_bytes()).hexdigest()
    target = out / "recipes" / PACKAGE
    if target.exists():
        shutil.rmtree(target)
    target.mkdir(parents=True)
    (target / "recipe.yaml").write_text(submission_text(RECIPE.read_text(), sha256, maintainers))
    for name in ("variants.yaml", "build.sh", "build.bat"):
        shutil.copy2(RECIPE_DIR / name, target / name)
    return target


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point: write, lint, say where."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdist", type=Path, help="the sdist to submit (default: build one)")
    parser.add_argument(
        "--maintainer", action="append", default=[], help="a GitHub handle (repeat for several)"
    )
    parser.add_argument("--out", type=Path, default=DIST / "staged-recipes")
    args = parser.parse_args(argv)
    sdist = args.sdist or build_sdist(DIST)
    target = write_submission(sdist.resolve(), args.maintainer, args.out.resolve())
    recipe = target / "recipe.yaml"
    findings = lint(recipe.read_text(), target)
    for finding in findings:
        print(f"{recipe}: {finding}")
    print(f"{recipe}: source {sdist.name}, {len(findings)} lint finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
