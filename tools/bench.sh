#!/usr/bin/env bash
# Run the benchmark suite the way the README's table was made: the peers from
# benchmarks/requirements.txt, then chemlib as built for the x86-64 baseline
# (what the .venv and wheels hold), for x86-64-v3 (AVX2/FMA, what the conda
# package's microarch level 3 holds) and, on a CPU with AVX-512, for x86-64-v4
# (a level the package does not ship yet: the README says why), each run
# timing the peers in the same process. Writes benchmarks/results/<build>/ and
# prints the table. Extra arguments go to benchmarks/run.py (e.g. --quick).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
python -m pip install --quiet -r benchmarks/requirements.txt
builds=(x86-64-v3)
grep -qw avx512f /proc/cpuinfo 2>/dev/null && builds+=(x86-64-v4)
for build in "${builds[@]}"; do
    target="$repo_root/.cache/chemlib-$build"
    rm -rf "$target"
    printf '\n==> building chemlib for %s into %s\n' "$build" "$target"
    CFLAGS="-march=$build" FFLAGS="-march=$build" \
        python -m pip install --quiet --no-build-isolation --no-deps --target "$target" .
done
printf '\n==> benchmarks, x86-64 baseline build\n'
python benchmarks/run.py --label x86-64 --output benchmarks/results/x86-64 "$@"
for build in "${builds[@]}"; do
    printf '\n==> benchmarks, %s build\n' "$build"
    PYTHONPATH="$repo_root/.cache/chemlib-$build" \
        python benchmarks/run.py --label "$build" --output "benchmarks/results/$build" "$@"
done
printf '\n==> README table\n'
# The v3 column first (its peers' times head the table), then the baseline's, then any other.
runs=(benchmarks/results/x86-64-v3/benchmarks.json benchmarks/results/x86-64/benchmarks.json)
for build in "${builds[@]:1}"; do
    runs+=("benchmarks/results/$build/benchmarks.json")
done
python benchmarks/table.py "${runs[@]}"
