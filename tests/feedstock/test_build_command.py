"""The main job builds with the documented ``rattler-build build`` command line, as rattler-build.

The README shows the command line; tools/conda_build.py prints and carries out
exactly that one (tools/condajob/build.py, in-process with py-rattler-build, as
no rattler-build binary can be installed here). Rendering that command line
through py-rattler-build's copy of rattler-build's own CLI entry point
(``rattler_build.build_recipes``, render only) must give the same builds, in the
same order, as the job's in-process reading of it.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from condajob.build import build_command, parse_build_command, render_command
from variants import MIGRATIONS, pinning_in_force, write_pinning

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST_CHANNEL = REPO_ROOT / ".cache" / "host-channel" / "channel"


def _readme_commands(program: str) -> list[list[str]]:
    text = (REPO_ROOT / "README.md").read_text()
    lines = re.findall(rf"^{program} build .*$", text, re.M)
    return [shlex.split(line.split("  #")[0].replace("$PWD", str(REPO_ROOT))) for line in lines]


def _cli_render(argv: list[str]) -> list[str]:
    """Build strings from rattler-build's CLI code path, render only."""
    args = parse_build_command(argv)
    script = (
        "import json, sys, warnings\n"
        "warnings.simplefilter('ignore')\n"
        "from rattler_build import build_recipes\n"
        "build_recipes(**json.loads(sys.argv[1]))\n"
    )
    kwargs = {
        "recipes": [str(REPO_ROOT / "recipe" / "recipe.yaml")],
        "variant_config": [str(p) for p in args.variant_config],
        "channel": args.channel or None,
        "render_only": True,
        "target_platform": args.target_platform,
        "output_dir": "/nonexistent-render-only",
    }
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(kwargs)],
        capture_output=True, text=True, cwd=REPO_ROOT, check=True,
    )  # fmt: skip
    return [item["recipe"]["build"]["string"] for item in json.loads(done.stdout)]


def _job_render(argv: list[str]) -> list[str]:
    return [r.recipe.to_dict()["build"]["string"] for r in render_command(argv)]


def test_readme_shows_the_main_jobs_build_command(host_channel) -> None:
    documented = [c for c in _readme_commands("rattler-build") if "host-channel" in " ".join(c)]
    assert len(documented) == 1, documented
    job = build_command(host_channel.pinning, [host_channel.path.as_uri()], REPO_ROOT / "output")
    assert documented[0][:2] == ["rattler-build", "build"]
    assert [a.replace(str(REPO_ROOT) + "/", "") for a in documented[0]] == [
        a.replace(str(REPO_ROOT) + "/", "") for a in job
    ]


def test_host_channel_command_renders_as_rattler_builds_cli(host_channel) -> None:
    argv = build_command(host_channel.pinning, [host_channel.path.as_uri()], REPO_ROOT / "output")
    assert _job_render(argv) == _cli_render(argv)
    assert len(_job_render(argv)) == 2 * len(host_channel.pythons)  # two microarch levels


@pytest.mark.parametrize("platform", ["linux-64", "osx-arm64", "win-64"])
def test_conda_forge_command_renders_as_rattler_builds_cli(reference, platform, tmp_path) -> None:
    pinning = reference / "conda-forge-pinning-conda_build_config.yaml"
    combined = write_pinning(pinning_in_force(pinning, platform, MIGRATIONS), tmp_path / "p.yaml")
    argv = build_command(combined, [], tmp_path / "output")  # channels: channel_sources
    argv += ["--target-platform", platform]
    assert _job_render(argv) == _cli_render(argv)


def test_documented_conda_forge_commands_take_the_pinning_in_force() -> None:
    rattler = [c for c in _readme_commands("rattler-build") if "host-channel" not in " ".join(c)]
    conda = _readme_commands("conda")
    assert rattler
    assert conda
    for command in [*rattler, *conda]:
        assert "pinning.yaml" in command, command
        assert "recipe" in command


@pytest.mark.parametrize(
    "extra", [["--no-test"], ["--variant", "python=3.12"], ["--ignore-recipe-variants"]]
)
def test_options_the_job_does_not_carry_out_are_refused(extra) -> None:
    argv = ["rattler-build", "build", "--recipe", "recipe", *extra]
    with pytest.raises(ValueError, match="does not carry out"):
        parse_build_command(argv)
