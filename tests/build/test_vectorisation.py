"""The hot loops of the Fortran kernels stay vectorised.

A loop marked ``! must vectorise`` in ``src/chemlib`` is one whose speed the
benchmarks depend on, and small source changes can silently turn it scalar
(an assumed-shape dummy that hides a unit stride, a call GCC decides not to
inline, a reduction without ``omp simd``): the results stay right and only the
benchmarks would notice. Each kernel source is compiled here with the flags
meson.build gives every Fortran file, and gfortran's ``-fopt-info-vec`` report
must name every marked loop, at the x86-64 baseline and, on x86-64 machines,
with 256-bit vectors at x86-64-v3 (what the conda package's microarch level 3
holds). ``! must vectorise at x86-64-v3`` requires the second only.
"""

from __future__ import annotations

import platform
import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ROOT / "src" / "chemlib"
MARKER = re.compile(r"! must vectorise( at (?P<level>x86-64-v3))?$")

REPORT = re.compile(
    r"^(?P<file>[^:\s]+\.f90):(?P<line>\d+):\d+: "
    r"optimized: loop vectorized using (?P<bytes>\d+) byte vectors"
)

pytestmark = pytest.mark.skipif(shutil.which("gfortran") is None, reason="needs gfortran")


def project_fortran_flags() -> list[str]:
    """The optimisation flags meson.build adds to every Fortran file (release: -O3)."""
    text = (ROOT / "meson.build").read_text()
    fp_args = re.search(r"^fp_args = \[(.*?)\]", text, re.MULTILINE)
    assert fp_args, "meson.build no longer defines fp_args"
    flags = re.findall(r"'(-[^']+)'", fp_args.group(1))
    flags += re.findall(r"fc\.get_supported_arguments\('(-[^']+)'\)", text)
    assert "-fno-math-errno" in flags, flags
    assert "-fno-semantic-interposition" in flags, flags
    return ["-O3", "-fopenmp", *flags]


def compile_order() -> list[str]:
    """Every Fortran source: the shared modules first, in the order meson.build
    compiles them (each uses only the ones before it), then the kernels."""
    build = (SOURCES / "meson.build").read_text()
    support = re.search(r"static_library\('kernel_support',(.*?)\)", build, re.DOTALL)
    assert support, "src/chemlib/meson.build no longer builds kernel_support"
    modules = re.findall(r"'([\w.]+\.f90)'", support.group(1))
    kernels = sorted(p.name for p in SOURCES.glob("*.f90") if p.name not in modules)
    return modules + kernels


def marked_loops(level: str) -> dict[tuple[str, int], range]:
    """(file, line of the marked do) -> the lines a report on that loop may name.

    gfortran names a loop by its ``do`` line or, for an ``omp simd`` loop, by
    the directive above it or (for some reductions) by the first statement of
    its body. Only the do line counts for other loops: the first statement of
    their body may be an array expression, a loop of its own. ``level`` is
    "baseline" or "x86-64-v3": the loops required to vectorise there.
    """
    loops = {}
    for name in compile_order():
        lines = (SOURCES / name).read_text().splitlines()
        for number, text in enumerate(lines, start=1):
            marker = MARKER.search(text)
            if marker is None or marker["level"] not in (None, level):
                continue
            assert text.lstrip().startswith("do "), f"{name}:{number}: the marker is not on a do"
            first = number
            while first > 1 and lines[first - 2].lstrip().lower().startswith("!$omp"):
                first -= 1
            loops[(name, number)] = range(first, number + (2 if first < number else 1))
    return loops


def vectorised_lines(tmp_path: Path, march: list[str]) -> dict[tuple[str, int], set[int]]:
    """(file, line) -> the vector widths in bytes gfortran reports for loops there."""
    reported: dict[tuple[str, int], set[int]] = {}
    for name in compile_order():
        run = subprocess.run(
            [
                "gfortran",
                *project_fortran_flags(),
                *march,
                "-fopt-info-vec-optimized",
                "-J",
                str(tmp_path),
                "-c",
                str(SOURCES / name),
                "-o",
                str(tmp_path / f"{name}.o"),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert run.returncode == 0, run.stderr
        for line in run.stderr.splitlines():
            match = REPORT.match(line)
            if match:
                key = (Path(match["file"]).name, int(match["line"]))
                reported.setdefault(key, set()).add(int(match["bytes"]))
    return reported


def test_the_marker_is_used():
    loops = marked_loops("baseline")
    files = {name for name, _ in loops}
    assert {"minimum_image.f90", "geometry_blocks.f90", "superposition.f90"} <= files, loops


@pytest.mark.parametrize(
    ("level", "march", "width"),
    [
        # 128-bit vectors: SSE2 at the x86-64 baseline (NEON, VSX elsewhere).
        pytest.param("baseline", [], 16, id="baseline"),
        pytest.param(
            "x86-64-v3",
            ["-march=x86-64-v3"],
            32,
            id="x86-64-v3",
            marks=pytest.mark.skipif(
                platform.machine() not in ("x86_64", "AMD64"), reason="x86-64 only"
            ),
        ),
    ],
)
def test_marked_loops_vectorise(tmp_path, level, march, width):
    reported = vectorised_lines(tmp_path, march)
    scalar = []
    for (name, number), lines in marked_loops(level).items():
        widths = set().union(*(reported.get((name, line), set()) for line in lines))
        if width not in widths:
            scalar.append(f"{name}:{number} (reported widths: {sorted(widths) or 'none'})")
    assert not scalar, "marked loops that gfortran did not vectorise:\n" + "\n".join(scalar)


def function_bodies(assembly: str) -> dict[str, str]:
    """Function name -> its instructions, from gcc -S output."""
    bodies = {}
    for match in re.finditer(r"^(\w+):\n(.*?)^\s+\.size\s+\1,", assembly, re.MULTILINE | re.DOTALL):
        bodies[match[1]] = match[2]
    return bodies


def c_flags(library: str, source: str) -> list[str]:
    """The flags meson.build gives a C source of one of its static libraries."""
    block = re.search(
        rf"static_library\('{library}',(.*?)\n\)", (SOURCES / "meson.build").read_text(), re.DOTALL
    )
    assert block, f"src/chemlib/meson.build no longer builds {library}"
    assert f"'{source}'" in block[1], f"{library} no longer builds {source}"
    c_args = re.findall(r"'(-f[^']+)'", block[1])
    return [f for f in project_fortran_flags() if f != "-fopenmp"] + c_args


def dispatched_assembly(tmp_path: Path, library: str, source: str, march: list[str]) -> str:
    """The assembly of a dispatched C source, compiled with the flags meson.build
    gives its static library, for the given -march."""
    assembly = tmp_path / Path(source).with_suffix(".s")
    subprocess.run(
        [
            "gcc",
            *c_flags(library, source),
            *march,
            "-fPIC",
            "-S",
            str(SOURCES / source),
            "-o",
            str(assembly),
        ],
        check=True,
    )
    return assembly.read_text()


needs_gcc_on_x86_64 = pytest.mark.skipif(
    shutil.which("gcc") is None or platform.machine() not in ("x86_64", "AMD64"),
    reason="needs gcc on x86-64",
)
# Whatever -march the package is built for, every path is there.
MARCHES = pytest.mark.parametrize(
    "march", [[], ["-march=x86-64-v3"]], ids=["baseline", "x86-64-v3"]
)
# meson's release -O3, and conda-forge's CFLAGS, which come after it and win.
OPTIMISATIONS = pytest.mark.parametrize(
    "optimisation", [[], ["-O2", "-ftree-vectorize"]], ids=["meson -O3", "conda-forge -O2"]
)


@needs_gcc_on_x86_64
@MARCHES
def test_no_box_distance_loop_dispatches_to_avx2_and_avx512(tmp_path, march):
    """point_distances.c holds the no-box distance loop three times: SSE2's
    two-lane square root for the baseline, AVX2's four-lane one, and AVX-512's,
    which takes eight roots on the square-root unit and eight on the
    multiply-add units (an estimate, refined with FMA) per step; the CPU picks
    at run time. Nothing else fuses a multiply-add: the squared distances
    would round apart (test_simd_dispatch.py holds the AVX-512 path to the
    baseline's bits)."""
    text = dispatched_assembly(tmp_path, "kernel_support", "point_distances.c", march)
    bodies = function_bodies(text)
    avx512 = "".join(body for label, body in bodies.items() if label.startswith("distances_avx512"))
    # The AVX2 path may be inlined into the dispatcher (-march=x86-64-v3).
    others = "".join(
        body for label, body in bodies.items() if not label.startswith("distances_avx512")
    )
    assert re.search(r"\bvsqrtpd\s+%ymm", others), "no four-lane square root"
    assert re.search(r"\bvsqrtpd\s+%zmm", avx512), "no eight-lane square root"
    assert re.search(r"\bvrsqrt14pd\s+%zmm", avx512), "no root estimate on AVX-512"
    # Each inlined root takes ten fused operations (six Goldschmidt, two Newton,
    # two for the correction); any other would be a fused squared distance.
    fused = len(re.findall(r"\bvfn?m(add|sub)\w*pd\s", avx512))
    assert fused > 0, "no root on the multiply-add units"
    assert fused % 10 == 0, f"{fused} fused multiply-adds in the AVX-512 path"
    assert not re.search(r"\bvf\w*m(add|sub)", others), (
        "a fused multiply-add outside AVX-512's root"
    )
    if not march:
        # The baseline path: SSE2's packed square root, no VEX encoding.
        dispatcher = bodies["chemlib_point_distances"]
        assert re.search(r"\ssqrtpd\s+%xmm", dispatcher), dispatcher


@needs_gcc_on_x86_64
@OPTIMISATIONS
def test_the_avx512_root_and_its_correction_are_correctly_rounded(tmp_path, optimisation):
    """point_distances.c's AVX-512 path takes half its roots on the multiply-add
    units and corrects them to the nearest double (nearest_root). On real input
    the correction seldom has anything to do, so the kernels' bitwise tests
    cannot show it works: nearest_root_check.c gives it both doubles around
    sqrt(x), for a million squares (the edges of the range and the binades, the
    products where its >= decides, squares near midpoints, random), built as
    meson.build builds the file, and compares with the square-root instruction."""
    flags = c_flags("kernel_support", "point_distances.c") + optimisation
    assert "-ffp-contract=off" in flags
    program = tmp_path / "nearest_root_check"
    subprocess.run(
        [
            "gcc",
            *flags,
            f"-I{SOURCES}",
            str(Path(__file__).with_name("nearest_root_check.c")),
            str(SOURCES / "simd_dispatch.c"),
            "-o",
            str(program),
            "-lm",
        ],
        check=True,
    )
    run = subprocess.run([str(program)], capture_output=True, text=True)
    if run.returncode == 77:
        pytest.skip(run.stdout.strip())
    assert run.returncode == 0, run.stdout
    assert run.stdout.strip().endswith(" 0 wrong roots"), run.stdout


@needs_gcc_on_x86_64
@MARCHES
def test_rmsd_frame_pass_dispatches_to_avx2(tmp_path, march):
    """frame_sums.c holds rmsd_trajectory's frame pass for the baseline (two-lane
    sums in SSE2 registers) and for the CPUs with AVX2 and FMA: four-lane sums
    with fused multiply-adds, once for float64 frames and once for float32
    frames, widened four values per instruction as they are loaded; and each
    again for precentred frames, which subtract no centroid. Every AVX2 pass
    asks for the rows ahead of the group it sums (PREFETCH_BYTES)."""
    text = dispatched_assembly(tmp_path, "fused_dispatch", "frame_sums.c", march)
    bodies = function_bodies(text)
    for name, single, centred in (
        ("frame_sums_avx2", False, True),
        ("frame_sums_single_avx2", True, True),
        ("frame_sums_precentred_avx2", False, False),
        ("frame_sums_single_precentred_avx2", True, False),
    ):
        wide = next((body for label, body in bodies.items() if label.startswith(name)), None)
        assert wide is not None, f"no {name} in {sorted(bodies)}"
        assert re.search(r"\bvfmadd\w+pd\s+\S+,\s*%ymm", wide), f"{name}: no 4-lane FMA"
        widens = bool(re.search(r"\bvcvtps2pd\s+\S+,\s*%ymm", wide))
        assert widens == single, f"{name} widens float32: {widens}"
        subtracts = bool(re.search(r"\bvsubpd\s", wide))
        assert subtracts == centred, f"{name} subtracts the centroid: {subtracts}"
        assert re.search(r"\bprefetcht0\s", wide), f"{name}: no prefetch of the rows ahead"
    if not march:
        # The baseline path, wherever gcc put it (it may inline it into the
        # dispatcher): SSE2's packed products and sums, no VEX encoding.
        narrow = "".join(body for name, body in bodies.items() if "avx2" not in name)
        assert re.search(r"\smulpd\s+\S+,\s*%xmm", narrow), narrow
        assert re.search(r"\saddpd\s+\S+,\s*%xmm", narrow), narrow
        assert not re.search(r"\bv[a-z0-9]+\s", narrow), "VEX code in the baseline path"


def shift_slots() -> int:
    """SHIFT_SLOTS of triclinic_distances.c: the shifts its loop tries per pair."""
    c = re.search(r"#define SHIFT_SLOTS (\d+)", (SOURCES / "triclinic_distances.c").read_text())
    assert c, "triclinic_distances.c no longer defines SHIFT_SLOTS"
    return int(c[1])


@needs_gcc_on_x86_64
@MARCHES
@OPTIMISATIONS
def test_triclinic_distance_loop_dispatches_to_avx2_and_avx512(tmp_path, march, optimisation):
    """triclinic_distances.c holds the triclinic distance loop three times:
    SSE2's two lanes for the baseline, AVX2's four with FMA, and AVX-512's
    eight, whose 32 registers hold every shift. Each tries the shifts with
    packed minima, unrolled (a packed minimum per shift at least), and takes
    packed square roots."""
    text = dispatched_assembly(
        tmp_path, "fused_dispatch", "triclinic_distances.c", march + optimisation
    )
    bodies = function_bodies(text)
    for name, register in (
        ("triclinic_distances_avx2", "%ymm"),
        ("triclinic_distances_avx512", "%zmm"),
    ):
        wide = next((body for label, body in bodies.items() if label.startswith(name)), None)
        assert wide is not None, f"no {name} in {sorted(bodies)}"
        minima = re.findall(rf"\bvminpd\s+\S+,\s*{register}", wide)
        assert len(minima) >= shift_slots(), f"{name}: {len(minima)} packed minima, not unrolled"
        assert re.search(rf"\bvsqrtpd\s+{register}", wide), f"{name}: no packed square root"
        assert re.search(rf"\bvfn?madd\w+pd\s+\S+,\s*{register}", wide), f"{name}: no FMA"
    if not march:
        # The baseline path, wherever gcc put it: SSE2's packed minima and
        # square roots, no VEX or EVEX encoding.
        narrow = "".join(body for label, body in bodies.items() if "_avx" not in label)
        minima = re.findall(r"\sminpd\s+\S+,\s*%xmm", narrow)
        assert len(minima) >= shift_slots(), f"{len(minima)} packed minima, not unrolled"
        assert re.search(r"\ssqrtpd\s+%xmm", narrow), narrow
        assert not re.search(r"\bv[a-z0-9]+\s", narrow), "VEX code in the baseline path"


@needs_gcc_on_x86_64
@MARCHES
@OPTIMISATIONS
def test_wrap_loop_dispatches_to_avx2_and_avx512(tmp_path, march, optimisation):
    """periodic_wrap.c holds wrap's loop three times, one atom per lane: SSE2
    for the baseline, AVX2 with FMA, and AVX-512, each with packed products of
    the box matrices."""
    text = dispatched_assembly(tmp_path, "fused_dispatch", "periodic_wrap.c", march + optimisation)
    bodies = function_bodies(text)
    avx512 = "".join(body for label, body in bodies.items() if "_avx512" in label)
    # The AVX2 path may be inlined into the dispatcher (-march=x86-64-v3).
    others = "".join(body for label, body in bodies.items() if "_avx512" not in label)
    for path, register in ((others, "%ymm"), (avx512, "%zmm")):
        packed_fma = rf"\bvfn?m(add|sub)\w+pd\s+\S+,\s*{register}"
        assert re.search(packed_fma, path), f"no packed FMA on {register}"
    if not march:
        narrow = "".join(body for label, body in bodies.items() if "_avx" not in label)
        assert re.search(r"\smulpd\s+\S+,\s*%xmm", narrow), narrow
        assert not re.search(r"\bv[a-z0-9]+\s", narrow), "VEX code in the baseline path"


def test_the_c_and_fortran_triclinic_loops_agree_on_the_shift_slots():
    """minimum_image.f90 pads the useful shifts to SHIFT_SLOTS and hands them
    to triclinic_distances.c, which tries a fixed number: the two must match,
    or the C loop would skip shifts (or read past them). Its unroll pragma
    takes a literal (gcc does not expand macros there): the same number."""
    fortran = re.search(
        r"integer, parameter :: SHIFT_SLOTS = (\d+)", (SOURCES / "minimum_image.f90").read_text()
    )
    assert fortran, "minimum_image.f90 no longer defines SHIFT_SLOTS"
    assert int(fortran[1]) == shift_slots()
    unroll = re.findall(
        r"#pragma GCC unroll (\d+)", (SOURCES / "triclinic_distances.c").read_text()
    )
    assert unroll == [str(shift_slots())]
