#!/usr/bin/env bash
# Run the benchmark suite the way the README's table was made: the peers from
# benchmarks/requirements.txt, then chemlib twice, as built for the x86-64
# baseline (what the .venv and wheels hold) and for x86-64-v3 (AVX2/FMA, what
# the conda package's microarch variant holds), each run timing the peers in
# the same process. Writes benchmarks/results/<build>/ and prints the table.
# Extra arguments go to benchmarks/run.py (e.g. --quick, --only rdf).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
python -m pip install --quiet -r benchmarks/requirements.txt
v3="$repo_root/.cache/chemlib-x86-64-v3"
rm -rf "$v3"
printf '\n==> building chemlib for x86-64-v3 into %s\n' "$v3"
CFLAGS="-march=x86-64-v3" FFLAGS="-march=x86-64-v3" \
    python -m pip install --quiet --no-build-isolation --no-deps --target "$v3" .
printf '\n==> benchmarks, x86-64 baseline build\n'
python benchmarks/run.py --label x86-64 --output benchmarks/results/x86-64 "$@"
printf '\n==> benchmarks, x86-64-v3 build\n'
PYTHONPATH="$v3" python benchmarks/run.py --label x86-64-v3 --output benchmarks/results/x86-64-v3 "$@"
printf '\n==> README table\n'
python benchmarks/table.py benchmarks/results/x86-64-v3/benchmarks.json benchmarks/results/x86-64/benchmarks.json
