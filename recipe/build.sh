#!/bin/bash
set -ex

# Cross-compiling: conda-forge's cross-python activation already adds its own
# cross file to MESON_ARGS; a second one names the *host* NumPy's headers,
# which meson.build reads as properties (SciPy's pattern).
if [[ "${CONDA_BUILD_CROSS_COMPILATION:-0}" == "1" ]]; then
    cat > "${SRC_DIR}/chemlib_cross_file.txt" <<EOF
[properties]
numpy-include-dir = '${SP_DIR}/numpy/_core/include'
f2py-include-dir = '${SP_DIR}/numpy/f2py/src'
EOF
    MESON_ARGS="${MESON_ARGS} --cross-file=${SRC_DIR}/chemlib_cross_file.txt"
fi

# x86_64-microarch-level's activation appends -march=x86-64-vN to CFLAGS (and
# CXXFLAGS, CPPFLAGS) but not to FFLAGS, and meson gives CPPFLAGS to C only:
# the Fortran kernels get the -march the C compiler applies, the last one.
if [[ -n "${microarch_level:-}" ]]; then
    FFLAGS="${FFLAGS} $(grep -o -- '-march=[^ ]*' <<< "${CFLAGS}" | tail -n 1)"
    export FFLAGS
fi

# -Dblas=blas -Dlapack=lapack: link the netlib-ABI libblas/liblapack of the host
# environment, so the BLAS implementation is chosen when the package is installed.
# -Dopenmp=enabled: a package without OpenMP fails to configure instead of
# shipping serial kernels.
# pip rather than scipy-feedstock's `python -m build` + split outputs: this
# recipe has a single output. ninja -v logs every compiler command line, so the
# flags each source was built with can be checked in the build log.
"${PYTHON}" -m pip install . -vv --no-deps --no-build-isolation \
    -Cbuilddir=builddir \
    -Ccompile-args=-v \
    -Csetup-args=-Dblas=blas \
    -Csetup-args=-Dlapack=lapack \
    -Csetup-args=-Dopenmp=enabled \
    -Csetup-args=${MESON_ARGS// / -Csetup-args=} \
    || (cat builddir/meson-logs/meson-log.txt && exit 1)
