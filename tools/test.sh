#!/usr/bin/env bash
# The test command: prepares the machine (tools/setup.sh), then runs the whole
# suite against the installed chemlib: kernel tests, the NumPy range ends in
# pip venvs, configuration checks, and a conda build-install-test cycle
# through the offline host channel. Extra arguments go to pytest.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
printf '\n==> pytest tests %s\n' "$*"
# pytest exits 5 when it collected nothing; set -e turns that into a failure.
python -m pytest tests "$@"
