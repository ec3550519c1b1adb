"""What this chemlib was built with, and which native libraries it is using now."""

from __future__ import annotations

import ctypes
import ctypes.util
import platform
import re
import sys
from pathlib import Path

import numpy as np

from chemlib import _build_info
from chemlib._extensions import load_extension

# Every compiled module, so that all the libraries they link are loaded
# before anything is inspected.
EXTENSION_MODULES = (
    "_distances",
    "_finite_check",
    "_geometry",
    "_mass_properties",
    "_neighbors",
    "_periodic",
    "_rdf",
    "_rmsd",
)
_NATIVE_LIBRARY = re.compile(r"(blas|lapack|gfortran|quadmath|gomp|iomp|libomp|mkl|blis)", re.I)
# A symbol each role's library must define, and a chemlib module that calls it.
_ROLE_SYMBOLS = (
    ("BLAS", "_mass_properties", "dgemv_"),
    ("LAPACK", "_rmsd", "dsyev_"),
)


class _DlInfo(ctypes.Structure):
    _fields_ = (
        ("dli_fname", ctypes.c_char_p),
        ("dli_fbase", ctypes.c_void_p),
        ("dli_sname", ctypes.c_char_p),
        ("dli_saddr", ctypes.c_void_p),
    )


def resolved_libraries() -> dict[str, str] | None:
    """Name the file that provides chemlib's BLAS and LAPACK symbols in this process.

    The symbol is looked up from chemlib's own extension module, so this is the
    library the dynamic loader bound for chemlib, whatever else (numpy's
    bundled OpenBLAS, say) the process has loaded. Returns None where dladdr
    is unavailable (Windows).
    """
    libc_name = ctypes.util.find_library("c")
    if sys.platform == "win32" or libc_name is None:
        return None
    dladdr = ctypes.CDLL(libc_name).dladdr
    dladdr.argtypes = (ctypes.c_void_p, ctypes.POINTER(_DlInfo))
    found = {}
    for role, module_name, symbol in _ROLE_SYMBOLS:
        module = ctypes.CDLL(load_extension(module_name).__file__)
        try:
            address = ctypes.cast(getattr(module, symbol), ctypes.c_void_p).value
        except AttributeError:
            continue
        info = _DlInfo()
        if dladdr(address, ctypes.byref(info)) and info.dli_fname:
            found[role] = info.dli_fname.decode()
    return found


def loaded_libraries() -> list[dict[str, object]]:
    """Describe the native BLAS/LAPACK/OpenMP libraries in use, as threadpoolctl sees them.

    Returns one dict per library with the keys ``user_api`` ('blas' or
    'openmp'), ``internal_api`` (e.g. 'openblas', 'openmp'), ``version``,
    ``num_threads`` and ``filepath``.
    """
    from threadpoolctl import threadpool_info

    for name in EXTENSION_MODULES:
        load_extension(name)
    keys = ("user_api", "internal_api", "version", "num_threads", "filepath")
    return [{key: info.get(key) for key in keys} for info in threadpool_info()]


def mapped_library_files() -> list[str] | None:
    """List the BLAS/LAPACK/Fortran/OpenMP files mapped into this process, resolved.

    This also names libraries threadpoolctl has no controller for (such as
    the reference netlib BLAS). Linux only: returns None elsewhere.
    """
    maps = Path("/proc/self/maps")
    if not maps.exists():
        return None
    for name in EXTENSION_MODULES:
        load_extension(name)
    files = set()
    for line in maps.read_text().splitlines():
        parts = line.split(maxsplit=5)
        if (
            len(parts) == 6
            and parts[5].startswith("/")
            and _NATIVE_LIBRARY.search(Path(parts[5]).name)
        ):
            files.add(str(Path(parts[5]).resolve()))
    return sorted(files)


def show_config() -> None:
    """Print the chemlib version, how it was built, and the native libraries loaded now.

    A user who swapped BLAS (e.g. ``conda install "libblas=*=*netlib"``) sees
    here which implementation the process actually uses.

    Examples
    --------
    >>> import chemlib
    >>> chemlib.show_config()  # doctest: +SKIP
    chemlib-kernels 0.1.0
    ...

    """
    lines = [
        f"chemlib-kernels {_build_info.VERSION}",
        f"  python: {sys.version.split()[0]} ({platform.python_implementation()}) "
        f"on {platform.system()} {platform.machine()}",
        f"  numpy: {np.__version__} at run time; built with {_build_info.NUMPY_BUILD} "
        f"(C-API target {_build_info.NUMPY_C_API_TARGET})",
        "build:",
        f"  C compiler: {_build_info.C_COMPILER}",
        f"  Fortran compiler: {_build_info.FORTRAN_COMPILER}",
        f"  BLAS (pkg-config): {_build_info.BLAS}",
        f"  LAPACK (pkg-config): {_build_info.LAPACK}",
        f"  OpenMP: {'enabled' if _build_info.OPENMP else 'disabled'}",
        f"  build type: {_build_info.BUILD_TYPE}, host CPU family {_build_info.HOST_CPU}",
        "used by chemlib now (resolved by the dynamic loader):",
    ]
    resolved = resolved_libraries()
    if resolved is None:
        lines.append("  (symbol lookup unavailable on this platform)")
    else:
        for role, path in resolved.items():
            real = str(Path(path).resolve())
            lines.append(f"  {role}: {path}" + (f" -> {real}" if real != path else ""))
    lines.append("loaded at run time (threadpoolctl):")
    libraries = loaded_libraries()
    for lib in libraries:
        lines.append(
            f"  {lib['user_api']}: {lib['internal_api']} {lib['version'] or ''} "
            f"threads={lib['num_threads']} {lib['filepath']}"
        )
    if not libraries:
        lines.append("  (no library threadpoolctl can identify)")
    files = mapped_library_files()
    lines.append("shared library files mapped in this process:")
    if files is None:
        lines.append("  (listing available on Linux only)")
    else:
        lines.extend(f"  {path}" for path in files)
    print("\n".join(lines))
