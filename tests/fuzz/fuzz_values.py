"""Random argument values for the fuzz builders (fuzz_calls.py, fuzz_trajectory_calls.py).

Mostly small and plausible, so that calls get past the first check, with
shapes, dtypes, memory layouts and values drawn to reach every check and
every kernel path: wrong shapes and dtypes, Fortran order, strided, reversed
and read-only views, nested lists, NaN, infinity, subnormal and huge numbers,
degenerate and extreme boxes, cutoffs, masses, weights and ``result=`` arrays.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

# The builders' registries (fuzz_calls.py, fuzz_trajectory_calls.py): a public
# name -> (its builder of keyword arguments, its relative frequency).
Builders = dict[str, tuple[Callable[[np.random.Generator], dict[str, Any]], float]]

TOP = float(np.finfo(np.float64).max)
SPECIAL_FLOATS = (
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    2.2250738585072014e-308,
    1e-300,
    1e-200,
    1e-90,
    1e-12,
    0.5,
    1.0,
    -1.0,
    3.0,
    60.0,
    90.0,
    120.0,
    180.0,
    1e12,
    1e90,
    1e150,
    1e154,
    1e200,
    1e300,
    TOP,
    -TOP,
    math.nan,
    math.inf,
    -math.inf,
)
# Cells people simulate in (orthorhombic, monoclinic, rhombic dodecahedron,
# truncated octahedron) and flat or sheared ones near the limits of the checks.
ANGLE_SETS = (
    (90.0, 90.0, 90.0),
    (90.0, 100.0, 90.0),
    (60.0, 60.0, 90.0),
    (70.5287794, 109.4712206, 70.5287794),
    (89.9999, 90.0, 90.0),
    (1e-4, 90.0, 90.0),
    (179.9, 90.0, 90.0),
    (60.0, 60.0, 120.0),
    (45.0, 45.0, 45.0),
)


def pick(rng: np.random.Generator, options: list[tuple[float, Callable[[], Any]]]) -> Any:
    """Call one of the options, chosen with the given weights."""
    weights = np.array([weight for weight, _ in options])
    choice = rng.choice(len(options), p=weights / weights.sum())
    return options[choice][1]()


def special(rng: np.random.Generator) -> float:
    """One of SPECIAL_FLOATS, with either sign."""
    value = SPECIAL_FLOATS[rng.integers(len(SPECIAL_FLOATS))]
    return -value if rng.random() < 0.2 else value


def atom_count(rng: np.random.Generator) -> int:
    """Mostly a handful of atoms; sometimes none, sometimes enough for the threaded paths."""
    return pick(
        rng,
        [
            (5, lambda: 0),
            (10, lambda: 1),
            (25, lambda: int(rng.integers(2, 5))),
            (45, lambda: int(rng.integers(5, 17))),
            (13, lambda: int(rng.integers(17, 300))),
            (2, lambda: int(rng.integers(300, 2500))),
        ],
    )


def float_values(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """float64 values of one of several regimes: ordinary, extreme, special or sprinkled."""
    with np.errstate(all="ignore"):
        values = pick(
            rng,
            [
                (30, lambda: rng.normal(0.0, 10.0, shape)),
                (15, lambda: rng.uniform(-5.0, 35.0, shape)),
                (10, lambda: rng.normal(0.0, 1.0, shape) * 10.0 ** float(rng.integers(-330, 309))),
                (5, lambda: rng.integers(-3, 4, shape).astype(np.float64)),
                (5, lambda: np.full(shape, special(rng))),
                (
                    20,
                    lambda: np.where(
                        rng.random(shape) < rng.uniform(0.0, 0.5),
                        rng.choice(SPECIAL_FLOATS, shape),
                        rng.normal(0.0, 10.0, shape),
                    ),
                ),
                (15, lambda: rng.choice(SPECIAL_FLOATS, shape)),
            ],
        )
    return np.asarray(values, dtype=np.float64)


def with_dtype(rng: np.random.Generator, values: np.ndarray) -> Any:
    """values in a dtype: float64 mostly, float32, integers, or one the API refuses."""
    with np.errstate(all="ignore"):
        return pick(
            rng,
            [
                (75, lambda: values),
                (12, lambda: values.astype(np.float32)),
                (4, lambda: np.nan_to_num(values).clip(-1e9, 1e9).astype(np.int64)),
                (2, lambda: np.nan_to_num(values).clip(-1e3, 1e3).astype(np.int32)),
                (1, lambda: np.nan_to_num(values).clip(0, 255).astype(np.uint8)),
                (1, lambda: values > 0),
                (1, lambda: values.astype(np.complex128)),
                (1, lambda: values.astype(object)),
                (1, lambda: values.astype(str)),
                (1, lambda: np.array(values, dtype=np.float16)),
                (1, lambda: values.astype(np.longdouble)),
            ],
        )


def with_layout(rng: np.random.Generator, array: Any) -> Any:
    """The same values in another memory layout, or as nested lists."""
    if not isinstance(array, np.ndarray):
        return array

    def strided() -> np.ndarray:
        doubled = np.repeat(array, 2, axis=0) if array.ndim else array
        return doubled[::2] if array.ndim else doubled

    def read_only() -> np.ndarray:
        view = array.view()
        view.flags.writeable = False
        return view

    def reversed_twice() -> np.ndarray:
        return array[::-1].copy()[::-1] if array.ndim else array

    return pick(
        rng,
        [
            (60, lambda: array),
            (10, lambda: np.asfortranarray(array)),
            (10, strided),
            (5, reversed_twice),
            (10, read_only),
            (5, lambda: array.tolist()),
        ],
    )


def array_argument(rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
    """An array of the given shape in a random regime, dtype and layout."""
    return with_layout(rng, with_dtype(rng, float_values(rng, shape)))


def coordinates(rng: np.random.Generator, n: int) -> Any:
    """(n, 3) positions, now and then of a wrong shape, or None."""
    shape = pick(
        rng,
        [
            (92, lambda: (n, 3)),
            (2, lambda: (n,)),
            (2, lambda: (n, int(rng.choice([0, 1, 2, 4])))),
            (1, lambda: (n, 3, 1)),
            (1, lambda: ()),
            (1, lambda: (3,)),
        ],
    )
    if rng.random() < 0.005:
        return None
    return array_argument(rng, shape)


def box(rng: np.random.Generator) -> Any:
    """None, a box people use, a box at or beyond the bounds, or random numbers."""

    def plausible() -> np.ndarray:
        lengths = rng.uniform(5.0, 50.0, 3)
        return np.r_[lengths, ANGLE_SETS[rng.integers(len(ANGLE_SETS))]]

    def extreme() -> np.ndarray:
        lengths = 10.0 ** rng.uniform(-95.0, 95.0, 3) * rng.choice([1.0, 1e-10, 1e10], 3)
        return np.r_[lengths, ANGLE_SETS[rng.integers(len(ANGLE_SETS))]]

    def random_numbers() -> np.ndarray:
        values = float_values(rng, (6,))
        if rng.random() < 0.5:
            values[3:] = rng.uniform(0.0, 180.0, 3)
        return values

    value = pick(
        rng,
        [
            (25, lambda: None),
            (35, plausible),
            (10, extreme),
            (20, random_numbers),
            (3, lambda: float_values(rng, (int(rng.choice([3, 5, 7, 9])),))),
            (2, lambda: float_values(rng, (2, 6))),
        ],
    )
    return value if value is None else with_layout(rng, with_dtype(rng, value))


def number(rng: np.random.Generator, typical: Callable[[], float]) -> Any:
    """A cutoff-like scalar: typical, special, another numeric type, or not a number."""
    return pick(
        rng,
        [
            (55, typical),
            (25, lambda: special(rng)),
            (5, lambda: int(rng.integers(-2, 20))),
            (5, lambda: np.float32(typical())),
            (3, lambda: np.float64(special(rng))),
            (2, lambda: True),
            (2, lambda: "3.0"),
            (2, lambda: None),
            (1, lambda: np.array([typical()])),
        ],
    )


def weights(rng: np.random.Generator, n: int, allow_none: bool = True) -> Any:
    """Masses or weights for n atoms: ordinary, special, extreme, negative, or misshapen."""

    def constant() -> np.ndarray:
        return np.full(n, rng.choice([5e-324, 1e-310, 1e-300, 1e300, 1e308, TOP, 0.0, 1.0]))

    value = pick(
        rng,
        [
            (20 if allow_none else 0, lambda: None),
            (35, lambda: rng.uniform(0.5, 20.0, n)),
            (15, lambda: np.abs(float_values(rng, (n,)))),
            (10, constant),
            (5, lambda: float_values(rng, (n,))),
            (5, lambda: rng.uniform(0.5, 20.0, n + 1 if n == 0 or rng.random() < 0.5 else n - 1)),
            (3, lambda: rng.uniform(0.5, 20.0, (n, 1))),
            (2, lambda: -rng.uniform(0.5, 20.0, n)),
        ],
    )
    return value if value is None else with_layout(rng, with_dtype(rng, np.asarray(value)))


def result_array(rng: np.random.Generator, shape: tuple[int, ...]) -> Any:
    """None, a correct output array, or one the API refuses."""

    def read_only() -> np.ndarray:
        out = np.empty(shape)
        out.flags.writeable = False
        return out

    def non_contiguous() -> np.ndarray:
        return np.empty((*shape[:-1], 2 * shape[-1]))[..., ::2] if shape else np.empty(())

    return pick(
        rng,
        [
            (50, lambda: None),
            (25, lambda: np.empty(shape)),
            (4, lambda: np.empty(shape, dtype=np.float32)),
            (4, lambda: np.empty((shape[0] + 1, *shape[1:])) if shape else np.empty(1)),
            (4, non_contiguous),
            (4, read_only),
            (3, lambda: np.zeros(shape).tolist()),
            (3, lambda: np.asfortranarray(np.empty(shape))),
            (3, lambda: np.empty(shape, dtype=np.int64)),
        ],
    )


def flag(rng: np.random.Generator) -> Any:
    """True or False mostly; numpy booleans; now and then something else."""
    return pick(
        rng,
        [
            (85, lambda: bool(rng.random() < 0.5)),
            (5, lambda: np.bool_(rng.random() < 0.5)),
            (5, lambda: int(rng.integers(0, 2))),
            (5, lambda: rng.choice(["yes", None, 1.0], 1)[0]),
        ],
    )


def second_count(rng: np.random.Generator, n: int) -> int:
    """Atoms of an argument that must match n: n mostly, sometimes not."""
    return n if rng.random() < 0.9 else atom_count(rng)


def cutoff(rng: np.random.Generator) -> Any:
    """A max_cutoff-like number."""
    return number(rng, lambda: float(rng.uniform(0.1, 20.0)))


def histogram_bins(rng: np.random.Generator) -> dict[str, Any]:
    """nbins and range of an RDF: mostly valid, sometimes not a pair or out of order."""
    low = number(rng, lambda: float(rng.uniform(0.0, 3.0)))
    high = number(rng, lambda: float(rng.uniform(3.0, 15.0)))
    return {
        "nbins": number(rng, lambda: int(rng.integers(1, 200))),
        "range": pick(
            rng,
            [
                (80, lambda: (low, high)),
                (10, lambda: [low, high]),
                (5, lambda: (low,)),
                (5, lambda: low),
            ],
        ),
    }
