"""Import of the compiled kernels, with errors that say what to install.

chemlib bundles no native library: BLAS, LAPACK, the Fortran runtime and the
OpenMP runtime come from the environment (the conda solver, or the system).
When one is missing, the loader's message ("libblas.so.3: cannot open shared
object file") is turned into one that names the library and how to get it.
"""

from __future__ import annotations

import importlib
import re
from types import ModuleType

# (pattern of the library file name, what it is, how to install it)
_KNOWN_LIBRARIES = (
    (
        r"(lib)?(c?blas|lapack|openblas|mkl_rt|blis|flexiblas)",
        "a BLAS/LAPACK library",
        "conda install -c conda-forge libblas liblapack  (pick the implementation with "
        "'libblas=*=*openblas', '*mkl' or '*netlib'); Debian/Ubuntu: apt install libopenblas0 "
        "(or libblas3 liblapack3)",
    ),
    (
        r"(lib)?(gfortran|quadmath|flang|FortranRuntime)",
        "the Fortran runtime",
        "conda install -c conda-forge libgfortran; Debian/Ubuntu: apt install libgfortran5",
    ),
    (
        r"(lib)?(gomp|omp|iomp5)",
        "the OpenMP runtime",
        "conda install -c conda-forge libgomp (Linux) or llvm-openmp (macOS); "
        "Debian/Ubuntu: apt install libgomp1",
    ),
)
_LIBRARY_FILE = re.compile(r"([\w.+-]+\.(?:so(?:\.[\d.]+)?|dylib|dll))", re.IGNORECASE)


def _missing_library(module: str, message: str) -> str | None:
    """Pick the missing library's file name out of a loader message.

    Loader messages also name the module being loaded (macOS: "dlopen(.../_rmsd...so):
    Library not loaded: @rpath/libgfortran.5.dylib"), so that one is skipped.
    """
    own_name = module.rsplit(".", 1)[-1]
    candidates = [c for c in _LIBRARY_FILE.findall(message) if own_name not in c]
    for pattern, _, _ in _KNOWN_LIBRARIES:
        for candidate in candidates:
            if re.match(pattern, candidate, re.IGNORECASE):
                return candidate
    return next((c for c in candidates if c.lower().startswith("lib")), None)


def explain_import_error(module: str, message: str) -> str:
    """Turn a loader error for `module` into a message naming the missing library."""
    library = _missing_library(module, message)
    if library is None:
        return (
            f"chemlib could not load its compiled module {module}: {message}. A native library "
            "it links (BLAS/LAPACK, the Fortran runtime or OpenMP) may be missing: reinstall "
            "with 'conda install -c conda-forge chemlib-kernels' so the solver provides them."
        )
    for pattern, what, remedy in _KNOWN_LIBRARIES:
        if re.match(pattern, library, re.IGNORECASE):
            return (
                f"chemlib could not load its compiled module {module}: the shared library "
                f"{library} ({what}) was not found. Install it: {remedy}."
            )
    return (
        f"chemlib could not load its compiled module {module}: the shared library {library} "
        "was not found. Reinstall with 'conda install -c conda-forge chemlib-kernels' so the "
        "solver provides it."
    )


def load_extension(name: str) -> ModuleType:
    """Import chemlib's compiled module `name` (e.g. '_distances')."""
    qualified = f"chemlib.{name}"
    try:
        return importlib.import_module(qualified)
    except ImportError as error:
        if error.name == qualified and "No module named" in str(error):
            raise  # not built at all: the plain error is the clearest
        raise ImportError(explain_import_error(qualified, str(error)), name=qualified) from error
