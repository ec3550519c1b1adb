"""Measure the README's packaging numbers: what solver-provided native libraries save.

1. host-channel bootstrap: building the whole channel into empty directories
   (locked wheels taken from the download cache when present, so the number is
   the build, not the network), then a second, cached run;
2. per variant and microarchitecture level: py-rattler-build time and ``.conda``
   size of chemlib-kernels;
3. the same code as a wheel: ``pip wheel`` against Debian's OpenBLAS, then
   ``auditwheel repair``, which copies OpenBLAS, libgfortran, libquadmath and
   libgomp into it; its size beside the ``.conda`` of the same python.

Command line::

    python tools/readme_numbers.py [--variants py311,py312] [--json FILE]

Prints a Markdown table; ``--json`` also writes the raw numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

from conda_build import choose_variants
from condajob.build import build_command, render_command, run_build_command
from host_channel import CACHE, ensure_host_channel
from variants import REPO_ROOT, variants_of


def _kib(path: Path) -> int:
    return round(path.stat().st_size / 1024)


def bootstrap(scratch: Path) -> dict[str, float]:
    """Time a host-channel build from empty directories, then a cached re-run."""
    cache = scratch / "cache"
    if (CACHE / "wheels").is_dir():
        shutil.copytree(CACHE / "wheels", cache / "wheels", copy_function=os.link)
    started = time.monotonic()
    ensure_host_channel(scratch / "channel", cache, verbose=False)
    cold = time.monotonic() - started
    started = time.monotonic()
    ensure_host_channel(scratch / "channel", cache, verbose=False)
    return {
        "bootstrap_seconds": round(cold, 1),
        "cached_rerun_seconds": round(time.monotonic() - started, 1),
    }


def conda_builds(variants: str | None, scratch: Path) -> list[dict]:
    """Build the chosen variants (no tests) against the host channel; time and size each."""
    channel = ensure_host_channel(verbose=False)
    command = build_command(channel.pinning, [channel.path.as_uri()], scratch / "output")
    command += ["--test", "skip"]
    chosen = choose_variants(variants, variants_of(render_command(command)))
    outcomes = run_build_command(command, scratch / "logs", {v.python_spec for v in chosen})
    failed = [o.name for o in outcomes if o.error]
    if failed:
        raise SystemExit(f"conda build failed for {', '.join(failed)} (logs in {scratch / 'logs'})")
    return [
        {
            "variant": o.name,
            "python": o.variant.python,
            "build_seconds": round(o.seconds, 1),
            "conda_kib": _kib(o.package),
        }
        for o in outcomes
    ]


def _run(command: list[str]) -> None:
    # meson-python looks for `meson` and `ninja` on PATH: this interpreter's bin first.
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if done.returncode:
        raise SystemExit(
            f"{' '.join(command[:4])} ... failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}"
        )


def repaired_wheel(scratch: Path) -> dict:
    """Build a wheel against Debian's OpenBLAS with this python, then repair it with auditwheel."""
    wheels, repaired = scratch / "wheel", scratch / "repaired"
    _run(
        [sys.executable, "-m", "pip", "wheel", str(REPO_ROOT), "--no-deps", "--no-build-isolation",
         "--wheel-dir", str(wheels), f"-Cbuilddir={scratch / 'build'}",
         "-Csetup-args=-Dblas=openblas", "-Csetup-args=-Dlapack=openblas"]
    )  # fmt: skip
    (wheel,) = wheels.glob("*.whl")
    _run([sys.executable, "-m", "auditwheel", "repair", "--wheel-dir", str(repaired), str(wheel)])
    (fixed,) = repaired.glob("*.whl")
    with zipfile.ZipFile(fixed) as archive:
        names = [n for n in archive.namelist() if not n.endswith("/")]
    grafted = sorted(Path(n).name for n in names if ".libs/" in n)
    return {
        "python": f"{sys.version_info.major}.{sys.version_info.minor}",
        "wheel": fixed.name,
        "plain_wheel_kib": _kib(wheel),
        "repaired_wheel_kib": _kib(fixed),
        "grafted_libraries": grafted,
    }


def markdown(numbers: dict) -> str:
    """Format the numbers as README-ready Markdown."""
    lines = [
        f"Host channel from empty directories: {numbers['bootstrap_seconds']:.0f} s "
        f"(cached re-run: {numbers['cached_rerun_seconds']:.1f} s).",
        "",
        "| variant | conda build | .conda | auditwheel-repaired wheel |",
        "|---|---|---|---|",
    ]
    wheel = numbers["wheel"]
    for build in numbers["builds"]:
        same = build["python"] == wheel["python"]
        size = f"{wheel['repaired_wheel_kib']} KiB" if same else ""
        seconds = f"{build['build_seconds']:.0f} s"
        lines.append(f"| {build['variant']} | {seconds} | {build['conda_kib']} KiB | {size} |")
    lines += [
        "",
        f"The repaired wheel ({wheel['wheel']}, {wheel['plain_wheel_kib']} KiB before repair) "
        f"bundles: {', '.join(wheel['grafted_libraries'])}.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", help="comma-separated variant tags (default: all buildable)")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    args = parser.parse_args(argv)
    # Under .cache: same file system as the wheel cache, so wheels are hard-linked.
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="readme-numbers-", dir=CACHE.parent) as tmp:
        scratch = Path(tmp)
        print("measuring the host-channel bootstrap ...", flush=True)
        numbers = bootstrap(scratch / "bootstrap")
        print("building the conda packages ...", flush=True)
        numbers["builds"] = conda_builds(args.variants, scratch / "conda")
        print("building and repairing a wheel ...", flush=True)
        numbers["wheel"] = repaired_wheel(scratch / "wheel")
    if args.json:
        args.json.write_text(json.dumps(numbers, indent=1) + "\n")
    print(markdown(numbers))
    return 0


if __name__ == "__main__":
    sys.exit(main())
