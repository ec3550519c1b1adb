"""One full build-install-test cycle through the host channel, with the BLAS switch.

The main job (tools/conda_build.py, run once by the ``cycle`` fixture of
conftest.py) builds one python, at each of its microarchitecture levels, with
py-rattler-build, runs the recipe's tests, indexes output/, then creates two
fresh py-rattler environments, one with netlib BLAS and the oldest NumPy, one
with OpenBLAS and the newest. Each must pass the kernel suite and load its own
libblas from inside the environment. Which build the solver installs there is
checked in test_conda_microarch.py.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.conda


def _native_environments(summary: list[dict]) -> dict[str, dict]:
    """The environments solved with this machine's own virtual packages, by label."""
    return {
        env["label"]: env for row in summary for env in row["environments"] if not env["archspec"]
    }


def test_job_succeeds_and_prints_the_table(cycle) -> None:
    job, summary, _ = cycle
    assert job.returncode == 0, job.stdout[-5000:] + job.stderr[-5000:]
    assert re.search(r"^build +time +\.conda +recipe tests", job.stdout, re.M)
    assert summary
    for row in summary:
        assert row["error"] is None, row
        assert row["recipe_test_seconds"] is not None


def test_output_is_a_channel_with_the_packages(cycle) -> None:
    _, summary, output = cycle
    repodata = json.loads((output / "linux-64" / "repodata.json").read_text())
    for row in summary:
        record = repodata["packages.conda"][row["package"]]
        assert record["name"] == "chemlib-kernels"
        assert record["version"] == (REPO_ROOT / "VERSION").read_text().strip()
        natives = {d.split()[0] for d in record["depends"]}
        assert {"libblas", "liblapack", "libgfortran5", "libgomp", "__glibc"} <= natives


def test_both_blas_implementations_pass_and_are_the_ones_loaded(cycle) -> None:
    _, summary, _ = cycle
    environments = _native_environments(summary)
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
