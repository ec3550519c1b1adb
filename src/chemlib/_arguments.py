"""Argument checks shared by every public function.

Every check runs before any compiled code, names the argument, and says what
was wrong: compiled kernels only ever see C-contiguous arrays of the right
shape, float64 but for float32 input to the kernels with float32 entries
(trajectory frames, and coordinates of calc_bonds/angles/dihedrals: see
as_float_kind), finite but for one exception. The geometry and trajectory kernels
find NaN and infinity themselves, in cache (input_screen.f90), and their
wrappers raise the same error afterwards (raise_if_non_finite): for those
memory-bound kernels a separate pass would cost up to 40% of their time.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
from numpy.typing import ArrayLike, NDArray

from chemlib._extensions import load_extension

_finite_check = load_extension("_finite_check")

FloatArray = NDArray[np.float64]
# What kernels with a float32 entry take: float32 as it is, or float64.
KernelFloatArray = NDArray[np.float32] | FloatArray

# BLAS and LAPACK take 32-bit sizes (LP64 interface).
MAX_BLAS_SIZE = 2**31 - 1

# Coordinates of the distance kernels: with |x| <= 2**510, a difference of
# two stays below 2**511 and a sum of three squared differences below 2**1024.
MAX_COORDINATE = 2.0**510

# Coordinates with max |x| in [2**-SAFE_EXPONENT, 2**SAFE_EXPONENT] keep the
# superposition and mass-property kernels inside float64's normal range: squares
# and sums of squares over 2**31 atoms (2**831 at most), and QCP's fourth powers,
# which the kernel hands to LAPACK when they leave the range. Measured, the
# kernels give correct results over [2**-520, 2**500]. Outside this window the
# wrappers scale by a power of two, exactly (see power_of_two_exponent).
SAFE_EXPONENT = 400
# Weights and masses within 2**+-WEIGHT_EXPONENT: times such coordinates,
# squared and summed, they stay within range too.
WEIGHT_EXPONENT = 64


def numeric_array(value: ArrayLike, name: str) -> np.ndarray:
    """Return value as an array of integers or floats; anything else is a TypeError."""
    if value is None:
        raise TypeError(f"{name} must be an array of numbers, got None")
    array = np.asarray(value)
    if array.dtype.kind not in "fiu":  # rejects bool, complex, object, strings
        raise TypeError(f"{name} must hold real numbers, got dtype {array.dtype}")
    return array


def require_finite(array: np.ndarray, name: str) -> None:
    """Raise naming the first NaN or infinity in a float64 array."""
    if _finite_check.all_finite(array):
        return
    bad = np.argwhere(~np.isfinite(array))[0]
    where = "" if array.ndim == 0 else f" at index {tuple(int(i) for i in bad)}"
    raise ValueError(f"{name} contains NaN or infinity{where}")


def raise_if_non_finite(non_finite: int, arrays: dict[str, np.ndarray]) -> None:
    """After a kernel that screened its own input: raise as require_finite would.

    ``non_finite`` is the kernel's count of blocks (or frames) in which it met
    a NaN or infinity, in its input or in values it formed from it; ``arrays``
    maps each argument name to the array the kernel read. Only then are the
    arrays searched: a count from finite input whose differences overflowed
    raises nothing.
    """
    if non_finite:
        for name, array in arrays.items():
            require_finite(array, name)


def require_bounded(array: np.ndarray, name: str) -> None:
    """Raise if a coordinate is so large that squared distances would overflow.

    One pass over the array: for the kernels whose work grows faster than
    their input (distance matrices, pair searches), where it costs little.
    """
    if array.size and max(float(array.max()), -float(array.min())) > MAX_COORDINATE:
        raise_too_large(array, name)


def raise_too_large(array: np.ndarray, name: str) -> None:
    """Raise the error for coordinates beyond MAX_COORDINATE (or whose squares overflowed)."""
    largest = float(np.abs(array).max())
    raise ValueError(
        f"{name} holds a coordinate of magnitude {largest:.3g}, beyond {MAX_COORDINATE:.3g} "
        "(2**510): squared distances would overflow float64"
    )


def as_float_kind(array: np.ndarray, keep_float32: bool) -> KernelFloatArray:
    """Return array C-contiguous in float64, or float32 if it is so and keep_float32.

    Copied only if needed.
    """
    single = keep_float32 and array.dtype == np.float32
    return np.ascontiguousarray(array, dtype=np.float32 if single else np.float64)


def as_coordinates(
    value: ArrayLike, name: str, *, kernel_screens: bool = False, keep_float32: bool = False
) -> KernelFloatArray:
    """Return coordinates of shape (n, 3) as C-contiguous float64 (copied only if needed).

    With ``kernel_screens`` the NaN/infinity check is left to the kernel, which
    counts them in cache as it works (see raise_if_non_finite). With
    ``keep_float32`` float32 coordinates stay float32, for kernels with a
    float32 entry that widens them in cache.
    """
    array = numeric_array(value, name)
    if array.ndim != 2 or array.shape[1] != 3:
        raise ValueError(f"{name} must have shape (n, 3), got shape {array.shape}")
    array = as_float_kind(array, keep_float32)
    if not kernel_screens:
        require_finite(array, name)
    return array


def as_frames(value: ArrayLike, name: str) -> KernelFloatArray:
    """Return a trajectory of shape (n_frames, n, 3), C-contiguous.

    float32 frames stay float32: the trajectory kernel has a float32 entry
    that reads them as they are (half the memory traffic) and computes in
    float64. Any other numbers become float64. Not screened for NaN/infinity:
    the kernel counts them frame by frame as it reads them (see
    raise_if_non_finite).
    """
    array = numeric_array(value, name)
    if array.ndim != 3 or array.shape[2] != 3:
        raise ValueError(f"{name} must have shape (n_frames, n, 3), got shape {array.shape}")
    return as_float_kind(array, keep_float32=True)


def as_vector(value: ArrayLike, name: str) -> FloatArray:
    """Return a 1-D vector of finite numbers as float64."""
    array = numeric_array(value, name)
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D, got shape {array.shape}")
    array = np.ascontiguousarray(array, dtype=np.float64)
    require_finite(array, name)
    return array


def as_weights(value: ArrayLike | None, name: str, n: int) -> FloatArray:
    """Return non-negative weights (or masses) for n atoms, not all zero; None: all ones."""
    if value is None:
        return np.ones(n)
    array = as_vector(value, name)
    if array.shape != (n,):
        raise ValueError(
            f"{name} must have shape ({n},) to match the coordinates, got {array.shape}"
        )
    if (array < 0).any():
        raise ValueError(
            f"{name} must be non-negative; index {int(np.argmax(array < 0))} is negative"
        )
    if n and not (array > 0).any():
        raise ValueError(f"{name} are all zero: at least one must be positive")
    return array


def power_of_two_exponent(array: np.ndarray) -> int:
    """Return e with max |array| in [2**(e-1), 2**e); 0 for no or only zero values.

    Multiplying by 2**-e (np.ldexp) is exact unless a value drops below the
    normal range, where it is negligible beside the largest. The superposition
    and principal axes do not change under such a scaling of coordinates or
    weights, and RMSD, centre of mass, radius of gyration and inertia tensor
    change by the factor exactly: scaling is how their wrappers give correct
    results for magnitudes whose squares would leave float64's range.
    """
    if array.size == 0:
        return 0
    largest = max(float(array.max()), -float(array.min()))
    return math.frexp(largest)[1]


def unit_scaled(array: np.ndarray) -> tuple[FloatArray, int]:
    """(array * 2**-e, e), exact: weights or masses brought near 1 if they are far from it.

    For weights and masses, whose ratios alone matter to every function but
    inertia_tensor (which multiplies its result by 2**e): weights of 5e-324
    then sum to a normal number, and weights of 1e308 no longer overflow.
    Within 2**+-WEIGHT_EXPONENT of 1 they are left as they are (e = 0): no
    copy, and the kernels see exactly what they always saw.
    """
    exponent = power_of_two_exponent(array)
    if abs(exponent) <= WEIGHT_EXPONENT:
        return array, 0
    return np.ldexp(array, -exponent), exponent


def scaled_back(value: np.ndarray | float, exponent: int, what: str) -> np.ndarray:
    """Return value * 2**exponent, exactly; a ValueError saying `what` if that overflows."""
    with np.errstate(over="ignore"):
        result = np.ldexp(value, exponent)
    if not np.all(np.isfinite(result)):
        raise ValueError(f"{what} exceeds float64's range")
    return result


def same_length(name_a: str, a: np.ndarray, name_b: str, b: np.ndarray) -> None:
    """Raise unless a and b hold the same number of atoms (first dimension)."""
    if a.shape[0] != b.shape[0]:
        raise ValueError(
            f"{name_a} and {name_b} must hold the same number of atoms, "
            f"got {a.shape[0]} and {b.shape[0]}"
        )


def _finite_real(value: object, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    number = float(value)
    if not np.isfinite(number):
        raise ValueError(f"{name} must be finite, got {number!r}")
    return number


def positive_number(value: object, name: str) -> float:
    """Check a finite number > 0 (a cutoff, a distance)."""
    number = _finite_real(value, name)
    if number <= 0:
        raise ValueError(f"{name} must be > 0, got {number!r}")
    return number


def non_negative_number(value: object, name: str) -> float:
    """Check a finite number >= 0."""
    number = _finite_real(value, name)
    if number < 0:
        raise ValueError(f"{name} must be >= 0, got {number!r}")
    return number


def integer(value: object, name: str) -> int:
    """Check an integer (Python's or NumPy's, not a bool) and return it as int."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    return int(value)


def positive_integer(value: object, name: str) -> int:
    """Check an integer >= 1 (a bin count, a number of workers or blocks)."""
    number = integer(value, name)
    if number < 1:
        raise ValueError(f"{name} must be >= 1, got {number}")
    return number


def flag(value: object, name: str) -> bool:
    """Check a bool (numpy bools included); anything else is a TypeError."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {type(value).__name__}")
    return bool(value)


def interval(value: object, name: str) -> tuple[float, float]:
    """Check a (low, high) pair of finite numbers with 0 <= low < high."""
    if not isinstance(value, (Sequence, np.ndarray)):
        raise TypeError(f"{name} must be a (low, high) pair, got {type(value).__name__}")
    if len(value) != 2:
        raise ValueError(f"{name} must be a (low, high) pair, got {len(value)} values")
    low = non_negative_number(value[0], f"{name}[0]")
    high = positive_number(value[1], f"{name}[1]")
    if low >= high:
        raise ValueError(f"{name} must satisfy low < high, got ({low!r}, {high!r})")
    return low, high


def output_array(value: object, shape: tuple[int, ...], name: str = "result") -> FloatArray:
    """Check a caller-provided output: float64, exactly `shape`, C-contiguous, writeable."""
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{name} must be a numpy.ndarray, got {type(value).__name__}")
    if value.dtype != np.float64:
        raise TypeError(f"{name} must have dtype float64, got {value.dtype}")
    if value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {value.shape}")
    if not value.flags.c_contiguous:
        raise ValueError(f"{name} must be C-contiguous (e.g. from numpy.empty({shape}))")
    if not value.flags.writeable:
        raise ValueError(f"{name} must be writeable")
    return value


def blas_sized(n: int, name: str) -> None:
    """Raise if n atoms exceed what an LP64 BLAS call can address."""
    if n > MAX_BLAS_SIZE:
        raise ValueError(f"{name} holds {n} atoms; BLAS calls take at most {MAX_BLAS_SIZE}")
