"""Check recipe/recipe.yaml against conda-smithy's lint rules for v1 recipes.

conda-smithy (conda-forge's linter) is not installable from PyPI, so the rules a
reviewer would see for this recipe are re-implemented here from their published
messages (../shared/reference/conda-smithy-linter-messages.json); each finding
carries the rule's identifier. Rules that need GitHub or conda-forge's servers
(maintainer existence, feedstock names) are out of reach offline.

Command line::

    python tools/recipe_lint.py [recipe/recipe.yaml]    # exit 1 on findings
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

RECIPE = Path(__file__).resolve().parent.parent / "recipe" / "recipe.yaml"
SECTION_ORDER = (
    "schema_version",
    "context",
    "package",
    "source",
    "build",
    "requirements",
    "tests",
    "about",
    "extra",
)
REQUIREMENT_ORDER = ("build", "host", "run")
OPERATORS = ("!=", "=", "==", ">", "<", "<=", ">=")
NAME = re.compile(r"^[a-z0-9_.\-]+$")


def _flatten(items: object) -> list:
    """Items of a v1 list with every ``if/then/else`` branch expanded."""
    if items is None:
        return []
    if not isinstance(items, list):
        items = [items]
    flat = []
    for item in items:
        if isinstance(item, dict) and "if" in item:
            flat += _flatten(item.get("then")) + _flatten(item.get("else"))
        else:
            flat.append(item)
    return flat


def _spec_findings(section: str, spec: str) -> list[str]:
    if "${{" in spec:
        return []
    parts = spec.split()
    if len(parts) > 2 and parts[1] in OPERATORS:
        return [f"R-021 requirements: {section}: {spec!r} has a space after the operator"]
    if any(c in parts[0] for c in "<>="):
        return [f"R-022 requirements: {section}: {spec!r} needs a space between name and version"]
    return []


def _requirement_findings(recipe: dict) -> list[str]:
    requirements = recipe.get("requirements") or {}
    findings = []
    seen = [k for k in requirements if k in REQUIREMENT_ORDER]
    if seen != sorted(seen, key=REQUIREMENT_ORDER.index):
        findings.append(f"R-009 requirements order should be build, host, run; saw {seen}")
    specs = {k: [str(s) for s in _flatten(requirements.get(k))] for k in REQUIREMENT_ORDER}
    for section, items in specs.items():
        for spec in items:
            findings += _spec_findings(section, spec)
    names = {k: [s.split()[0] for s in v] for k, v in specs.items()}
    build = " ".join(specs["build"])
    if "compiler(" in build and "stdlib(" not in build:
        findings.append("R-033 a compiler is used without ${{ stdlib('c') }} in build")
    if any(n.startswith("sysroot_") for n in names["build"] + names["host"]):
        findings.append("R-034 sysroot_* is required directly; use ${{ stdlib('c') }}")
    if any(n == "__osx" for values in names.values() for n in values):
        findings.append("R-035 __osx constrained directly; use ${{ stdlib('c') }}")
    noarch = (recipe.get("build") or {}).get("noarch")
    for language in ("python", "r-base"):
        if language in names["host"] and language not in names["run"]:
            findings.append(f"R-023 {language} is a host requirement but not a run requirement")
        if not noarch and any(
            s.split()[0] == language and len(s.split()) > 1 for s in specs["run"]
        ):
            findings.append(f"R-024 non-noarch recipe pins {language} in run")
    return findings


def _about_findings(recipe: dict) -> list[str]:
    about = recipe.get("about") or {}
    findings = [
        f"R-002 about.{item} is missing"
        for item in ("homepage", "license", "summary")
        if not about.get(item)
    ]
    licence = str(about.get("license", ""))
    if "unknown" in licence.lower():
        findings.append("R-007 the licence cannot be unknown")
    if re.search(r"\blicen[cs]e\b", licence, re.IGNORECASE):
        findings.append("R-010 the license field should not contain the word 'License'")
    if not about.get("license_file"):
        findings.append("R-013 license_file is missing")
    return findings


def lint(text: str, recipe_dir: Path | None = None) -> list[str]:
    """Return the findings for a v1 recipe's text (empty when clean)."""
    findings = []
    lines = text.split("\n")
    if not text.endswith("\n") or text.endswith("\n\n"):
        findings.append("R-011/R-012 the file must end with exactly one newline")
    selector_lines = [
        i + 1 for i, line in enumerate(lines) if re.search(r"#\s*\[[^\]]+\]\s*$", line)
    ]
    if selector_lines:
        findings.append(f"R1-001 comment selectors on lines {selector_lines}")
    spaced = [i + 1 for i, line in enumerate(lines) if re.search(r"\$\{\{(?! )|(?<! )\}\}", line)]
    if spaced:
        findings.append(f"R-025 write ${{{{ var }}}} with single spaces inside, lines {spaced}")
    recipe = yaml.safe_load(text)
    order = [k for k in recipe if k in SECTION_ORDER]
    unknown = [k for k in recipe if k not in SECTION_ORDER and k != "outputs"]
    findings += [f"R-000 unexpected top-level section {k!r}" for k in unknown]
    if order != sorted(order, key=SECTION_ORDER.index):
        findings.append(f"R-001 sections out of order: {order}")
    package = recipe.get("package") or {}
    if not package.get("version"):
        findings.append("R-015 package version is missing")
    elif isinstance(package["version"], float):
        findings.append("R-040 package version is a float: quote it")
    if not NAME.match(str(package.get("name", "")).replace("${{ name }}", "x")):
        findings.append("R-014 package name has invalid characters")
    context = recipe.get("context") or {}
    if "name" in context and not NAME.match(str(context["name"])):
        findings.append("R-014 package name has invalid characters")
    findings += [
        f"R-040 context.{k} is a float: quote it"
        for k, v in context.items()
        if isinstance(v, float)
    ]
    for source in _flatten(recipe.get("source")):
        if (
            isinstance(source, dict)
            and "url" in source
            and not {"sha256", "sha1", "md5"} & set(source)
        ):
            findings.append(f"R-019 source {source['url']} has no checksum")
    if "number" not in (recipe.get("build") or {}):
        findings.append("R-008 build.number is missing")
    if not recipe.get("tests"):
        findings.append("R-005 the recipe must have tests")
    maintainers = (recipe.get("extra") or {}).get("recipe-maintainers")
    if not maintainers:
        findings.append("R-003 extra.recipe-maintainers is empty")
    elif not isinstance(maintainers, list):
        findings.append("R-004 extra.recipe-maintainers must be a list")
    if recipe_dir is not None and (recipe_dir / "bld.bat").exists():
        findings.append("R1-003 rename bld.bat to build.bat for rattler-build")
    return findings + _requirement_findings(recipe) + _about_findings(recipe)


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("recipe", nargs="?", type=Path, default=RECIPE, help="a v1 recipe.yaml")
    path = parser.parse_args(argv).recipe
    findings = lint(path.read_text(), path.parent)
    for finding in findings:
        print(f"{path}: {finding}")
    print(f"{path}: {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
