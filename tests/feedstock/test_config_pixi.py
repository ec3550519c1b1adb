"""pixi.toml against the repository: tasks, the variant matrix and pyproject.toml.

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
from variants import Variant, load_matrix, load_variants  # noqa: E402


@pytest.fixture(scope="module")
def manifest() -> dict:
    return check_pixi.load_manifest()


@pytest.fixture(scope="module")
def pyproject() -> dict:
    return check_pixi.load_manifest(REPO_ROOT / "pyproject.toml")


def test_every_task_runs_something_that_exists(manifest: dict) -> None:
    assert check_pixi.task_problems(manifest) == []


def test_python_environments_follow_the_variant_matrix(manifest: dict) -> None:
    variants = load_variants()
    assert check_pixi.matrix_problems(manifest, variants) == []
    # and they are not vacuous: one pinned environment per Python of the matrix
    assert {v.tag for v in variants} <= set(check_pixi.environments(manifest))


def test_features_carry_the_requirements_of_pyproject(manifest: dict) -> None:
    assert check_pixi.dependency_problems(manifest) == []


def test_command_line_reports_no_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert check_pixi.main([]) == 0
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


def test_matrix_checker_flags_a_python_missing_from_pixi(manifest: dict) -> None:
    variants = [*load_variants(), Variant(python="3.15", python_spec="3.15.* *_cp315", numpy="2")]
    problems = check_pixi.matrix_problems(manifest, variants)
    assert any("py315" in p for p in problems), problems
    # and the newest-NumPy environment no longer sits on the newest Python
    assert any("'numpy-newest' does not pin python 3.15.*" in p for p in problems), problems


def test_matrix_checker_flags_a_moved_numpy_floor(manifest: dict, pyproject: dict) -> None:
    edited = copy.deepcopy(pyproject)
    edited["project"]["dependencies"] = [
        "numpy>=1.25" if d.startswith("numpy") else d for d in edited["project"]["dependencies"]
    ]
    problems = check_pixi.matrix_problems(manifest, load_variants(), edited)
    assert len(problems) == 1, problems
    assert "environment 'numpy-oldest' does not pin numpy 1.25.*" in problems[0]


def test_dependency_checker_flags_drift_from_pyproject(manifest: dict, pyproject: dict) -> None:
    edited = copy.deepcopy(pyproject)
    edited["project"]["optional-dependencies"]["test"].append("pytest-xdist>=3")
    problems = check_pixi.dependency_problems(manifest, edited)
    assert problems == [
        "feature 'test': pytest-xdist is None in pixi.toml, '>=3' in pyproject.toml"
    ], problems


def test_command_line_fails_on_a_broken_manifest(tmp_path: Path) -> None:
    broken = tmp_path / "pixi.toml"
    text = (REPO_ROOT / "pixi.toml").read_text()
    broken.write_text(text.replace('cmd = "python benchmarks/run.py"', 'cmd = "python run.py"'))
    assert check_pixi.main([str(broken)]) == 1


def _build_conda_arguments(manifest: dict, pinning_prefix: Path) -> dict:
    """The rattler-build options of the build-conda task, $CONDA_PREFIX replaced."""
    cmd = manifest["feature"]["conda"]["tasks"]["build-conda"]["cmd"]
    argv = shlex.split(cmd.replace("$CONDA_PREFIX", str(pinning_prefix)))
    options = argv[argv.index("rattler-build") + 2 :]  # after `rattler-build build`
    values = {"--recipe": [], "--variant-config": [], "--output-dir": []}
    for flag, value in zip(options[::2], options[1::2], strict=True):
        values[flag].append(value)
    (recipe,), (output,) = values["--recipe"], values["--output-dir"]
    return {"recipe": recipe, "variant_config": values["--variant-config"], "output": output}


def _render(
    arguments: dict, platform: str, capfd: pytest.CaptureFixture[str]
) -> list[tuple[str, str | None]]:
    """(python, microarch_level) of the variants rattler-build renders (CLI path, --render-only)."""
    from rattler_build import cli_api

    with warnings.catch_warnings():
        # build_recipes is the code path of the `rattler-build build` command line,
        # which is what the task runs; its Python wrapper is marked deprecated.
        warnings.simplefilter("ignore", DeprecationWarning)
        cli_api.build_recipes(
            [arguments["recipe"]],
            target_platform=platform,
            variant_config=arguments["variant_config"],
            render_only=True,
            output_dir=arguments["output"],
        )
    rendered = json.loads(capfd.readouterr().out)
    variants = (v["build_configuration"]["variant"] for v in rendered)
    return sorted(((v["python"], v.get("microarch_level")) for v in variants), key=str)


def _matrix(platform: str) -> list[tuple[str, str | None]]:
    """(python, microarch_level) pairs of the variant matrix for a platform.

    A selector gives linux-64 alone the microarchitecture levels of
    recipe/conda_build_config.yaml; the other platforms render one build per python.
    """
    levels = [str(level) for level in load_matrix()["microarch_level"]]
    pythons = [v.python_spec for v in load_variants()]
    per_python = levels if platform == "linux-64" else [None]
    return sorted(((python, level) for python in pythons for level in per_python), key=str)


@pytest.fixture
def build_conda(manifest: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    """The build-conda task's arguments, with conda-forge's pinning installed as pixi would."""
    pytest.importorskip(
        "rattler_build", reason="py-rattler-build is not installed (tools/requirements.txt)"
    )
    pinning = next((p for p in PINNINGS if p.is_file()), None)
    if pinning is None:
        pytest.skip(f"no conda-forge pinning: neither of {[str(p) for p in PINNINGS]}")
    # conda-forge-pinning installs $CONDA_PREFIX/conda_build_config.yaml; that file
    # name is what makes rattler-build read it as a conda-build config (selectors).
    shutil.copy(pinning, tmp_path / "conda_build_config.yaml")
    monkeypatch.chdir(REPO_ROOT)
    monkeypatch.setenv("CHEMLIB_VERSION", (REPO_ROOT / "VERSION").read_text().strip())
    arguments = _build_conda_arguments(manifest, tmp_path)
    arguments["output"] = str(tmp_path / "output")
    return arguments


def test_build_conda_renders_the_matrix_on_every_platform(
    manifest: dict, build_conda: dict, capfd: pytest.CaptureFixture[str]
) -> None:
    for platform in manifest["workspace"]["platforms"]:
        assert _render(build_conda, platform, capfd) == _matrix(platform), platform


def test_render_check_notices_a_task_without_the_matrix_file(
    build_conda: dict, capfd: pytest.CaptureFixture[str]
) -> None:
    build_conda["variant_config"] = build_conda["variant_config"][:1]  # pinning only
    assert _render(build_conda, "linux-64", capfd) != _matrix("linux-64")
