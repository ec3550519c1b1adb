"""Microarchitecture builds: one per level, the right one installed, the flags in the code.

The main job's run (the ``cycle`` fixture of conftest.py) built one python at
x86-64 levels 1 and 3. Shown here: each level is its own package with its own
``_x86_64-microarch-level`` floor; the solver installs the highest level this
CPU runs (its level read from /proc/cpuinfo, not from archspec) and the level-1
build where ``__archspec`` names a baseline x86-64 CPU; ``-march`` reached every
gcc and gfortran command line; only the level-3 extension modules hold AVX2/FMA
instructions, outside the loops the CPU picks at run time.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from rattler import Gateway, Override, VirtualPackage, VirtualPackageOverrides, solve
from rattler.package_streaming import extract

pytestmark = pytest.mark.conda

SOURCES = Path(__file__).resolve().parents[2] / "src" / "chemlib"

# A compile command as `ninja -v` logs it (build.sh asks for that): compiler and source.
COMPILE = re.compile(r"\S*x86_64-conda-linux-gnu-(gfortran|cc) .* -c (\S+)")
# The mnemonic of an `objdump -d` line when it is VEX-encoded (AVX and later: vaddpd,
# vfmadd231pd, ...); nothing gcc emits for the x86-64 baseline starts with "v".
VEX = re.compile(r"^\s*[0-9a-f]+:\s+(v[a-z0-9]+)", re.MULTILINE)
# The label objdump prints before each function's code: `0000000000008c10 <distances_avx2>:`.
FUNCTION = re.compile(r"^[0-9a-f]+ <([^>]+)>:$", re.MULTILINE)
# Loops compiled for AVX2 or AVX-512 with __attribute__((target(...))) and run only
# where __builtin_cpu_supports says so (point_distances.c, frame_sums.c,
# triclinic_distances.c, periodic_wrap.c); gcc may clone them (distances_avx2.constprop.0), never
# inline them into baseline callers.
DISPATCHED = re.compile(r"_avx(2|512)(\.\w+\.\d+)?$")


def _rows(summary: list[dict]) -> dict[int, dict]:
    return {row["microarch_level"]: row for row in summary}


def _build_string(row: dict) -> str:
    # chemlib-kernels-<version>-<build>.conda
    return row["package"].removesuffix(".conda").rsplit("-", 1)[1]


def test_each_level_is_its_own_package_with_its_own_floor(cycle) -> None:
    _, summary, output = cycle
    rows = _rows(summary)
    assert sorted(rows) == [1, 3]
    repodata = json.loads((output / "linux-64" / "repodata.json").read_text())["packages.conda"]
    for level, row in rows.items():
        record = repodata[row["package"]]
        # the higher level wins where both install
        assert record["build_number"] == 100 * level
        # x86_64-microarch-level's strong run_export
        assert f"_x86_64-microarch-level >={level}" in record["depends"]


def test_the_solver_installs_the_highest_level_this_cpu_runs(cycle, cpu_level) -> None:
    _, summary, _ = cycle
    rows = _rows(summary)
    chosen = rows[max(level for level in rows if level <= cpu_level)]
    native = [env for env in chosen["environments"] if not env["archspec"]]
    assert {env["label"] for env in native} == {"numpy-oldest/netlib", "numpy-newest/openblas"}
    for env in native:
        assert env["installed"] == _build_string(chosen), env
        assert env["error"] is None, env


def test_a_baseline_cpu_gets_the_level_1_build(cycle, cpu_level) -> None:
    _, summary, _ = cycle
    if cpu_level < 3:
        pytest.skip("this CPU installs the level-1 build natively: no override needed")
    (env,) = _rows(summary)[1]["environments"]
    assert env["archspec"] == "x86_64"
    assert env["installed"] == _build_string(_rows(summary)[1])
    # the linkage report imported it: it loads, on its netlib BLAS
    assert env["error"] is None, env
    assert env["blas"].endswith("netlib"), env


@pytest.mark.parametrize(
    ("cpu", "level"), [("x86_64", 1), ("x86_64_v2", 1), ("x86_64_v3", 3), ("x86_64_v4", 3)]
)
def test_archspec_decides_the_build(cycle, host_channel, tmp_path, cpu: str, level: int) -> None:
    _, summary, output = cycle
    overrides = VirtualPackageOverrides(archspec=Override.string(cpu))
    records = asyncio.run(
        solve(
            sources=[output.as_uri(), host_channel.path.as_uri()],
            specs=["chemlib-kernels", f"python {summary[0]['python']}.*"],
            gateway=Gateway(cache_dir=tmp_path),
            virtual_packages=VirtualPackage.detect(overrides),
        )
    )
    (chemlib,) = [r for r in records if r.name.normalized == "chemlib-kernels"]
    assert str(chemlib.build) == _build_string(_rows(summary)[level])


def _compile_lines(log: Path) -> list[tuple[str, str, str]]:
    """(compiler, source, last -march) of every compile command ninja logged."""
    lines = []
    for line in log.read_text().splitlines():
        if match := COMPILE.search(line):
            lines.append((match[1], match[2], re.findall(r"-march=(\S+)", line)[-1]))
    return lines


@pytest.mark.parametrize(("level", "march"), [(1, "x86-64"), (3, "x86-64-v3")])
def test_march_reaches_every_compiler_command_line(cycle, level: int, march: str) -> None:
    _, summary, _ = cycle
    commands = _compile_lines(Path(_rows(summary)[level]["log"]))
    kernels = {(compiler, Path(source).suffix) for compiler, source, _ in commands}
    assert {("gfortran", ".f90"), ("cc", ".c")} <= kernels, commands
    assert [c for c in commands if c[2] != march] == []


def _instructions(package: Path, scratch: Path) -> dict[str, str]:
    """objdump -d of every extension module of a package, by module file name."""
    extract(package, scratch)
    command = ["objdump", "-d", "--no-show-raw-insn"]
    return {
        module.name: subprocess.run(
            [*command, str(module)], capture_output=True, text=True, check=True
        ).stdout
        for module in scratch.glob("lib/python*/site-packages/chemlib/_*.so")
    }


def _function_bodies(code: str) -> dict[str, str]:
    """The instructions of an objdump listing, by the function holding them."""
    # split() keeps the captured names: [preamble, name, body, name, body, ...]
    parts = FUNCTION.split(code)[1:]
    return dict(zip(parts[0::2], parts[1::2], strict=True))


def _vex_by_function(code: str) -> dict[str, list[str]]:
    """The VEX-encoded mnemonics of an objdump listing, by the function holding them."""
    return {
        name: ops for name, body in _function_bodies(code).items() if (ops := VEX.findall(body))
    }


def test_vex_by_function_sees_each_function_apart() -> None:
    listing = (
        "0000000000001000 <chemlib_point_distances>:\n"
        "    1000:\tmovsd  (%rdi),%xmm0\n"
        "0000000000001100 <distances_avx2.constprop.0>:\n"
        "    1100:\tvmovupd (%rsi),%ymm0\n"
        "    1104:\tvsqrtpd %ymm0,%ymm0\n"
        "0000000000001200 <distances_baseline>:\n"
        "    1200:\tsqrtpd %xmm0,%xmm0\n"
    )
    assert _vex_by_function(listing) == {"distances_avx2.constprop.0": ["vmovupd", "vsqrtpd"]}
    assert [bool(DISPATCHED.search(name)) for name in _vex_by_function(listing)] == [True]
    assert DISPATCHED.search("triclinic_distances_avx512")
    assert not DISPATCHED.search("distances_baseline")


def test_only_the_level_3_build_has_avx2_and_fma_code(cycle, tmp_path) -> None:
    if shutil.which("objdump") is None:
        pytest.fail("objdump is missing: apt-get install binutils")
    _, summary, output = cycle
    rows = _rows(summary)
    baseline = _instructions(output / "linux-64" / rows[1]["package"], tmp_path / "1")
    v3 = _instructions(output / "linux-64" / rows[3]["package"], tmp_path / "3")
    assert len(baseline) == len(v3) >= 7
    for module, code in baseline.items():
        undispatched = {
            function: ops
            for function, ops in _vex_by_function(code).items()
            if not DISPATCHED.search(function)
        }
        assert undispatched == {}, f"{module}: VEX-encoded (AVX) instructions at level 1"
    # ... except the AVX2 and AVX-512 loops of point_distances.c, frame_sums.c,
    # triclinic_distances.c and periodic_wrap.c, which the baseline build carries for
    # the CPUs that have them (test_simd_dispatch.py and test_precision.py hold them
    # to what the baseline loops give, or to the same precision bound)
    for kernel, loop in (
        ("_distances", "distances_avx2"),
        ("_distances", "distances_avx512"),
        ("_distances", "triclinic_distances_avx2"),
        ("_distances", "triclinic_distances_avx512"),
        ("_periodic", "wrap_positions_avx2"),
        ("_periodic", "wrap_positions_avx512"),
        ("_rmsd", "frame_sums_avx2"),
    ):
        code = next(code for module, code in baseline.items() if module.startswith(kernel))
        assert any(function.startswith(loop) for function in _vex_by_function(code)), kernel
    # ... and the triclinic loops are vectorised with the shifts unrolled under
    # conda-forge's -O2 (a packed minimum per shift at least), 8 lanes on AVX-512
    distances = next(code for module, code in baseline.items() if module.startswith("_distances"))
    slots = re.search(r"#define SHIFT_SLOTS (\d+)", (SOURCES / "triclinic_distances.c").read_text())
    for function, body in _function_bodies(distances).items():
        if function.startswith(("triclinic_distances_avx2", "triclinic_distances_avx512")):
            minima = VEX.findall(body).count("vminpd")
            assert minima >= int(slots[1]), f"{function}: {minima} packed minima, not unrolled"
        if function.startswith("triclinic_distances_avx512"):
            assert "%zmm" in body, function
    # the geometry kernels (angles) are what v3 was measured on: 256-bit vectors and FMA
    geometry = next(code for module, code in v3.items() if module.startswith("_geometry"))
    assert "%ymm" in geometry
    assert any(op.startswith(("vfmadd", "vfnmadd", "vfmsub")) for op in VEX.findall(geometry))
