"""What a shim package is: its metadata, its files, and the recipe that packages them.

A shim is a conda package whose payload comes from this machine (Debian packages,
pyenv interpreters) or from a PyPI wheel, in the spirit of conda-forge's
``external_*`` MPI builds. Every shim is declared as data here; ``builder`` turns
the declaration into a v1 recipe and builds it with py-rattler-build.
"""

from __future__ import annotations

import hashlib
import json
import shlex
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

BUILD_PREFIX = "external_"
# A script line standing for "copy the declared files into $PREFIX". Not `cp -a .`:
# rattler-build writes its own files (conda_build.sh, build_env.sh, a log) into the
# work directory beside the staged ones, and every shim would ship them.
COPY_DECLARED = "<copy the declared files>"


@dataclass(frozen=True)
class Content:
    """A file written from text (wrapper scripts, activation scripts, .pc files)."""

    text: str
    executable: bool = False


@dataclass(frozen=True)
class Symlink:
    """A relative symlink inside the package (``lib/libblas.so -> libblas.so.3``)."""

    target: str


FileSource = Path | Content | Symlink


@dataclass(frozen=True)
class Shim:
    """One shim package, declared as data.

    ``files`` maps a path inside the package to its source; by default the build
    script copies exactly these into ``$PREFIX``. ``needs`` names the shims (by
    ``key``) that must already be in the channel when this one is built, because
    its host environment installs them; a change in any of them rebuilds this one.
    """

    name: str
    version: str
    build: str
    summary: str
    license: str
    homepage: str
    files: Mapping[str, FileSource] = field(default_factory=dict)
    noarch: str | None = None
    script: tuple[str, ...] = (COPY_DECLARED,)
    host: tuple[str, ...] = ()
    depends: tuple[str, ...] = ()
    constrains: tuple[str, ...] = ()
    run_exports: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    entry_points: tuple[str, ...] = ()
    needs: tuple[str, ...] = ()
    # System libraries and interpreters must keep their RPATHs: relocating the
    # python binary makes it load Debian's libpython instead of pyenv's, and
    # auditwheel's $ORIGIN RPATHs in numpy/scipy must survive untouched.
    binary_relocation: bool = False
    # An empty mutex metapackage (conda-forge's ``mpi``) keeps its upstream build
    # strings: dependants name them exactly (``mpi 1.0.* mpich``).
    mutex: bool = False
    # A python whose site-packages is not lib/pythonX.Y/site-packages (3.13t:
    # lib/python3.13t/site-packages), recorded as python_site_packages_path
    # (CEP-17) so noarch packages install there, as python-feedstock does.
    site_packages_path: str | None = None
    # Solvers take this package only when asked for it (conda-forge's
    # free-threaded python carries track_features for the same reason).
    down_prioritize: bool = False

    def __post_init__(self) -> None:
        """Reject build strings that could pass for conda-forge builds."""
        if self.mutex:
            if self.files or self.depends or self.host:
                raise ValueError(f"mutex {self.name}: a mutex package holds and needs nothing")
        elif not self.build.startswith(BUILD_PREFIX):
            raise ValueError(
                f"shim {self.name}: build string {self.build!r} must start with {BUILD_PREFIX!r}"
            )

    @property
    def key(self) -> str:
        """Unique id of this shim in the channel: ``name-version-build``."""
        return f"{self.name}-{self.version}-{self.build}"

    @property
    def subdir(self) -> str:
        """Channel subdirectory the package lands in."""
        return "noarch" if self.noarch else "linux-64"

    def _copy_command(self) -> str:
        if not self.files:
            raise ValueError(f"shim {self.name}: nothing declared to copy; give it a script")
        paths = " ".join(shlex.quote(path) for path in sorted(self.files))
        return f'cp -a --parents {paths} "$PREFIX/"'

    def recipe(self, source_dir: Path) -> dict:
        """Return the v1 recipe that packages the staged files in ``source_dir``."""
        build: dict = {
            "number": 0,
            "string": self.build,
            "script": [
                self._copy_command() if line == COPY_DECLARED else line for line in self.script
            ],
            "dynamic_linking": {"binary_relocation": self.binary_relocation},
        }
        if self.noarch:
            build["noarch"] = self.noarch
        if self.site_packages_path:
            build["python"] = {"site_packages_path": self.site_packages_path}
        if self.down_prioritize:
            build["variant"] = {"down_prioritize_variant": 1}
        if self.entry_points:
            build["python"] = {"entry_points": list(self.entry_points)}
        elif self.host and not self.noarch:
            # Python writes .pyc files on first import anyway; compiling numpy's
            # or scipy's thousand modules at build time costs ~30 s per shim.
            build["python"] = {"skip_pyc_compilation": ["**/*.py"]}
        requirements: dict = {}
        for section, specs in (
            ("host", self.host),
            ("run", self.depends),
            ("run_constraints", self.constrains),
        ):
            if specs:
                requirements[section] = list(specs)
        if self.run_exports:
            requirements["run_exports"] = {k: list(v) for k, v in self.run_exports.items()}
        recipe: dict = {
            "package": {"name": self.name, "version": self.version},
            "source": {"path": str(source_dir)},
            "build": build,
        }
        if requirements:
            recipe["requirements"] = requirements
        recipe["about"] = {
            "summary": self.summary,
            "license": self.license,
            "homepage": self.homepage,
        }
        return recipe


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's contents."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _file_digest(path: Path, memo: dict[Path, str]) -> str:
    if path not in memo:
        memo[path] = sha256_file(path)
    return memo[path]


def fingerprint(shim: Shim, needed: Mapping[str, str], memo: dict[Path, str]) -> str:
    """Hash of everything that decides the package: recipe, file contents, needed shims.

    ``needed`` maps the keys in ``shim.needs`` to their own fingerprints, so a
    change propagates to dependants and nowhere else.
    """
    files = {}
    for dest, source in sorted(shim.files.items()):
        if isinstance(source, Path):
            files[dest] = ["file", _file_digest(source, memo), source.stat().st_mode & 0o111 != 0]
        elif isinstance(source, Content):
            files[dest] = ["text", source.text, source.executable]
        else:
            files[dest] = ["link", source.target]
    payload = {
        "recipe": shim.recipe(Path("<staged>")),
        "files": files,
        "needs": {key: needed[key] for key in sorted(shim.needs)},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def stage(shim: Shim, directory: Path) -> None:
    """Materialise ``shim.files`` under ``directory`` (emptied first)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    for dest, source in shim.files.items():
        target = directory / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(source, Path):
            shutil.copy2(source, target)
        elif isinstance(source, Content):
            target.write_text(source.text)
            target.chmod(0o755 if source.executable else 0o644)
        else:
            target.symlink_to(source.target)
