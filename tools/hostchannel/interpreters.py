"""python and python_abi shims around the pyenv interpreters.

The python shim is a venv in package form: the interpreter binary plus a
``pyvenv.cfg`` whose ``home`` is the pyenv installation, so the standard library
and headers come from pyenv while ``site-packages`` is the conda environment's
own ``lib/pythonX.Y/site-packages``. Build strings end like conda-forge's
(``*_cpython``, ``*_cp313``) because the variant matrix selects python by them.
"""

from __future__ import annotations

from .pythons import Interpreter
from .spec import BUILD_PREFIX, Content, Shim, Symlink


def _build_tail(interpreter: Interpreter) -> str:
    # "3.13.* *_cp313" -> "_cp313": the build-string glob the matrix selects with.
    glob = interpreter.python_spec.split()[-1]
    if not glob.startswith("*_"):
        raise ValueError(f"matrix entry {interpreter.python_spec!r} has no '*_<tag>' build glob")
    return glob[1:]


def python_abi_spec(interpreter: Interpreter) -> str:
    """Return the spec python's run_export adds: ``python_abi 3.12.* *_cp312``."""
    return f"python_abi {interpreter.python}.* *_{interpreter.cp_tag}"


def python_shims(interpreter: Interpreter) -> list[Shim]:
    """Python X.Y.Z (venv-style) and python_abi X.Y for one interpreter.

    A free-threaded interpreter's python (``*_cp313t``) installs into
    ``lib/python3.13t/site-packages``, is only taken when asked for, and comes
    with python-feedstock's ``python-freethreading`` marker package.
    """
    short = interpreter.label
    abi = Shim(
        name="python_abi",
        version=interpreter.python,
        build=f"{BUILD_PREFIX}{interpreter.cp_tag}",
        summary=f"Marks the CPython {short} ABI ({interpreter.cp_tag}), like conda-forge's",
        license="BSD-3-Clause",
        homepage="https://github.com/conda-forge/python_abi-feedstock",
        script=("true",),
    )
    origin = "Free-threaded CPython" if interpreter.freethreading else "pyenv's CPython"
    python = Shim(
        name="python",
        version=interpreter.version,
        build=BUILD_PREFIX + _build_tail(interpreter).lstrip("_"),
        summary=f"{origin} {interpreter.version} ({interpreter.home.parent}), venv-style",
        license="Python-2.0",
        homepage="https://www.python.org",
        files={
            f"bin/python{short}": interpreter.executable,
            "bin/python3": Symlink(f"python{short}"),
            "bin/python": Symlink(f"python{short}"),
            # Entry points of noarch packages call bin/pythonX.Y, in a free-threaded
            # env too (CPython's own install has bin/python3.13 beside python3.13t).
            **(
                {f"bin/python{interpreter.python}": Symlink(f"python{short}")}
                if interpreter.freethreading
                else {}
            ),
            "pyvenv.cfg": Content(
                f"home = {interpreter.home}\ninclude-system-site-packages = false\n"
                f"version = {interpreter.version}\n"
            ),
        },
        depends=(python_abi_spec(interpreter),),
        run_exports={"weak": (python_abi_spec(interpreter),)},
        site_packages_path=(
            f"lib/python{short}/site-packages" if interpreter.freethreading else None
        ),
        down_prioritize=interpreter.freethreading,
    )
    if not interpreter.freethreading:
        return [abi, python]
    marker = Shim(
        name="python-freethreading",
        version=interpreter.version,
        build=f"{BUILD_PREFIX}{interpreter.cp_tag}",
        summary="Selects the free-threaded CPython (no GIL), like python-feedstock's",
        license="Python-2.0",
        homepage="https://github.com/conda-forge/python-feedstock",
        noarch="generic",
        script=("true",),
        depends=(
            f"python =={interpreter.version} *_{interpreter.cp_tag}",
            f"python_abi * *_{interpreter.cp_tag}",
        ),
    )
    return [abi, python, marker]
