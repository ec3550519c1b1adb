"""Shims that repackage the locked PyPI wheels as conda packages.

Pure wheels become ``noarch: python`` packages, CPython-specific wheels one
linux-64 package per python (built in a host environment with that python, so
python's run_export adds ``python_abi``), and ninja's wheel gives its binary.
Dependencies come from the wheel's own METADATA, converted to conda specs.
"""

from __future__ import annotations

import re
import zipfile
from dataclasses import dataclass
from email.message import Message
from email.parser import Parser
from pathlib import Path

from packaging.licenses import InvalidLicenseExpression, canonicalize_license_expression
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from .lock import Wheel, newest_gil_python
from .pythons import Interpreter
from .spec import BUILD_PREFIX, Shim

# Licence classifiers of the locked wheels that predate PEP 639 (no
# License-Expression). "BSD License" is ambiguous in general; the wheels that use
# it here (numpy, scipy) are BSD-3-Clause.
CLASSIFIER_SPDX = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: BSD License": "BSD-3-Clause",
}
# Wheels that only carry a native tool (as <name>-<version>.data/scripts/<name>):
# the conda package is that binary, as conda-forge's is.
TOOL_WHEELS = {"ninja"}


@dataclass(frozen=True)
class WheelInfo:
    """What a shim needs to know from a wheel's METADATA and entry points."""

    summary: str
    license: str
    homepage: str
    requires: tuple[str, ...]
    requires_python: str | None
    console_scripts: tuple[str, ...]


def read_wheel(path: Path) -> WheelInfo:
    """Parse the dist-info of a wheel."""
    with zipfile.ZipFile(path) as archive:
        names = archive.namelist()
        meta_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        meta: Message = Parser().parsestr(archive.read(meta_name).decode())
        entry_name = meta_name.replace("METADATA", "entry_points.txt")
        scripts = _console_scripts(archive.read(entry_name).decode()) if entry_name in names else ()
    return WheelInfo(
        summary=(meta.get("Summary") or meta["Name"]).strip(),
        license=_spdx(meta, path.name),
        homepage=_homepage(meta),
        requires=tuple(meta.get_all("Requires-Dist") or ()),
        requires_python=meta.get("Requires-Python"),
        console_scripts=scripts,
    )


def _console_scripts(text: str) -> tuple[str, ...]:
    section, scripts = None, []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("["):
            section = line.strip("[]")
        elif section == "console_scripts" and "=" in line:
            name, target = (part.strip() for part in line.split("=", 1))
            scripts.append(f"{name} = {target}")
    return tuple(scripts)


def _spdx(meta: Message, filename: str) -> str:
    if expression := meta.get("License-Expression"):
        return expression.strip()
    # Some wheels (tqdm, mpich) put an SPDX expression in the older License field.
    try:
        return canonicalize_license_expression((meta.get("License") or "").strip())
    except InvalidLicenseExpression:
        pass
    for classifier in meta.get_all("Classifier") or ():
        if classifier in CLASSIFIER_SPDX:
            return CLASSIFIER_SPDX[classifier]
    raise ValueError(
        f"{filename}: no License-Expression and no known licence classifier; extend CLASSIFIER_SPDX"
    )


def _homepage(meta: Message) -> str:
    if meta.get("Home-page"):
        return meta["Home-page"].strip()
    urls = dict(u.split(",", 1) for u in meta.get_all("Project-URL") or ())
    for label, url in urls.items():
        if label.strip().lower() in ("homepage", "home", "source", "repository"):
            return url.strip()
    return f"https://pypi.org/project/{canonicalize_name(meta['Name'])}/"


def conda_spec(requirement: Requirement) -> str:
    """``numpy<2.3,>=1.22.4`` -> ``numpy >=1.22.4,<2.3`` (conda match spec)."""
    parts = []
    for spec in sorted(requirement.specifier, key=lambda s: s.operator):
        if spec.operator == "~=":
            release = spec.version.split(".")
            parts += [f">={spec.version}", "==" + ".".join(release[:-1]) + ".*"]
        elif spec.operator == "===":
            raise ValueError(f"arbitrary equality in {requirement} has no conda equivalent")
        else:
            parts.append(f"{spec.operator}{spec.version}")
    name = canonicalize_name(requirement.name)
    return f"{name} {','.join(parts)}" if parts else name


def conda_depends(info: WheelInfo, pythons: list[str]) -> list[str]:
    """Requires-Dist as conda specs for linux and the given python versions.

    A requirement that applies on any of the pythons is kept unconditionally, as
    conda-forge does for noarch packages (conda has no environment markers).
    """
    environments = []
    for python in pythons:
        env = default_environment()
        env.update(python_version=python, python_full_version=f"{python}.0", sys_platform="linux",
                   platform_system="Linux", os_name="posix", extra="")  # fmt: skip
        environments.append(env)
    specs = []
    for raw in info.requires:
        requirement = Requirement(raw)
        marker = requirement.marker
        if marker is None or any(marker.evaluate(env) for env in environments):
            specs.append(conda_spec(requirement))
    return specs


def numpy_run_exports(wheel: Wheel, path: Path) -> tuple[str, ...]:
    """Return the run_export of a NumPy build, as numpy-feedstock declares it.

    NumPy 2 compiles extensions for an older C-API by default; numpy-feedstock's
    ``default_abi_level`` copies that default from numpyconfig.h, so it is read
    from the wheel's own header here. NumPy 1.x builds pin the minor series.
    """
    if int(wheel.version.split(".")[0]) < 2:
        return (f"numpy >={wheel.version},<2.0a0",)
    with zipfile.ZipFile(path) as archive:
        header = archive.read("numpy/_core/include/numpy/numpyconfig.h").decode()
    defaults = re.findall(r"#define NPY_FEATURE_VERSION NPY_(\d+)_(\d+)_API_VERSION", header)
    if not defaults:
        raise ValueError(f"{wheel.filename}: no default NPY_FEATURE_VERSION in numpyconfig.h")
    major, minor = defaults[-1]
    return (f"numpy >={major}.{minor},<3",)


def pip_install_script(filename: str, pip_dir: Path) -> tuple[str, ...]:
    """Build script lines that pip-install one staged wheel into $PREFIX, nothing else."""
    # pip from the locked pip wheel (unpacked once), ignoring this machine's pip
    # configuration: the shim installs exactly this file, nothing else.
    return (
        f'PIP_CONFIG_FILE=/dev/null PYTHONPATH="{pip_dir}" "$PYTHON" -m pip install '
        f"--no-deps --no-index --no-compile --no-warn-script-location "
        f"--root-user-action=ignore --disable-pip-version-check {filename}",
    )


def wheel_shim(
    wheel: Wheel,
    path: Path,
    interpreters: list[Interpreter],
    python_keys: dict[str, str],
    pip_dir: Path,
    scratch: Path,
) -> Shim:
    """Declare the shim of one locked wheel.

    ``python_keys`` maps a cp tag (``cp312``) to the key of that python's shim;
    pure wheels are built with the newest python.
    """
    info = read_wheel(path)
    name = canonicalize_name(wheel.name)
    common = {
        "name": name,
        "version": wheel.version,
        "summary": f"{info.summary} (PyPI wheel {wheel.filename}, repackaged)",
        "license": info.license,
        "homepage": info.homepage,
    }
    if name in TOOL_WHEELS:
        binary = scratch / name / name
        binary.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(path) as archive:
            binary.write_bytes(archive.read(f"{name}-{wheel.version}.data/scripts/{name}"))
        binary.chmod(0o755)
        return Shim(**common, build=f"{BUILD_PREFIX}0", files={f"bin/{binary.name}": binary})
    tag = wheel.python_tag
    if tag is None:
        newest = newest_gil_python(interpreters)
        return Shim(
            **common,
            build=f"{BUILD_PREFIX}pyh_0",
            noarch="python",
            files={wheel.filename: path},
            script=pip_install_script(wheel.filename, pip_dir),
            host=("python",),
            depends=(
                _python_floor(info),
                *conda_depends(info, [i.python for i in interpreters]),
            ),
            entry_points=info.console_scripts,
            needs=(python_keys[newest.cp_tag],),
        )
    interpreter = next(i for i in interpreters if i.cp_tag == tag)
    python = interpreter.python
    # The build glob tells 3.13 from 3.13t: "python 3.13.* *_cp313t".
    python_spec = f"python {interpreter.python_spec}"
    return Shim(
        **common,
        build=f"{BUILD_PREFIX}py{tag.removeprefix('cp')}_0",
        files={wheel.filename: path},
        script=pip_install_script(wheel.filename, pip_dir),
        host=(python_spec,),
        depends=(python_spec, *conda_depends(info, [python])),
        run_exports={"weak": numpy_run_exports(wheel, path)} if name == "numpy" else {},
        needs=(python_keys[tag],),
    )


def _python_floor(info: WheelInfo) -> str:
    if not info.requires_python:
        return "python"
    return conda_spec(Requirement(f"python{info.requires_python}"))
