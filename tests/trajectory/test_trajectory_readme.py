"""The README's section on chemlib.trajectory stays true to the code and the results."""

from __future__ import annotations

import json
import re
import shlex
import sys
from pathlib import Path

import chemlib.trajectory
from chemlib.trajectory.cli import build_parser

REPO_ROOT = Path(__file__).resolve().parents[2]
README = (REPO_ROOT / "README.md").read_text()
SECTION = README.split("## Over many processes and machines", 1)[1].split("\n## ", 1)[0]


def test_every_public_name_is_documented():
    for name in chemlib.trajectory.__all__:
        assert f"`{name}" in SECTION, f"chemlib.trajectory.{name} is missing from the README"


def test_the_readme_commands_parse():
    commands = []
    for block in re.findall(r"```bash\n(.*?)```", SECTION, flags=re.S):
        for line in block.splitlines():
            words = shlex.split(line.split("#")[0])
            if "chemlib" in words:
                commands.append(words[words.index("chemlib") + 1 :])
    assert len(commands) >= 4
    for arguments in commands:
        build_parser().parse_args(arguments)  # exits (fails the test) on a usage mistake


def test_the_scaling_table_is_the_committed_run():
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    import scaling

    record = json.loads((REPO_ROOT / "benchmarks/results/scaling/scaling.json").read_text())
    assert scaling.table(record) in README
    assert all(row.get("identical", True) for row in record["rows"])
