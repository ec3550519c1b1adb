@echo on
setlocal enabledelayedexpansion

:: Compilers come from variants.yaml: clang for C and LLVM flang for Fortran, as
:: pyoptsparse-feedstock builds, so both link LLVM's OpenMP runtime (llvm-openmp).

:: -Dblas=blas -Dlapack=lapack: the netlib-ABI libblas/liblapack of the host
:: environment, so the BLAS implementation is chosen at install time.
:: -Dopenmp=enabled: a package without OpenMP fails to configure instead of
:: shipping serial kernels.
%PYTHON% -m pip install . -vv --no-deps --no-build-isolation ^
    -Cbuilddir=builddir ^
    -Csetup-args=-Dblas=blas ^
    -Csetup-args=-Dlapack=lapack ^
    -Csetup-args=-Dopenmp=enabled
if %ERRORLEVEL% neq 0 (type builddir\meson-logs\meson-log.txt && exit 1)
