"""The feedstock's configuration files against the schemas of the tools that read them.

pixi.toml, conda-forge.yml and recipe/recipe.yaml are checked with check-jsonschema
against the schemas kept in ../shared/schemas (pixi's, conda-smithy's and the v1
recipe format's); pyproject.toml with validate-pyproject; .github/dependabot.yml with
check-jsonschema's vendored schema. Each check is also shown to reject a broken copy,
so a checker that silently accepts everything cannot pass here.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = REPO_ROOT.parent / "shared" / "schemas"

needs_schemas = pytest.mark.skipif(
    not SCHEMAS.is_dir(),
    reason=f"{SCHEMAS} is absent: the schemas live in the shared/ folder beside the repository",
)

# file of the repository -> (its schema in ../shared/schemas, an edit the schema must reject)
SCHEMA_FILES = {
    "pixi.toml": ("pixi-manifest.schema.json", ("[workspace]", "[workspace]\nnot-a-key = 1")),
    "conda-forge.yml": (
        "conda-forge-yml.schema.json",
        ("conda_build_tool: rattler-build", "conda_build_tool: rattler"),
    ),
    "recipe/recipe.yaml": ("recipe-v1.schema.json", ("package:", "not_a_section: 1\npackage:")),
}


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True)


def _check_jsonschema(*args: str) -> subprocess.CompletedProcess[str]:
    return _run("check_jsonschema", "--no-cache", *args)


def _broken_copy(source: Path, edit: tuple[str, str], directory: Path) -> Path:
    """Copy ``source`` into ``directory`` (same file name) with one edit applied."""
    old, new = edit
    text = source.read_text()
    assert old in text, f"{old!r} is no longer in {source}: update the test's edit"
    copy = directory / source.name
    copy.write_text(text.replace(old, new, 1))
    return copy


@needs_schemas
@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_file_matches_its_schema(name: str) -> None:
    schema, _ = SCHEMA_FILES[name]
    result = _check_jsonschema("--schemafile", str(SCHEMAS / schema), str(REPO_ROOT / name))
    assert result.returncode == 0, result.stdout + result.stderr


@needs_schemas
@pytest.mark.parametrize("name", SCHEMA_FILES)
def test_schema_rejects_a_broken_copy(name: str, tmp_path: Path) -> None:
    schema, edit = SCHEMA_FILES[name]
    broken = _broken_copy(REPO_ROOT / name, edit, tmp_path)
    result = _check_jsonschema("--schemafile", str(SCHEMAS / schema), str(broken))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Schema validation errors" in result.stdout


def test_dependabot_config_matches_its_schema(tmp_path: Path) -> None:
    config = REPO_ROOT / ".github" / "dependabot.yml"
    result = _check_jsonschema("--builtin-schema", "vendor.dependabot", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    broken = _broken_copy(config, ("interval: monthly", "interval: fortnightly"), tmp_path)
    result = _check_jsonschema("--builtin-schema", "vendor.dependabot", str(broken))
    assert result.returncode == 1, result.stdout + result.stderr


def test_pyproject_is_valid(tmp_path: Path) -> None:
    result = _run("validate_pyproject", str(REPO_ROOT / "pyproject.toml"))
    assert result.returncode == 0, result.stdout + result.stderr
    broken = _broken_copy(
        REPO_ROOT / "pyproject.toml", ("[project]", "[project]\nbogus = 1"), tmp_path
    )
    result = _run("validate_pyproject", str(broken))
    assert result.returncode != 0, result.stdout + result.stderr
