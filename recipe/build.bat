@echo on
setlocal enabledelayedexpansion

:: C with clang-cl (from the `clang` build requirement), Fortran with flang:
:: both then use LLVM's OpenMP runtime (llvm-openmp), where MSVC's cl would
:: bring its own (vcomp) beside flang's.
set "CC=clang-cl"

:: -Dblas=blas -Dlapack=lapack: the netlib-ABI libblas/liblapack of the host
:: environment, so the BLAS implementation is chosen at install time.
%PYTHON% -m pip install . -vv --no-deps --no-build-isolation ^
    -Cbuilddir=builddir ^
    -Csetup-args=-Dblas=blas ^
    -Csetup-args=-Dlapack=lapack
if %ERRORLEVEL% neq 0 (type builddir\meson-logs\meson-log.txt && exit 1)
