"""The free-threaded CPython 3.13 of the host channel, built here from Debian's source.

pyenv has no free-threaded interpreter on these machines and no conda channel is
reachable, but Debian's stable suite trixie ships CPython 3.13.5 as the source
package ``python3.13``. Its upstream tarball (the ``orig.tar.xz``) is fetched
with ``apt-get source --download-only`` through a private apt configuration
(``trixie-src.list`` beside this file; the machine's own apt sources are not
touched), checked against the sha256 in ``freethreaded.lock.json``, and built
with ``./configure --disable-gil`` once per machine into
``.cache/host-channel/cpython-<version>t``. Debian's patches are not applied: the
interpreter is upstream CPython, as python-feedstock's is.

    python tools/hostchannel/freethreaded.py     # build (or find) it, print its path
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from hostchannel.pythons import Interpreter
    from hostchannel.spec import sha256_file
else:
    from .pythons import Interpreter
    from .spec import sha256_file

HERE = Path(__file__).resolve().parent
LOCK_FILE = HERE / "freethreaded.lock.json"
SOURCES_LIST = HERE / "trixie-src.list"
CACHE = HERE.parents[1] / ".cache" / "host-channel"
# conda-forge's python builds are optimised (PGO + LTO); that takes ~30 min on
# two cores, so this interpreter is built without, like pyenv's default builds.
CONFIGURE_ARGS = ("--disable-gil", "--with-ensurepip=install")


def read_lock(path: Path = LOCK_FILE) -> dict[str, str]:
    """Return the pinned source: suite, source package, version, tarball name and sha256."""
    return json.loads(path.read_text())


def _apt(cache: Path, *args: str, cwd: Path | None = None) -> None:
    """Run apt-get with a private state that only knows the trixie deb-src line."""
    state = cache / "apt"
    for sub in ("lists/partial", "cache/archives/partial", "sources.list.d"):
        (state / sub).mkdir(parents=True, exist_ok=True)
    options = {
        "Dir::Etc::SourceList": SOURCES_LIST,
        "Dir::Etc::SourceParts": state / "sources.list.d",
        "Dir::State::Lists": state / "lists",
        "Dir::Cache": state / "cache",
        # The downloaded files are root's own cache; apt's sandbox user cannot write there.
        "APT::Sandbox::User": "root" if os.getuid() == 0 else os.environ.get("USER", ""),
    }
    command = ["apt-get", "-q"] + [f"-o{key}={value}" for key, value in options.items()]
    out = subprocess.run([*command, *args], cwd=cwd, capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"apt-get {' '.join(args)} failed:\n{out.stdout}{out.stderr}")


def source_tarball(cache: Path = CACHE, lock: dict[str, str] | None = None) -> Path:
    """Return the pinned upstream tarball, downloading it through apt if the cache lacks it."""
    lock = lock or read_lock()
    tarball = cache / "sources" / lock["orig"]
    if not (tarball.exists() and sha256_file(tarball) == lock["sha256"]):
        print(f"  fetching {lock['orig']} (apt-get source {lock['source_package']})", flush=True)
        download = cache / "sources" / "download"
        shutil.rmtree(download, ignore_errors=True)
        download.mkdir(parents=True)
        _apt(cache, "update")
        _apt(cache, "source", "--download-only", lock["source_package"], cwd=download)
        fetched = download / lock["orig"]
        if not fetched.exists():
            raise RuntimeError(
                f"{lock['suite']}'s {lock['source_package']} no longer has {lock['orig']}: "
                f"found {sorted(p.name for p in download.iterdir())}; update {LOCK_FILE}"
            )
        if (digest := sha256_file(fetched)) != lock["sha256"]:
            raise RuntimeError(f"{fetched} has sha256 {digest}, {LOCK_FILE} pins {lock['sha256']}")
        fetched.replace(tarball)
        shutil.rmtree(download)
    return tarball


def freethreaded_label() -> str:
    """Return how the wheel lock and the matrix name the free-threaded Python: ``3.13t``."""
    return ".".join(read_lock()["version"].split(".")[:2]) + "t"


def interpreter(prefix: Path, version: str) -> Interpreter:
    """Describe the free-threaded interpreter installed under ``prefix``."""
    short = ".".join(version.split(".")[:2])
    return Interpreter(short, version, prefix / "bin", freethreading=True)


def ensure_freethreaded(cache: Path = CACHE) -> Interpreter:
    """Build the free-threaded CPython once (~3-5 min on 2 cores) and return it."""
    lock = read_lock()
    prefix = cache / f"cpython-{lock['version']}t"
    stamp = prefix / ".built-from"
    wanted = json.dumps({"sha256": lock["sha256"], "configure": CONFIGURE_ARGS})
    found = interpreter(prefix, lock["version"])
    cache.mkdir(parents=True, exist_ok=True)
    with (cache / f"cpython-{lock['version']}t.lock").open("w") as guard:
        fcntl.flock(guard, fcntl.LOCK_EX)  # one builder per machine at a time
        if stamp.exists() and stamp.read_text() == wanted and found.executable.exists():
            return found
        tarball = source_tarball(cache, lock)
        started = time.monotonic()
        print(f"  building free-threaded CPython {lock['version']} into {prefix}", flush=True)
        shutil.rmtree(prefix, ignore_errors=True)
        with tempfile.TemporaryDirectory(dir=cache) as scratch:
            with tarfile.open(tarball) as archive:
                archive.extractall(scratch, filter="data")
            source = next(Path(scratch).glob("Python-*"))
            log = cache / f"cpython-{lock['version']}t-build.log"
            jobs = str(os.cpu_count() or 1)
            with log.open("w") as handle:
                for step in (
                    ["./configure", f"--prefix={prefix}", *CONFIGURE_ARGS],
                    ["make", f"-j{jobs}"],
                    ["make", "install"],
                ):
                    handle.write(f"\n$ {' '.join(step)}\n")
                    handle.flush()
                    done = subprocess.run(step, cwd=source, stdout=handle, stderr=subprocess.STDOUT)
                    if done.returncode:
                        raise RuntimeError(f"{' '.join(step)} failed; see {log}")
        check = subprocess.run(
            [str(found.executable), "-c", "import sys; print(sys._is_gil_enabled())"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        if check.stdout.strip() != "False":
            raise RuntimeError(f"{found.executable} runs with the GIL enabled")
        stamp.write_text(wanted)
        print(f"  built in {time.monotonic() - started:.0f}s", flush=True)
        return found


if __name__ == "__main__":
    print(ensure_freethreaded().executable)
