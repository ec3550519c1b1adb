"""Check pixi.toml against the repository it lives in.

pixi cannot run where this project's own CI runs (no conda channel is reachable
there), so this checks what can be checked without solving an environment:

* every task runs something that exists: a file or directory of the repository, a
  package of this project, or an executable or Python module that a conda package
  of each environment having the task provides; ``depends-on`` and
  ``default-environment`` name tasks and environments that exist; no environment
  gets one task name from two features;
* there is one environment per Python of the variant matrix (what a pinning in
  force renders, through ``tools/variants.py``), pinned to that Python (and to its
  free-threaded build), and the numpy-oldest/numpy-newest environments sit at the
  two ends of the matrix and of pyproject.toml's NumPy range;
* every environment that builds chemlib finds BLAS and LAPACK on every platform it
  lists: meson's ``auto`` lookup (meson.build) meets a pkg-config file that the
  environment's packages ship there (facts from the feedstocks, below);
* the build/run/test/bench features carry pyproject.toml's requirements.

Command line::

    python tools/check_pixi.py --pinning FILE [--migrations DIR] [manifest]
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

from variants import MIGRATIONS, REPO_ROOT, Variant, load_variants

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
# Options whose value a command writes: the path need not exist before, and the
# tasks that depend on this one may read it.
OUTPUT_OPTIONS = {"--write", "--out", "--output-dir", "--outdir"}
# pyproject.toml's optional-dependency groups, each carried by the pixi feature of
# the same name.
EXTRAS = ("test", "bench")

# pkg-config names conda-forge's packages ship, per BLAS implementation (libblas's
# build string) and platform family, from the feedstocks' recipes:
# - lapack-feedstock b58b0b8 recipe/meta.yaml: the netlib libblas/liblapack carry
#   blas.pc and lapack.pc on every platform;
# - blas-feedstock 5505ad3 recipe/install_blas_devel.sh: blas-devel links blas.pc,
#   cblas.pc and lapack.pc to openblas.pc for OpenBLAS on Unix only; its meta.yaml:
#   blas-devel runs `openblas` (openblas-feedstock 2f6c002 recipe/meta.yaml:
#   openblas.pc on every platform) or `mkl-devel` (intel_repack-feedstock 54d37f9
#   recipe/meta.yaml: mkl-sdl.pc on linux-64 and win-64).
LIBBLAS_PC = {"netlib": {"blas", "lapack"}}
BLAS_DEVEL_PC = {
    ("openblas", "unix"): {"blas", "lapack", "openblas"},
    ("openblas", "win"): {"openblas"},
    ("mkl", "unix"): {"mkl-sdl"},
    ("mkl", "win"): {"mkl-sdl"},
    ("netlib", "unix"): {"blas", "lapack"},
    ("netlib", "win"): {"blas", "lapack"},
}
# blas-feedstock 5505ad3 recipe/conda_build_config.yaml, blas_default_impl: what the
# solver installs when nothing asks for an implementation.
DEFAULT_BLAS = {"win-64": "mkl"}


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


def outputs(task: Task) -> set[str]:
    """Paths a task writes: the values of its commands' output options."""
    return {
        argv[i + 1]
        for argv in task.commands
        for i, token in enumerate(argv[:-1])
        if token in OUTPUT_OPTIONS
    }


def command_problems(
    argv: tuple[str, ...],
    provided: set[str],
    repo_root: Path,
    produced: frozenset[str] = frozenset(),
) -> list[str]:
    """List what is wrong with one command of a task in an environment providing ``provided``.

    ``produced`` are paths that the task's own output options or the tasks it
    depends on write: a path at or under one of them need not exist yet.
    """
    program, args = argv[0], argv[1:]
    problems = []
    written = produced | {args[i + 1] for i, t in enumerate(args[:-1]) if t in OUTPUT_OPTIONS}
    checked = {p for p in args if any(p == w or p.startswith(w.rstrip("/") + "/") for w in written)}
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
            produced = frozenset(
                path
                for t in all_tasks
                if t.feature in envs[env] and (t.name, None) in task.depends_on
                for path in outputs(t)
            )
            for argv in task.commands:
                problems += [
                    f"{where}: {p}" for p in command_problems(argv, provided, repo_root, produced)
                ]
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
    """Return the specs of ``package`` set by the features of ``environment``.

    A table spec reads ``version`` plus `` build`` when it names one:
    ``{ version = "3.14.*", build = "*_cp314t" }`` is ``"3.14.* *_cp314t"``.
    """
    features = _features(manifest)
    return [
        spec
        if isinstance(spec, str)
        else " ".join(filter(None, (spec.get("version", "*"), spec.get("build"))))
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
    # free-threaded Pythons are pinned by build string too, as the pinning selects them
    expected = {
        v.tag: f"{v.python}.*" + (f" *_cp{v.python.replace('.', '')}t" if v.freethreading else "")
        for v in variants
    }
    present = {name for name in envs if re.fullmatch(r"py\d+t?", name)}
    if present != set(expected):
        problems.append(
            f"Python environments {sorted(present)} differ from the variant matrix "
            f"{sorted(expected)} (tools/variants.py)"
        )
    pythons = sorted({v.python for v in variants if not v.freethreading}, key=_version_key)
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


def _meson_blas_lookup(meson_build: Path = REPO_ROOT / "meson.build") -> dict[str, list[str]]:
    """Return the pkg-config names meson's ``auto`` BLAS/LAPACK lookup tries, in order."""
    text = meson_build.read_text()
    return {
        kind: re.findall(r"'([^']+)'", re.search(rf"'{kind}': \[([^\]]*)\]", text)[1])
        for kind in ("blas", "lapack")
    }


def environment_platforms(manifest: dict, environment: str) -> list[str]:
    """Return the platforms an environment is solved for: the workspace's, narrowed."""
    platforms = list(manifest["workspace"]["platforms"])
    features = _features(manifest)
    for feature in environments(manifest)[environment]:
        if feature != "default" and "platforms" in features[feature]:
            platforms = [p for p in platforms if p in features[feature]["platforms"]]
    return platforms


def _blas_implementation(manifest: dict, environment: str, platform: str) -> str:
    builds = [
        spec.get("build", "")
        for feature in environments(manifest)[environment]
        for name, spec in _features(manifest)[feature].get("dependencies", {}).items()
        if name == "libblas" and isinstance(spec, dict)
    ]
    return builds[0].lstrip("*") if builds else DEFAULT_BLAS.get(platform, "openblas")


def pkg_config_names(manifest: dict, environment: str, platform: str) -> set[str]:
    """Return the BLAS/LAPACK pkg-config names an environment's packages ship on a platform."""
    implementation = _blas_implementation(manifest, environment, platform)
    family = "win" if platform.startswith("win") else "unix"
    names = set(LIBBLAS_PC.get(implementation, set()))
    if "blas-devel" in packages(manifest, environment):
        names |= BLAS_DEVEL_PC[(implementation, family)]
    return names


def blas_problems(manifest: dict) -> list[str]:
    """Environments that build chemlib where meson's auto lookup would find no BLAS or LAPACK."""
    lookup = _meson_blas_lookup()
    problems = []
    for environment, features in environments(manifest).items():
        if "compilers" not in features:
            continue
        for platform in environment_platforms(manifest, environment):
            shipped = pkg_config_names(manifest, environment, platform)
            problems += [
                f"environment {environment!r} on {platform}: none of {names} is shipped "
                f"({_blas_implementation(manifest, environment, platform)}; it has "
                f"{sorted(shipped) or 'no .pc'})"
                for kind, names in lookup.items()
                if not shipped & set(names)
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


def all_problems(manifest: dict, variants: list[Variant]) -> list[str]:
    """Every problem of the four kinds above, the matrix being ``variants``."""
    return (
        task_problems(manifest)
        + matrix_problems(manifest, variants)
        + blas_problems(manifest)
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
    parser.add_argument(
        "--pinning", type=Path, required=True, help="conda-forge's conda_build_config.yaml"
    )
    parser.add_argument("--migrations", type=Path, default=MIGRATIONS)
    args = parser.parse_args(argv)
    variants = load_variants(args.pinning, "linux-64", args.migrations)
    return report(all_problems(load_manifest(args.manifest), variants), args.manifest.name)


if __name__ == "__main__":
    sys.exit(main())
