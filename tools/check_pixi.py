"""Check pixi.toml against the repository it lives in.

pixi cannot run where this project's own CI runs (no conda channel is reachable
there), so this checks what can be checked without solving an environment:

* every task runs something that exists: a file or directory of the repository, a
  package of this project, or an executable or Python module that a conda package
  of each environment having the task provides; ``depends-on`` and
  ``default-environment`` name tasks and environments that exist; no environment
  gets one task name from two features;
* there is one environment per Python of the variant matrix (read through
  ``tools/variants.py``), pinned to that Python, and the numpy-oldest/numpy-newest
  environments sit at the two ends of the matrix and of pyproject.toml's NumPy range;
* the build/run/test/bench features carry pyproject.toml's requirements.

Command line::

    python tools/check_pixi.py    # prints every problem; exit status 1 if there are any
"""

from __future__ import annotations

import argparse
import ast
import re
import shlex
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from packaging.requirements import Requirement

from variants import REPO_ROOT, Variant, load_variants

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

MANIFEST = REPO_ROOT / "pixi.toml"
PYPROJECT = REPO_ROOT / "pyproject.toml"

# Python modules run with `python -m` or imported by `python -c`, and the conda package
# that provides each. A module missing here is reported, so adding a task that needs a
# new module means saying which package brings it.
MODULE_PACKAGES = {
    "build": "python-build",
    "pip": "pip",
    "pytest": "pytest",
    "yaml": "pyyaml",
}
# Executables whose conda package has another name (by default an executable comes
# from the package of the same name: ruff, rattler-build, conda-smithy, ...).
EXECUTABLE_PACKAGES = {"python3": "python"}
# Commands built into deno_task_shell, the shell of pixi tasks, on every platform.
SHELL_BUILTINS = {"cat", "cd", "cp", "echo", "exit", "export", "mkdir", "mv", "pwd", "rm", "unset"}
# Tokens separating the commands of a deno_task_shell line.
OPERATORS = {"&&", "||", ";", "|", "|&"}
# pyproject.toml's optional-dependency groups, each carried by the pixi feature of
# the same name.
EXTRAS = ("test", "bench")


@dataclass(frozen=True)
class Task:
    """One task of one feature, as written in pixi.toml."""

    name: str
    feature: str  # "default" for the top-level [tasks]
    commands: tuple[tuple[str, ...], ...]  # one argv per command of the line
    depends_on: tuple[tuple[str, str | None], ...]  # (task, environment or None)
    default_environment: str | None


def load_manifest(path: Path = MANIFEST) -> dict:
    """Parse pixi.toml."""
    with path.open("rb") as handle:
        return tomllib.load(handle)


def _features(manifest: dict) -> dict[str, dict]:
    """All features by name, the top level of the manifest being the ``default`` one."""
    return {"default": manifest, **manifest.get("feature", {})}


def _with_targets(feature: dict, key: str) -> Iterator[tuple[str, object]]:
    """Items of ``feature[key]`` and of the same table under every ``target.<selector>``."""
    yield from feature.get(key, {}).items()
    for target in feature.get("target", {}).values():
        yield from target.get(key, {}).items()


def environments(manifest: dict) -> dict[str, list[str]]:
    """Feature names of every environment, the default feature included where pixi adds it."""
    result = {}
    for name, value in manifest.get("environments", {}).items():
        table = {"features": value} if isinstance(value, list) else value
        default = [] if table.get("no-default-feature", False) else ["default"]
        result[name] = default + list(table.get("features", []))
    result.setdefault("default", ["default"])
    return result


def packages(manifest: dict, environment: str) -> set[str]:
    """Names of the conda and PyPI packages the features of ``environment`` ask for.

    Platform-specific dependencies count on every platform: a task that needs one
    on another platform is not told apart (no task here does).
    """
    features = _features(manifest)
    names = set()
    for feature in environments(manifest)[environment]:
        for key in ("dependencies", "pypi-dependencies"):
            names.update(name.lower() for name, _ in _with_targets(features[feature], key))
    return names


def _split_commands(cmd: str | list[str]) -> tuple[tuple[str, ...], ...]:
    """Split a task command into the argv of each command it runs."""
    if isinstance(cmd, list):
        return (tuple(cmd),)
    lexer = shlex.shlex(cmd, posix=True, punctuation_chars=";&|")
    lexer.whitespace_split = True
    commands, current = [], []
    for token in lexer:
        if token in OPERATORS:
            commands.append(tuple(current))
            current = []
        else:
            current.append(token)
    commands.append(tuple(current))
    # `VAR=value cmd` sets a variable for cmd: the command itself starts after it.
    return tuple(
        tuple(argv[next((i for i, t in enumerate(argv) if "=" not in t), len(argv)) :])
        for argv in commands
        if argv
    )


def tasks(manifest: dict) -> list[Task]:
    """Every task of every feature, target-specific ones included."""
    result = []
    for feature_name, feature in _features(manifest).items():
        for name, value in _with_targets(feature, "tasks"):
            if isinstance(value, str):
                value = {"cmd": value}
            elif isinstance(value, list):  # an alias: a list of depends-on entries
                value = {"depends-on": value}
            depends = value.get("depends-on", [])
            depends = depends if isinstance(depends, list) else [depends]
            result.append(
                Task(
                    name=name,
                    feature=feature_name,
                    commands=_split_commands(value["cmd"]) if "cmd" in value else (),
                    depends_on=tuple(
                        (d, None) if isinstance(d, str) else (d["task"], d.get("environment"))
                        for d in depends
                    ),
                    default_environment=value.get("default-environment"),
                )
            )
    return result


def _project_packages(repo_root: Path) -> set[str]:
    """Import names of this repository's own packages (src layout)."""
    return {p.parent.name for p in (repo_root / "src").glob("*/__init__.py")}


def _module_problem(module: str, provided: set[str], own: set[str]) -> str | None:
    top = module.split(".")[0]
    if top in own:
        return None
    package = MODULE_PACKAGES.get(top)
    if package is None:
        return f"module {top!r} is not in check_pixi.MODULE_PACKAGES"
    if package not in provided:
        return f"module {top!r} needs the conda package {package!r}, absent from the environment"
    return None


def _imported_modules(code: str) -> list[str]:
    """Modules that a piece of Python source imports."""
    modules = []
    for node in ast.walk(ast.parse(code)):
        if isinstance(node, ast.Import):
            modules += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.append(node.module)
    return modules


def _script(args: tuple[str, ...]) -> str | None:
    """Return the script a ``python`` command runs: its first argument not an option."""
    return next((a for a in args if not a.startswith("-")), None)


def _python_problems(args: tuple[str, ...], provided: set[str], repo_root: Path) -> list[str]:
    own = _project_packages(repo_root)
    if len(args) >= 2 and args[0] == "-m":
        modules = [args[1]]
    elif len(args) >= 2 and args[0] == "-c":
        modules = _imported_modules(args[1])
    else:
        script = _script(args)
        if script is None:
            return ["python is run without a script, -m or -c"]
        return [] if (repo_root / script).is_file() else [f"script {script!r} does not exist"]
    return [p for m in modules if (p := _module_problem(m, provided, own))]


def _is_repo_path(token: str) -> bool:
    """Whether an argument names a path of the repository that must already exist."""
    return (
        "/" in token
        and not token.startswith(("-", "/"))
        and not any(marker in token for marker in ("$", "{{", "://", "*"))
    )


def command_problems(argv: tuple[str, ...], provided: set[str], repo_root: Path) -> list[str]:
    """List what is wrong with one command of a task in an environment providing ``provided``."""
    program, args = argv[0], argv[1:]
    problems = []
    checked = set()
    if program.startswith("./"):
        if not (repo_root / program).is_file():
            problems.append(f"program {program!r} does not exist")
    elif (
        program not in SHELL_BUILTINS and EXECUTABLE_PACKAGES.get(program, program) not in provided
    ):
        problems.append(f"executable {program!r} comes from no package of the environment")
    if program in ("python", "python3"):
        problems += _python_problems(args, provided, repo_root)
        checked.add(_script(args))
    problems += [
        f"path {token!r} does not exist"
        for token in args
        if token not in checked and _is_repo_path(token) and not (repo_root / token).exists()
    ]
    return problems


def task_problems(manifest: dict, repo_root: Path = REPO_ROOT) -> list[str]:
    """Tasks that would not run: missing programs, files, modules, tasks or environments."""
    envs = environments(manifest)
    all_tasks = tasks(manifest)
    problems = []
    for env, features in envs.items():
        defined = [t for t in all_tasks if t.feature in features]
        for name in sorted({t.name for t in defined}):
            owners = sorted({t.feature for t in defined if t.name == name})
            if len(owners) > 1:
                problems.append(
                    f"environment {env!r}: task {name!r} is defined by several features {owners}"
                )
    for task in all_tasks:
        homes = [env for env, features in envs.items() if task.feature in features]
        if not homes:
            problems.append(f"task {task.name!r} of feature {task.feature!r} is in no environment")
        for env in homes:
            where = f"task {task.name!r} ({task.feature}) in environment {env!r}"
            env_tasks = {t.name for t in all_tasks if t.feature in envs[env]}
            provided = packages(manifest, env)
            for argv in task.commands:
                problems += [f"{where}: {p}" for p in command_problems(argv, provided, repo_root)]
            for dep, dep_env in task.depends_on:
                if dep_env is not None and dep_env not in envs:
                    problems.append(f"{where}: depends on unknown environment {dep_env!r}")
                    continue
                names = (
                    env_tasks
                    if dep_env is None
                    else {t.name for t in all_tasks if t.feature in envs[dep_env]}
                )
                if dep not in names:
                    problems.append(f"{where}: depends on {dep!r}, which it cannot reach")
        if task.default_environment is not None and task.default_environment not in homes:
            problems.append(
                f"task {task.name!r} ({task.feature}): default-environment "
                f"{task.default_environment!r} is not an environment that has it"
            )
    return problems


def _pins(manifest: dict, environment: str, package: str) -> list[str]:
    """Return the version specs of ``package`` set by the features of ``environment``."""
    features = _features(manifest)
    return [
        spec if isinstance(spec, str) else spec.get("version", "*")
        for feature in environments(manifest)[environment]
        for name, spec in features[feature].get("dependencies", {}).items()
        if name == package
    ]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _pyproject() -> dict:
    with PYPROJECT.open("rb") as handle:
        return tomllib.load(handle)


def _numpy_floor(pyproject: dict) -> str | None:
    """X.Y of pyproject.toml's ``numpy>=X.Y``."""
    for req in map(Requirement, pyproject["project"]["dependencies"]):
        if req.name == "numpy":
            for spec in req.specifier:
                if spec.operator == ">=":
                    return spec.version
    return None


def matrix_problems(
    manifest: dict, variants: list[Variant], pyproject: dict | None = None
) -> list[str]:
    """Python environments that differ from the variant matrix or from pyproject.toml."""
    pyproject = pyproject if pyproject is not None else _pyproject()
    envs = environments(manifest)
    problems = []
    expected = {v.tag: f"{v.python}.*" for v in variants}
    present = {name for name in envs if re.fullmatch(r"py\d+", name)}
    if present != set(expected):
        problems.append(
            f"Python environments {sorted(present)} differ from the variant matrix "
            f"{sorted(expected)} (recipe/conda_build_config.yaml)"
        )
    pythons = sorted({v.python for v in variants}, key=_version_key)
    floor = _numpy_floor(pyproject)
    # environment -> the pins it must have
    wanted = {tag: {"python": spec} for tag, spec in expected.items() if tag in present}
    wanted["numpy-oldest"] = {"python": f"{pythons[0]}.*", "numpy": f"{floor}.*"}
    wanted["numpy-newest"] = {"python": f"{pythons[-1]}.*"}
    for env, pins in wanted.items():
        if env not in envs:
            problems.append(f"environment {env!r} is missing")
            continue
        problems += [
            f"environment {env!r} does not pin {package} {spec} (its pins: {have})"
            for package, spec in pins.items()
            if spec not in (have := _pins(manifest, env, package))
        ]
    return problems


def _conda_spec(requirement: Requirement) -> str:
    return str(requirement.specifier) or "*"


def dependency_problems(manifest: dict, pyproject: dict | None = None) -> list[str]:
    """Features whose packages differ from the requirements in pyproject.toml."""
    pyproject = pyproject if pyproject is not None else _pyproject()
    features = _features(manifest)
    groups = {
        "build": pyproject["build-system"]["requires"],
        "run": pyproject["project"]["dependencies"],
    } | {extra: pyproject["project"]["optional-dependencies"][extra] for extra in EXTRAS}
    problems = []
    for feature, requirements in groups.items():
        have = {
            name.lower(): spec if isinstance(spec, str) else spec.get("version", "*")
            for name, spec in features.get(feature, {}).get("dependencies", {}).items()
        }
        for req in map(Requirement, requirements):
            name = req.name.lower()
            if have.get(name) != _conda_spec(req):
                problems.append(
                    f"feature {feature!r}: {name} is {have.get(name)!r} in pixi.toml, "
                    f"{_conda_spec(req)!r} in pyproject.toml"
                )
    return problems


def all_problems(manifest: dict) -> list[str]:
    """Every problem of the three kinds above."""
    return (
        task_problems(manifest)
        + matrix_problems(manifest, load_variants())
        + dependency_problems(manifest)
    )


def report(problems: list[str], subject: object) -> int:
    """Print the problems found in ``subject``; the exit status: 1 if there are any."""
    for problem in problems:
        print(problem)
    print(f"{subject}: {len(problems)} problem(s)")
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    """Print the problems of pixi.toml (or of the given manifest) and return 1 if any."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("manifest", nargs="?", type=Path, default=MANIFEST)
    args = parser.parse_args(argv)
    return report(all_problems(load_manifest(args.manifest)), args.manifest.name)


if __name__ == "__main__":
    sys.exit(main())
