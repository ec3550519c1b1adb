"""The README stays true: its opening commands, CI's use of them, its example."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
README = (REPO_ROOT / "README.md").read_text()


def code_blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def opening_commands() -> list[str]:
    first = code_blocks("bash")[0]
    return [line.split("#")[0].strip() for line in first.splitlines() if line.strip()]


def test_readme_opens_with_the_build_and_the_test_command():
    assert opening_commands() == ["bash tools/build-conda.sh", "bash tools/test.sh"]
    for command in opening_commands():
        assert (REPO_ROOT / command.split()[1]).is_file()


def test_ci_runs_the_readme_test_command_word_for_word():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    test_command = opening_commands()[1]
    assert re.search(rf"^{re.escape(test_command)}$", ci, flags=re.M)


def test_python_example_runs(tmp_path):
    example = code_blocks("python")[0]
    completed = subprocess.run(
        [sys.executable, "-c", example], cwd=tmp_path, capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("chemlib-kernels ")


def test_api_table_lists_every_public_function():
    import chemlib

    for name in chemlib.__all__:
        if name != "__version__":
            assert f"`{name}(" in README, f"{name} is missing from the README's API table"


def test_precision_table_bounds_every_kernel():
    import chemlib

    section = README.split("## Precision", 1)[1].split("\n## ", 1)[0]
    table = "\n".join(line for line in section.splitlines() if line.startswith("| `"))
    for name in chemlib.__all__:
        if name not in ("__version__", "show_config"):
            assert f"`{name}" in table, f"{name} has no row in the README's precision table"
