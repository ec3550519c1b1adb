"""recipe/recipe.yaml is clean against conda-smithy's v1 lint rules (tools/recipe_lint.py).

The schema check of the recipe lives in test_config_schemas.py. Here: the lint
rules, each shown to fire on a recipe broken the way it guards against, and the
facts the recipe restates from the project (NumPy floor) checked against their
source.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from hostchannel.lock import project_requirements
from recipe_lint import lint
from submission_recipe import submission_text

REPO_ROOT = Path(__file__).resolve().parents[2]
RECIPE = REPO_ROOT / "recipe" / "recipe.yaml"
SUBMITTED = submission_text(RECIPE.read_text(), "0" * 64, ["jdoe"])

# rule -> (text in the recipe, replacement that breaks the rule)
BREAKAGES = {
    "R-033": ("    - ${{ stdlib('c') }}\n", ""),
    "R-022": ("- numpy >=1.23", "- numpy>=1.23"),
    "R-021": ("- numpy >=1.23", "- numpy >= 1.23"),
    "R-024": ("  run:\n    - python\n", "  run:\n    - python >=3.10\n"),
    "R-001": ("schema_version: 1\n", ""),  # re-appended at the end below
    "R-013": ("  license_file: LICENSE\n", ""),
    "R-010": ("license: BSD-3-Clause", "license: BSD 3-Clause License"),
    "R-008": ("  number: ${{ build_number + microarch_offset }}\n", "  string: x\n"),
    "R1-001": ("    - ninja\n", "    - ninja  # [unix]\n"),
    "R-019": ("  sha256: " + "0" * 64 + "\n", ""),
    "R-025": ("${{ version }}", "${{version}}"),
    "R-003": ("    - chemlib-feedstock\n", "    []\n"),
}


def test_recipe_is_lint_clean() -> None:
    assert lint(RECIPE.read_text(), RECIPE.parent) == []


@pytest.mark.parametrize("rule", BREAKAGES)
def test_each_rule_fires_on_a_broken_recipe(rule: str) -> None:
    old, new = BREAKAGES[rule]
    # R-019 (a url without checksum) concerns the submitted recipe's url source
    text = SUBMITTED if rule == "R-019" else RECIPE.read_text()
    assert old in text, f"{old!r} is no longer in the recipe: update the test"
    broken = text.replace(old, new, 1) + (old if rule == "R-001" else "")
    findings = lint(broken)
    assert any(rule in f.split()[0].split("/") for f in findings), findings


def test_rules_are_conda_smithy_rules(reference) -> None:
    messages = json.loads((reference / "conda-smithy-linter-messages.json").read_text())
    published = {m["identifier"] for m in messages["messages"]}
    source = (REPO_ROOT / "tools" / "recipe_lint.py").read_text()
    used = set(re.findall(r'"(R1?-\d{3})', source)) | {"R-011", "R-012"}
    assert used, "no rule identifiers found in tools/recipe_lint.py"
    assert used <= published, sorted(used - published)


def test_recipe_numpy_floor_is_the_pyproject_floor() -> None:
    floor = project_requirements()[1]
    assert f"- numpy >={floor}\n" in RECIPE.read_text(), f"recipe run must say numpy >={floor}"


def test_submitted_recipe_is_lint_clean() -> None:
    assert lint(SUBMITTED) == []
