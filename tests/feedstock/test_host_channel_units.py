"""Pieces of the host channel: shim rules, wheel metadata to conda specs, the lock, the cache.

Fast tests; the full channel is checked in test_host_channel_shape.py.
"""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

from hostchannel.builder import build_channel
from hostchannel.lock import project_metadata, project_requirements, read_lock
from hostchannel.microarch import microarch_shims
from hostchannel.pythons import conda_forge_python_spec, find_interpreters, installed_pythons
from hostchannel.spec import Content, Shim
from hostchannel.wheels import WheelInfo, conda_depends, conda_spec, numpy_run_exports


def test_build_strings_must_say_external() -> None:
    with pytest.raises(ValueError, match="external_"):
        Shim("numpy", "2.0.0", "py312h1234567_0", "s", "BSD-3-Clause", "https://numpy.org")


@pytest.mark.parametrize(
    ("requirement", "spec"),
    [
        ("numpy<2.3,>=1.22.4", "numpy <2.3,>=1.22.4"),
        ("Pygments>=2.15", "pygments >=2.15"),
        ("typing_extensions~=4.1", "typing-extensions >=4.1,==4.*"),
        ("iniconfig", "iniconfig"),
    ],
)
def test_pep440_requirements_become_conda_specs(requirement: str, spec: str) -> None:
    assert conda_spec(Requirement(requirement)) == spec


def test_markers_are_evaluated_for_linux_and_the_given_pythons() -> None:
    info = WheelInfo(
        summary="s",
        license="MIT",
        homepage="h",
        requires=(
            'tomli>=1; python_version < "3.11"',
            'colorama; sys_platform == "win32"',
            'pytest; extra == "test"',
            "packaging>=24",
        ),
        requires_python=">=3.10",
        console_scripts=(),
    )
    assert conda_depends(info, ["3.12"]) == ["packaging >=24"]
    # a noarch package built for several pythons keeps what any of them needs
    assert conda_depends(info, ["3.10", "3.12"]) == ["tomli >=1", "packaging >=24"]


def _fake_numpy_wheel(path: Path, feature: str) -> Path:
    header = (
        "#ifndef NPY_TARGET_VERSION\n"
        f"    #define NPY_FEATURE_VERSION NPY_{feature}_API_VERSION\n#endif\n"
    )
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("numpy/_core/include/numpy/numpyconfig.h", header)
    return path


def test_numpy_run_export_follows_the_wheels_default_c_api(tmp_path) -> None:
    from hostchannel.lock import Wheel

    wheel = Wheel("numpy", "2.4.6", "numpy-2.4.6-cp311-cp311-linux_x86_64.whl", "0" * 64)
    path = _fake_numpy_wheel(tmp_path / wheel.filename, "1_23")
    assert numpy_run_exports(wheel, path) == ("numpy >=1.23,<3",)
    old = Wheel("numpy", "1.26.0", "numpy-1.26.0-cp312-cp312-linux_x86_64.whl", "0" * 64)
    assert numpy_run_exports(old, path) == ("numpy >=1.26.0,<2.0a0",)


def test_lock_covers_the_numpy_range_pyproject_claims() -> None:
    lock = read_lock()
    floor = project_requirements()[1]
    assert lock.numpy_floor == floor, (
        "pyproject's NumPy floor changed: run host_channel.py --update-lock"
    )
    # every Python installed here that pyproject admits must be locked
    pythons = installed_pythons(project_metadata()["requires-python"])
    assert pythons
    interpreters, _ = find_interpreters(pythons)
    for interpreter in interpreters:
        ends = lock.numpy.get(interpreter.label)
        assert ends, f"python {interpreter.label} is not locked: run --update-lock"
        assert Version(floor) <= Version(ends["oldest"]) <= Version(ends["newest"])
        for version in ends.values():
            lock.find("numpy", version, interpreter.cp_tag)


def _shim(name: str, text: str, **kwargs) -> Shim:
    return Shim(
        name=name,
        version="1.0",
        build="external_0",
        summary=f"test shim {name}",
        license="MIT",
        homepage="https://example.org",
        files={f"share/{name}.txt": Content(text)},
        **kwargs,
    )


def test_a_changed_input_rebuilds_only_its_dependants(tmp_path) -> None:
    base = _shim("base", "one")
    user = _shim("user", "u", host=("base",), needs=(base.key,))
    other = _shim("other", "o")
    channel, work = tmp_path / "channel", tmp_path / "work"

    def statuses(shims) -> dict[str, str]:
        outcomes = build_channel(tuple(shims), channel, work, lambda *a: None)
        return {o.shim.name: o.status for o in outcomes}

    assert statuses([base, user, other]) == dict.fromkeys(("base", "user", "other"), "built")
    assert statuses([base, user, other]) == dict.fromkeys(("base", "user", "other"), "cached")
    changed = _shim("base", "two")
    user = _shim("user", "u", host=("base",), needs=(changed.key,))
    assert statuses([changed, user, other]) == {"base": "built", "user": "built", "other": "cached"}
    # a shim that left the declaration leaves the channel
    assert statuses([changed]) == {"base": "cached"}
    assert [p.name.split("-")[0] for p in channel.glob("linux-64/*.conda")] == ["base"]


@pytest.mark.parametrize(("level", "march"), [(1, "-march=x86-64"), (3, "-march=x86-64-v3")])
def test_microarch_activation_appends_its_march_last(tmp_path, level: int, march: str) -> None:
    (shim,) = [
        s
        for s in microarch_shims()
        if s.name == "x86_64-microarch-level" and s.version == str(level)
    ]
    script = tmp_path / "activate.sh"
    script.write_text(next(iter(shim.files.values())).text)
    shell = f'CFLAGS="-O2 -march=nocona"; unset CXXFLAGS CPPFLAGS; . {script}; '
    shell += 'echo "$CFLAGS|$CXXFLAGS|$CPPFLAGS"'
    flags = subprocess.run(["bash", "-c", shell], capture_output=True, text=True, check=True)
    # after the compiler's own flags, so gcc applies this one; set where nothing was
    assert flags.stdout.strip() == f"-O2 -march=nocona {march}|{march}|{march}"


def test_python_specs_are_conda_forges() -> None:
    assert conda_forge_python_spec("3.10") == "3.10.* *_cpython"
    assert conda_forge_python_spec("3.12") == "3.12.* *_cpython"
    assert conda_forge_python_spec("3.13") == "3.13.* *_cp313"
    assert conda_forge_python_spec("3.14") == "3.14.* *_cp314"
    assert conda_forge_python_spec("3.13t") == "3.13.* *_cp313t"
