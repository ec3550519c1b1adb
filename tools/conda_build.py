"""Build chemlib-kernels for the variant matrix, publish it to output/, install it, test it.

The main job behind ``bash tools/build-conda.sh``:

1. pick the channels and the pinning in force: conda-forge when reachable, with
   its global pinning and the migrations in .ci_support/migrations; else the
   offline host channel (``tools/host_channel.py``) with its own pinning;
2. build with the command line a maintainer types, printed first::

       rattler-build build --recipe recipe -m <pinning> -c <channel> --output-dir output

   every variant the pinning renders (on linux-64 each at its microarchitecture
   levels) into ``output/``, an indexed channel, running the recipe's tests after
   each build (condajob/build.py carries the command line out in-process);
3. for each variant, create fresh environments from ``output/`` plus those
   channels with py-rattler, as ``conda install -c file://.../output
   chemlib-kernels`` would: oldest NumPy with netlib BLAS, newest NumPy with
   OpenBLAS; the solver must install the highest level this CPU runs; run the
   kernel tests, the linkage report and ``show_config()``. Each lower level is
   installed once more, with ``__archspec`` overridden to that level, and must
   load there (its kernel tests ran with the recipe's);
4. HPC through the solver (condajob/mpi_envs.py), for the last variant: fresh
   environments from ``chemlib-kernels mpi4py mpich h5py`` and with ``openmpi``
   instead, where ``chemlib rmsd``/``rdf`` under ``mpiexec -n 2``/``-n 3`` must
   write what the serial engine writes; ``mpich`` with ``openmpi`` must not solve;
5. print a table: build, build time, package size, tests passed; then one row
   per MPI environment and the solver's message for the mixed request.

Command line::

    python tools/conda_build.py [--variants py311,py312] [--channel auto|host|conda-forge]
                                [--output DIR] [--no-recipe-tests] [--no-env-tests]
                                [--no-mpi-envs]
                                [--pytest-args "-m 'not slow'"]

``--variants`` builds only some of the rendered variants (the command line stays
the same). Exit status 1 when any variant failed; its logs stay in ``output/logs/``.
"""

from __future__ import annotations

import argparse
import asyncio
import shlex
import sys
from pathlib import Path

from rattler.index import index_fs

from condajob.build import build_command, render_command, run_build_command
from condajob.channels import select_channels
from condajob.microarch import detected_cpu, expected_build
from condajob.mpi_envs import MpiOutcome, check_mpi_envs, mpi_table, write_mpi_summary
from condajob.report import kernel_tests, table, write_summary
from condajob.testenvs import ENV_KINDS, EnvOutcome, archspec_override, check_in_env
from hostchannel.lock import project_requirements
from variants import REPO_ROOT, Variant, variants_of

CACHE = REPO_ROOT / ".cache"
OUTPUT = REPO_ROOT / "output"


def choose_variants(requested: str | None, rendered: list[Variant]) -> list[Variant]:
    """Return the rendered variants named by ``--variants`` (tags such as ``py312``), or all."""
    if not requested:
        return rendered
    by_tag = {v.tag: v for v in rendered}
    tags = [t.strip() for t in requested.split(",") if t.strip()]
    unknown = [t for t in tags if t not in by_tag]
    if unknown:
        raise SystemExit(
            f"--variants: unknown {', '.join(unknown)}; the pinning renders {', '.join(by_tag)}"
        )
    return [by_tag[t] for t in tags]


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--variants", help="comma-separated variant tags (default: the whole matrix)"
    )
    parser.add_argument("--channel", default="auto", choices=("auto", "host", "conda-forge"))
    parser.add_argument("--output", type=Path, default=OUTPUT, help="output channel directory")
    parser.add_argument("--no-recipe-tests", action="store_true", help="skip the recipe's tests")
    parser.add_argument(
        "--no-env-tests", action="store_true", help="skip the fresh-environment tests"
    )
    parser.add_argument(
        "--no-mpi-envs", action="store_true", help="skip the MPICH/Open MPI environments"
    )
    parser.add_argument(
        "--pytest-args", default="", help="extra pytest arguments for the kernel tests"
    )
    args = parser.parse_args(argv)

    channels = select_channels(args.channel, CACHE)
    output = args.output.resolve()
    logs = output / "logs"
    command = build_command(channels.pinning, channels.build_channels, output)
    if args.no_recipe_tests:
        command += ["--test", "skip"]
    buildable = choose_variants(args.variants, variants_of(render_command(command)))
    print(f"building against {channels.kind}; the pinning in force renders:")
    for variant in buildable:
        print(f"  {variant.tag}: python {variant.python_spec}, numpy {variant.numpy}")
    print("$ " + shlex.join(command), flush=True)
    builds = run_build_command(command, logs, {v.python_spec for v in buildable})
    asyncio.run(index_fs(output, write_shards=False))
    print(f"output channel: {output.as_uri()}")

    tests: dict[str, list[EnvOutcome]] = {}
    mpi: list[MpiOutcome] = []
    if not args.no_env_tests:
        floor = project_requirements()[1]
        env_channels = [output.as_uri(), *channels.urls]
        cpu = detected_cpu()
        # The MPI environments take the newest Python with a GIL: the host
        # channel's mpi4py and h5py come from wheels that have no cp313t build.
        mpi_build = None
        for variant in buildable:
            built = [b for b in builds if b.variant == variant and b.package is not None]
            if not built:
                continue
            chosen = expected_build(built, cpu)
            if not variant.freethreading:
                mpi_build = chosen
            plan = [(chosen, env) for env in ENV_KINDS] + [
                (build, archspec_override(build.microarch_level))
                for build in built
                if build.microarch_level is not None
                and build.microarch_level < chosen.microarch_level
            ]
            for build, env in plan:
                print(f"[{build.name}] testing in a fresh environment: {env.label}", flush=True)
                outcome = check_in_env(
                    [b.package for b in built], build.package, variant, env, env_channels,
                    floor, CACHE / "conda-envs", logs, shlex.split(args.pytest_args),
                )  # fmt: skip
                tests.setdefault(build.name, []).append(outcome)
                status = "ok" if outcome.ok else f"FAILED: {outcome.error}"
                print(
                    f"[{build.name}]   installed {outcome.installed}, numpy {outcome.numpy}, "
                    f"{kernel_tests(outcome)}, BLAS from {outcome.blas}: {status}",
                    flush=True,
                )
                if outcome.gil:
                    print(f"[{build.name}]   {outcome.gil}", flush=True)
        if not args.no_mpi_envs and mpi_build is not None:
            print(f"[{mpi_build.name}] HPC through the solver: MPICH, Open MPI, both", flush=True)
            mpi = check_mpi_envs(mpi_build.package, env_channels, CACHE / "conda-envs", logs)
            write_mpi_summary(output / "mpi-summary.json", mpi)

    write_summary(output / "summary.json", builds, tests)
    print()
    print(table(builds, tests))
    if mpi:
        print()
        print(mpi_table(mpi))
        refused = [o for o in mpi if not o.expect_solve and o.message]
        for outcome in refused:
            print(f"\nthe solver's answer to {shlex.join(outcome.specs)}:\n{outcome.message}")
    failed = (
        [b.name for b in builds if b.error]
        + [name for name, outcomes in tests.items() if not all(o.ok for o in outcomes)]
        + [f"MPI environment {o.label}" for o in mpi if not o.ok]
    )
    if failed:
        print(f"\nFAILED: {', '.join(sorted(set(failed)))} (logs in {logs})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
