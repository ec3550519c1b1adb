"""One full build-install-test cycle through the host channel, with the BLAS switch.

Runs the main job (tools/conda_build.py) as a maintainer would, for the oldest
matrix python this machine has (its oldest NumPy is the floor pyproject.toml
claims): build with py-rattler-build, the recipe's tests, output/ indexed, then
two fresh py-rattler environments, one with netlib BLAS and the oldest NumPy, one
with OpenBLAS and the newest. Each must pass the kernel suite and load its own
libblas from inside the environment.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.conda


@pytest.fixture(scope="module")
def cycle(host_channel, tmp_path_factory) -> tuple[subprocess.CompletedProcess, list[dict], Path]:
    python = min(host_channel.pythons, key=lambda v: tuple(map(int, v.split("."))))
    output = tmp_path_factory.mktemp("output")
    job = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools" / "conda_build.py"), "--channel", "host",
         "--variants", "py" + python.replace(".", ""), "--output", str(output),
         "--pytest-args", "-m 'not slow'"],
        capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    summary = output / "summary.json"
    assert summary.exists(), job.stdout + job.stderr
    return job, json.loads(summary.read_text()), output


def test_job_succeeds_and_prints_the_table(cycle) -> None:
    job, summary, _ = cycle
    assert job.returncode == 0, job.stdout[-5000:] + job.stderr[-5000:]
    assert "variant  build  .conda" in job.stdout
    (row,) = summary
    assert row["error"] is None
    assert row["recipe_test_seconds"] is not None


def test_output_is_a_channel_with_the_package(cycle) -> None:
    _, summary, output = cycle
    repodata = json.loads((output / "linux-64" / "repodata.json").read_text())
    assert summary[0]["package"] in repodata["packages.conda"]
    record = repodata["packages.conda"][summary[0]["package"]]
    assert record["name"] == "chemlib-kernels"
    assert record["version"] == (REPO_ROOT / "VERSION").read_text().strip()
    natives = {d.split()[0] for d in record["depends"]}
    assert {"libblas", "liblapack", "libgfortran5", "libgomp", "__glibc"} <= natives


def test_both_blas_implementations_pass_and_are_the_ones_loaded(cycle) -> None:
    _, summary, _ = cycle
    environments = {env["label"]: env for env in summary[0]["environments"]}
    assert set(environments) == {"numpy-oldest/netlib", "numpy-newest/openblas"}
    for label, env in environments.items():
        assert env["error"] is None, (label, env)
        assert env["passed"] > 0
        assert env["failed"] == 0
        assert env["blas"].endswith(label.split("/")[1]), env["blas"]
    oldest = environments["numpy-oldest/netlib"]["numpy"]
    newest = environments["numpy-newest/openblas"]["numpy"]
    assert tuple(map(int, oldest.split("."))) < tuple(map(int, newest.split(".")))


def test_show_config_names_each_environments_own_blas(cycle) -> None:
    _, summary, output = cycle
    tag = summary[0]["variant"]
    openblas_log = (output / "logs" / f"{tag}-numpy-newest-openblas.log").read_text()
    netlib_log = (output / "logs" / f"{tag}-numpy-oldest-netlib.log").read_text()
    # threadpoolctl, via show_config(), sees the environment's OpenBLAS only where it was asked for
    assert "numpy-newest-openblas/lib/libopenblas.so.0" in openblas_log
    assert "/lib/libopenblas.so.0" not in netlib_log
    for log in (openblas_log, netlib_log):
        assert '"problems": []' in log
