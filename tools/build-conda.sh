#!/usr/bin/env bash
# The main job: build the conda packages of chemlib-kernels for every variant
# the pinning in force renders (tools/variants.py) into output/, an indexed local
# channel; then install each into a fresh environment from that channel and
# run the test suite there. Against conda-forge when it is reachable, else
# offline against the host channel of shim packages (built and cached first).
# Prepares the machine with tools/setup.sh; extra arguments go to
# tools/conda_build.py (see --help), e.g. --variants py311,py312.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
printf '\n==> python tools/conda_build.py %s\n' "$*"
python tools/conda_build.py "$@"
