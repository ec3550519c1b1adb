"""The recipe for staged-recipes: the sdist as a literal url + sha256, linted, renderable.

tools/submission_recipe.py builds the sdist of the committed tree and writes
recipes/chemlib-kernels/ as a staged-recipes pull request holds it. What the
autotick bot needs to update it later: a literal version and sha256, and a url
that names the version through ``${{ version }}``.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from recipe_lint import lint
from submission_recipe import URL, build_sdist, repository_owner, write_submission
from variants import pinning_in_force, write_pinning

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSION = (REPO_ROOT / "VERSION").read_text().strip()


@pytest.fixture(scope="module")
def sdist(tmp_path_factory) -> Path:
    return build_sdist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def submitted(sdist, tmp_path_factory) -> Path:
    return write_submission(sdist, ["jdoe"], tmp_path_factory.mktemp("staged-recipes"))


def test_layout_is_a_staged_recipes_pull_request(submitted) -> None:
    assert submitted.parent.name == "recipes"
    assert submitted.name == "chemlib-kernels"
    assert sorted(p.name for p in submitted.iterdir()) == [
        "build.bat",
        "build.sh",
        "recipe.yaml",
        "variants.yaml",
    ]
    for name in ("build.bat", "build.sh", "variants.yaml"):
        assert (submitted / name).read_bytes() == (REPO_ROOT / "recipe" / name).read_bytes()


def test_source_is_the_sdist_by_literal_url_and_sha256(submitted, sdist) -> None:
    text = (submitted / "recipe.yaml").read_text()
    recipe = yaml.safe_load(text)
    assert recipe["source"] == {
        "url": URL,
        "sha256": hashlib.sha256(sdist.read_bytes()).hexdigest(),
    }
    assert "${{ version }}" in recipe["source"]["url"]
    assert recipe["context"]["version"] == VERSION
    assert sdist.name == f"chemlib_kernels-{VERSION}.tar.gz"
    assert "path:" not in text
    assert "env." not in text
    assert recipe["extra"]["recipe-maintainers"] == ["jdoe"]


def test_submitted_recipe_is_lint_clean(submitted) -> None:
    assert lint((submitted / "recipe.yaml").read_text(), submitted) == []


@pytest.mark.parametrize("platform", ["linux-64", "win-64"])
def test_submitted_recipe_renders(submitted, reference, platform, tmp_path) -> None:
    from rattler_build import JinjaConfig, PlatformConfig, RenderConfig, Stage0Recipe, VariantConfig

    pinning = write_pinning(
        pinning_in_force(reference / "conda-forge-pinning-conda_build_config.yaml", platform),
        tmp_path / "pinning.yaml",
    )
    machine = PlatformConfig(target_platform=platform)
    config = VariantConfig.from_files_with_context(
        [submitted / "variants.yaml", pinning], JinjaConfig(platform=machine)
    )
    rendered = Stage0Recipe.from_file(submitted / "recipe.yaml").render(
        config, RenderConfig(platform=machine)
    )
    assert rendered
    for variant in rendered:
        assert variant.recipe.to_dict()["package"]["version"] == VERSION


def test_an_organisation_is_refused_as_maintainer(sdist, tmp_path) -> None:
    owner = repository_owner()
    with pytest.raises(SystemExit, match="organisation"):
        write_submission(sdist, [owner], tmp_path)
    with pytest.raises(SystemExit, match="--maintainer"):
        write_submission(sdist, [], tmp_path)


def test_command_line_writes_and_lints(sdist, tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "submission_recipe.py"),
         "--sdist", str(sdist), "--maintainer", "jdoe", "--out", str(tmp_path)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 lint finding(s)" in done.stdout
    assert (tmp_path / "recipes" / "chemlib-kernels" / "recipe.yaml").exists()
