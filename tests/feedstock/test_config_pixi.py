"""pixi.toml against the repository: tasks, the variant matrix and pyproject.toml.

pixi cannot solve or run anything here (no conda channel), so tools/check_pixi.py
checks what holds without solving; these tests run it on pixi.toml and show, on
edited copies, that each kind of drift is caught.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))

import check_pixi  # noqa: E402
from variants import Variant, load_variants  # noqa: E402


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
