"""pixi.toml against the repository: tasks, the variant matrix, BLAS, pyproject.toml.

pixi cannot solve or run anything here (no conda channel), so tools/check_pixi.py
checks what holds without solving; these tests run it on pixi.toml and show, on
edited copies, that each kind of drift is caught.
"""

from __future__ import annotations

import copy
import json
import shlex
import shutil
import sys
import warnings
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
# conda-forge's global pinning: the copy in ../shared on this project's machines, or
# the conda-forge-pinning package of the pixi lint environment (CI on GitHub).
PINNINGS = [
    REPO_ROOT.parent / "shared" / "reference" / "conda-forge-pinning-conda_build_config.yaml",
    Path(sys.prefix) / "conda_build_config.yaml",
]
sys.path.insert(0, str(REPO_ROOT / "tools"))

import check_pixi  # noqa: E402
from variants import MIGRATIONS, Variant, load_variants, render  # noqa: E402


@pytest.fixture(scope="module")
def manifest() -> dict:
    return check_pixi.load_manifest()


@pytest.fixture(scope="module")
def pinning() -> Path:
    """conda-forge's global pinning, as found here or in the pixi lint environment."""
    found = next((p for p in PINNINGS if p.is_file()), None)
    if found is None:
        pytest.skip(f"no conda-forge pinning: neither of {[str(p) for p in PINNINGS]}")
    return found


@pytest.fixture(scope="module")
def variants(pinning) -> list[Variant]:
    """The matrix GitHub CI builds: conda-forge's pinning with the carried migrations."""
    return load_variants(pinning, "linux-64", MIGRATIONS)


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return check_pixi.load_manifest(REPO_ROOT / "pyproject.toml")


def test_every_task_runs_something_that_exists(manifest: dict) -> None:
    assert check_pixi.task_problems(manifest) == []


def test_python_environments_follow_the_variant_matrix(manifest: dict, variants) -> None:
    assert check_pixi.matrix_problems(manifest, variants) == []
    # and they are not vacuous: one pinned environment per Python of the matrix
    assert {v.tag for v in variants} <= set(check_pixi.environments(manifest))


def test_features_carry_the_requirements_of_pyproject(manifest: dict) -> None:
    assert check_pixi.dependency_problems(manifest) == []


def test_command_line_reports_no_problem(pinning, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_pixi.main(["--pinning", str(pinning)]) == 0
    assert "0 problem(s)" in capsys.readouterr().out


def _edit(manifest: dict, feature: str, task: str, **fields: object) -> dict:
    edited = copy.deepcopy(manifest)
    edited["feature"][feature]["tasks"][task].update(fields)
    return edited


@pytest.mark.parametrize(
    ("feature", "task", "fields", "expected"),
    [
        ("bench", "bench", {"cmd": "python benchmarks/no_such_script.py"}, "does not exist"),
        ("lint", "ruff-check", {"cmd": "mypy ."}, "executable 'mypy' comes from no package"),
        ("test", "test", {"cmd": "python -m coverage run"}, "module 'coverage'"),
        ("dev", "show-config", {"cmd": "python -c 'import numba'"}, "module 'numba'"),
        ("conda", "build-conda", {"cmd": "rattler-build build -m recipe/no.yaml"}, "no.yaml"),
        ("dev", "show-config", {"depends-on": ["compile"]}, "depends on 'compile'"),
        ("dev", "build", {"default-environment": "lint"}, "default-environment 'lint'"),
    ],
)
def test_task_checker_flags_what_cannot_run(
    manifest: dict, feature: str, task: str, fields: dict, expected: str
) -> None:
    problems = check_pixi.task_problems(_edit(manifest, feature, task, **fields))
    assert any(expected in p and repr(task) in p for p in problems), problems


def test_task_checker_flags_a_task_defined_twice_in_one_environment(manifest: dict) -> None:
    edited = copy.deepcopy(manifest)
    edited["feature"]["run"]["tasks"] = {"test": "python -m pytest tests"}
    problems = check_pixi.task_problems(edited)
    assert any("task 'test' is defined by several features" in p for p in problems), problems


def test_matrix_checker_flags_a_python_missing_from_pixi(manifest: dict, variants) -> None:
    variants = [*variants, Variant(python="3.15", python_spec="3.15.* *_cp315", numpy="2")]
    problems = check_pixi.matrix_problems(manifest, variants)
    assert any("py315" in p for p in problems), problems
    # and the newest-NumPy environment no longer sits on the newest Python
    assert any("'numpy-newest' does not pin python 3.15.*" in p for p in problems), problems


def test_matrix_checker_flags_a_free_threaded_environment_without_its_build(
    manifest: dict, variants
) -> None:
    edited = copy.deepcopy(manifest)
    edited["feature"]["py314t"]["dependencies"]["python"] = "3.14.*"
    problems = check_pixi.matrix_problems(edited, variants)
    assert any("'py314t' does not pin python 3.14.* *_cp314t" in p for p in problems), problems


def test_matrix_checker_flags_a_moved_numpy_floor(
    manifest: dict, pyproject: dict, variants
) -> None:
    edited = copy.deepcopy(pyproject)
    edited["project"]["dependencies"] = [
        "numpy>=1.25" if d.startswith("numpy") else d for d in edited["project"]["dependencies"]
    ]
    problems = check_pixi.matrix_problems(manifest, variants, edited)
    assert len(problems) == 1, problems
    assert "environment 'numpy-oldest' does not pin numpy 1.25.*" in problems[0]


def test_dependency_checker_flags_drift_from_pyproject(manifest: dict, pyproject: dict) -> None:
    edited = copy.deepcopy(pyproject)
    edited["project"]["optional-dependencies"]["test"].append("pytest-xdist>=3")
    problems = check_pixi.dependency_problems(manifest, edited)
    assert problems == [
        "feature 'test': pytest-xdist is None in pixi.toml, '>=3' in pyproject.toml"
    ], problems


def test_command_line_fails_on_a_broken_manifest(pinning, tmp_path: Path) -> None:
    broken = tmp_path / "pixi.toml"
    text = (REPO_ROOT / "pixi.toml").read_text()
    broken.write_text(text.replace('cmd = "python benchmarks/run.py"', 'cmd = "python run.py"'))
    assert check_pixi.main([str(broken), "--pinning", str(pinning)]) == 1


def test_every_environment_finds_blas_and_lapack_on_every_platform(manifest: dict) -> None:
    assert check_pixi.blas_problems(manifest) == []
    # not vacuous: the MKL environment is checked on both its platforms
    assert check_pixi.environment_platforms(manifest, "blas-mkl") == ["linux-64", "win-64"]
    assert check_pixi.pkg_config_names(manifest, "blas-mkl", "win-64") == {"mkl-sdl"}
    assert check_pixi.pkg_config_names(manifest, "blas-openblas", "win-64") == {"openblas"}
    assert check_pixi.pkg_config_names(manifest, "default", "win-64") == {"mkl-sdl"}


def test_blas_check_flags_a_lookup_that_misses_mkl(manifest: dict, monkeypatch) -> None:
    """meson's old fixed default (`blas`, `lapack` only) left MKL and Windows without BLAS."""
    monkeypatch.setattr(
        check_pixi, "_meson_blas_lookup", lambda: {"blas": ["blas"], "lapack": ["lapack"]}
    )
    problems = check_pixi.blas_problems(manifest)
    assert any("'blas-mkl' on linux-64" in p for p in problems), problems
    assert any("'blas-openblas' on win-64" in p for p in problems), problems
    assert any("'py312' on win-64" in p for p in problems), problems
    assert not any("on linux-64" in p and "'py312'" in p for p in problems), problems


def _task_argv(manifest: dict, task: str, conda_prefix: Path) -> list[str]:
    cmd = manifest["feature"]["conda"]["tasks"][task]["cmd"]
    return shlex.split(cmd.replace("$CONDA_PREFIX", str(conda_prefix)))


def _cli_render(argv: list[str], platform: str, capfd: pytest.CaptureFixture[str]) -> list[str]:
    """Build strings rattler-build's CLI path renders for the build-conda task's arguments."""
    from rattler_build import cli_api

    options = argv[argv.index("rattler-build") + 2 :]  # after `rattler-build build`
    values: dict[str, list[str]] = {"--recipe": [], "-m": [], "--output-dir": []}
    for flag, value in zip(options[::2], options[1::2], strict=True):
        values[flag].append(value)
    with warnings.catch_warnings():
        # build_recipes is the code path of the `rattler-build build` command line,
        # which is what the task runs; its Python wrapper is marked deprecated.
        warnings.simplefilter("ignore", DeprecationWarning)
        cli_api.build_recipes(
            [REPO_ROOT / values["--recipe"][0] / "recipe.yaml"],
            # as on a machine of that platform, where the task runs
            build_platform=platform,
            target_platform=platform,
            variant_config=values["-m"],
            render_only=True,
            output_dir=values["--output-dir"][0],
        )
    rendered = json.loads(capfd.readouterr().out)
    return sorted(v["recipe"]["build"]["string"] for v in rendered)


def test_build_conda_renders_the_matrix_on_every_platform(
    manifest: dict, pinning: Path, tmp_path: Path, monkeypatch, capfd
) -> None:
    """pixi run build-conda: the pinning task writes the pinning in force, rattler-build builds.

    conda-forge-pinning installs $CONDA_PREFIX/conda_build_config.yaml; the
    pinning task runs here with that layout, for each platform, and the render of
    the build-conda task's command line through rattler-build's CLI code path must
    give exactly the builds of the matrix (tools/variants.py's render).
    """
    import variants as variants_module

    pytest.importorskip("rattler_build", reason="py-rattler-build is not installed")
    shutil.copy(pinning, tmp_path / "conda_build_config.yaml")
    monkeypatch.chdir(REPO_ROOT)
    for name in [n for n in __import__("os").environ if n.startswith("CHEMLIB")]:
        monkeypatch.delenv(name)
    assert manifest["feature"]["conda"]["tasks"]["build-conda"]["depends-on"] == ["pinning"]
    for platform in manifest["workspace"]["platforms"]:
        write = _task_argv(manifest, "pinning", tmp_path)
        written = Path(write[write.index("--write") + 1])
        write[write.index("--write") + 1] = str(tmp_path / written.name)
        assert variants_module.main([*write[2:], "--platform", platform]) == 0
        capfd.readouterr()
        build = _task_argv(manifest, "build-conda", tmp_path)
        build[build.index("-m") + 1] = str(tmp_path / written.name)
        build[build.index("--output-dir") + 1] = str(tmp_path / "output")
        expected = sorted(
            r.recipe.to_dict()["build"]["string"]
            for r in render([tmp_path / written.name], platform)
        )
        assert _cli_render(build, platform, capfd) == expected, platform
        assert expected
