"""Import chemlib and every compiled module of it; say whether the GIL stayed disabled.

Run with a free-threaded interpreter (3.13t): prints ``GIL disabled after import
chemlib`` and exits 0, or names what turned the GIL on and exits 1. Used by
test_free_threading.py and by the main job (tools/condajob/testenvs.py) in the
free-threaded variant's environments.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import warnings


def main() -> int:
    """Import everything, with CPython's "GIL has been enabled" warning as an error."""
    if not hasattr(sys, "_is_gil_enabled") or sys._is_gil_enabled():
        print(f"not a free-threaded interpreter (or GIL forced on): {sys.version}")
        return 1
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        try:
            import chemlib

            for info in pkgutil.iter_modules(chemlib.__path__):
                importlib.import_module(f"chemlib.{info.name}")
        except RuntimeWarning as warning:
            print(f"GIL enabled after import chemlib: {warning}")
            return 1
    if sys._is_gil_enabled():
        print("GIL enabled after import chemlib")
        return 1
    print("GIL disabled after import chemlib")
    return 0


if __name__ == "__main__":
    sys.exit(main())
