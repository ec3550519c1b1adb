#!/usr/bin/env bash
# Manual run: the fuzz harness (tests/fuzz) and the kernel tests against chemlib
# built with AddressSanitizer, to catch out-of-bounds reads and writes and
# use-after-free in the C and Fortran kernels that do not crash on their own.
# Not part of tools/test.sh: the instrumented build takes a few minutes and the
# run 2-3x longer than the plain one. Needs tools/setup.sh's Debian packages
# (gcc and gfortran bring libasan).
#
#   bash tools/asan_fuzz.sh [pytest arguments]   # default: tests/fuzz tests/kernels, -q
#
# chemlib is built with meson's -Db_sanitize=address (gcc -fsanitize=address on
# the C, the f2py C and the Fortran) into its own venv, .cache/asan-venv, never
# into .venv. CPython itself is not instrumented, so libasan is preloaded into
# it, and its leak check is off: the interpreter keeps its allocations at exit
# by design. An ASan report makes the process abort (abort_on_error), which the
# fuzz harness reports with the call that was running. CHEMLIB_FUZZ_CALLS and
# CHEMLIB_FUZZ_SEED work as in tools/test.sh.
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
venv=.cache/asan-venv
python="${CHEMLIB_PYTHON:-python3}"

log() { printf '\n==> %s\n' "$*"; }

libasan="$(gcc -print-file-name=libasan.so)"
[[ -e "$libasan" ]] || { echo "no libasan.so from gcc (Debian: libasan8)" >&2; exit 1; }

if [[ ! -x "$venv/bin/python" ]]; then
    log "creating $venv with $("$python" --version)"
    "$python" -m venv "$venv"
fi
log "installing the build and test requirements into $venv"
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "meson-python>=0.18" "meson>=1.5" ninja "numpy>=2.0" \
    "pytest>=7.4" "hypothesis>=6.80" "scipy>=1.9" "threadpoolctl>=3.1" "h5py>=3.8"

log "building chemlib with -Db_sanitize=address into $venv"
# b_lundef=false: the extension modules leave libasan's symbols to the
# preloaded library, as they leave CPython's to the interpreter.
PATH="$repo_root/$venv/bin:$PATH" "$venv/bin/python" -m pip install --quiet --no-build-isolation \
    --no-deps --force-reinstall \
    -Cbuild-dir=.cache/asan-build \
    -Csetup-args=-Db_sanitize=address -Csetup-args=-Db_lundef=false .

log "pytest under AddressSanitizer (LD_PRELOAD=$libasan)"
# test_memory.py is left out by default: ASan's allocator holds freed memory in
# quarantine, so the process's resident size grows whatever chemlib does.
if (($# == 0)); then
    set -- tests/fuzz tests/kernels -q --ignore=tests/kernels/test_memory.py
fi
# The tests import the installed chemlib; run from tests/ would not change
# that, but -p no:cacheprovider keeps the instrumented run out of .pytest_cache.
LD_PRELOAD="$libasan" \
    ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:print_summary=1" \
    "$venv/bin/python" -m pytest -p no:cacheprovider "$@"
