"""Check the conventions of .github/workflows that zizmor and the JSON schema leave open.

* every ``uses:`` is pinned to a full commit SHA with its release in a comment
  (``owner/repo@<40 hex> # v1.2.3``), so a reader sees the version and Dependabot
  updates pin and comment together;
* no permission is granted at the top of a workflow (``permissions: {}`` or read
  access only) and every job states the permissions it needs;
* every ``actions/checkout`` sets ``persist-credentials: false``;
* every pixi environment a workflow installs or runs exists in pixi.toml, and every
  environment of pixi.toml is used by a workflow (the Python ones through ci.yml's
  reading of ``tools/variants.py``);
* no workflow writes down Python versions: matrices come from ``tools/variants.py``.

Command line::

    python tools/check_workflows.py    # prints every problem; exit status 1 if there are any
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import yaml

from check_pixi import environments, load_manifest, report
from variants import REPO_ROOT

WORKFLOWS = REPO_ROOT / ".github" / "workflows"
# owner/repo[/path]@<sha> # v<version>
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(?:/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"^v\d+(?:\.\d+)*$")
USES_LINE = re.compile(r"^\s*(?:-\s*)?uses:\s*(?P<ref>\S+)(?:\s+#\s*(?P<comment>\S+))?")
# A Python version written into a workflow (3.12, py312, cp312) instead of read
# from the variant matrix.
PYTHON_LITERAL = re.compile(r"\b(?:3\.1\d|py3\d\d|cp3\d\d)\b")
PIXI_RUN_ENV = re.compile(r"pixi run (?:-e|--environment)[ =]([\w-]+)")
READ_ONLY = {"read", "none"}


def _pin_problems(name: str, text: str) -> list[str]:
    problems = []
    for number, line in enumerate(text.splitlines(), start=1):
        match = USES_LINE.match(line)
        if not match or match["ref"].startswith("./"):
            continue
        where = f"{name}:{number}"
        if not PINNED.match(match["ref"]):
            problems.append(f"{where}: {match['ref']} is not pinned to a full commit SHA")
        elif not (match["comment"] and VERSION_COMMENT.match(match["comment"])):
            problems.append(f"{where}: {match['ref']} has no '# vX.Y.Z' comment naming its release")
    return problems


def _permission_problems(name: str, workflow: dict) -> list[str]:
    problems = []
    top = workflow.get("permissions")
    if top is None:
        problems.append(f"{name}: no top-level permissions (use `permissions: {{}}`)")
    elif top != {} and not (isinstance(top, dict) and set(top.values()) <= READ_ONLY):
        problems.append(f"{name}: top-level permissions grant write access: {top}")
    problems += [
        f"{name}: job {job!r} does not declare its permissions"
        for job, body in workflow.get("jobs", {}).items()
        if "permissions" not in body
    ]
    return problems


def _steps(workflow: dict) -> list[tuple[str, dict]]:
    return [
        (job, step)
        for job, body in workflow.get("jobs", {}).items()
        for step in body.get("steps", [])
    ]


def _checkout_problems(name: str, workflow: dict) -> list[str]:
    return [
        f"{name}: job {job!r} checks out without persist-credentials: false"
        for job, step in _steps(workflow)
        if str(step.get("uses", "")).startswith("actions/checkout@")
        and step.get("with", {}).get("persist-credentials") is not False
    ]


def _referenced_environments(workflow: dict) -> set[str]:
    """Pixi environments named literally by setup-pixi inputs, matrices and `pixi run -e`."""
    names = set()
    for _, step in _steps(workflow):
        if str(step.get("uses", "")).startswith("prefix-dev/setup-pixi@"):
            value = str(step.get("with", {}).get("environments", ""))
            if "${{" not in value:
                names.update(value.split())
        names.update(PIXI_RUN_ENV.findall(str(step.get("run", ""))))
    for body in workflow.get("jobs", {}).values():
        matrix = body.get("strategy", {}).get("matrix", {})
        if isinstance(matrix, dict):
            values = matrix.get("environment", [])  # a list, or a fromJSON(...) expression
            if isinstance(values, list):
                names.update(v for v in values if "${{" not in v)
            names.update(
                entry["environment"]
                for entry in matrix.get("include", [])
                if "environment" in entry
            )
    return names


def workflow_problems(workflows: Path = WORKFLOWS, manifest: dict | None = None) -> list[str]:
    """Every problem with the workflows in ``workflows`` (against pixi.toml ``manifest``)."""
    manifest = manifest if manifest is not None else load_manifest()
    pixi_envs = environments(manifest)
    problems = []
    texts = {path.name: path.read_text() for path in sorted(workflows.glob("*.y*ml"))}
    if not texts:
        return [f"no workflows in {workflows}"]
    for name, text in texts.items():
        workflow = yaml.safe_load(text)
        problems += _pin_problems(name, text)
        problems += _permission_problems(name, workflow)
        problems += _checkout_problems(name, workflow)
        problems += [
            f"{name}: pixi environment {env!r} does not exist in pixi.toml"
            for env in sorted(_referenced_environments(workflow) - set(pixi_envs))
        ]
        problems += [
            f"{name}:{text[: m.start()].count(chr(10)) + 1}: Python version {m[0]!r} written "
            "into a workflow; read the matrix with tools/variants.py"
            for m in PYTHON_LITERAL.finditer(text)
        ]
    used = set().union(*(_referenced_environments(yaml.safe_load(t)) for t in texts.values()))
    reads_variants = "tools/variants.py" in texts.get("ci.yml", "")
    problems += [
        f"pixi environment {env!r} is used by no workflow"
        for env in pixi_envs
        if env not in used
        and env != "default"  # the newest Python, which the last py3XX environment covers
        and not (re.fullmatch(r"py\d+", env) and reads_variants)
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    """Print the problems of the workflows and return 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workflows", nargs="?", type=Path, default=WORKFLOWS)
    args = parser.parse_args(argv)
    return report(workflow_problems(args.workflows), args.workflows)


if __name__ == "__main__":
    sys.exit(main())
