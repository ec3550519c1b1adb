"""The exact references' own rounding: square roots and atan2 correctly rounded."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from exact_references import rounded_atan2, rounded_sqrt


def doubles(rng: np.random.Generator, n: int, low: int = -1074, high: int = 1023) -> list[float]:
    """n positive doubles with exponents spread over [low, high], subnormals included."""
    values = rng.uniform(1.0, 2.0, n) * np.exp2(rng.integers(low, high, n).astype(float))
    return [float(v) for v in values if 0 < v < math.inf]


def test_sqrt_of_a_double_is_ieee_sqrt(rng):
    # IEEE 754 sqrt is correctly rounded, so math.sqrt is the truth here.
    for value in doubles(rng, 3000):
        assert rounded_sqrt(Fraction(value)) == math.sqrt(value), value


def test_sqrt_of_a_square_is_exact_and_midpoints_round_to_even(rng):
    for value in doubles(rng, 1000, -500, 500):
        assert rounded_sqrt(Fraction(value) ** 2) == value
    one_and_half_ulp = Fraction(2**53 + 1, 2**53)  # between 1 and its successor
    assert rounded_sqrt(one_and_half_ulp**2) == 1.0
    assert rounded_sqrt(Fraction(2**53 + 3, 2**53) ** 2) == float(Fraction(2**53 + 4, 2**53))
    with pytest.raises(ValueError, match="negative"):
        rounded_sqrt(Fraction(-1))


def test_atan2_special_values():
    assert rounded_atan2(Fraction(0), Fraction(1)) == 0.0
    assert rounded_atan2(Fraction(0), Fraction(0)) == 0.0
    assert rounded_atan2(Fraction(0), Fraction(-1)) == math.pi  # pi correctly rounded
    assert rounded_atan2(Fraction(1), Fraction(0)) == math.pi / 2  # scaling by 2 is exact
    assert rounded_atan2(Fraction(-3), Fraction(0)) == -math.pi / 2
    assert rounded_atan2(Fraction(7), Fraction(7)) == math.pi / 4
    assert rounded_atan2(Fraction(-2), Fraction(-2)) == -3 * math.pi / 4


def test_atan2_of_a_midpoint_ratio_rounds_below_it():
    # y / 2 for this subnormal y lies halfway between two doubles; atan(t) < t,
    # so the correctly rounded angle is the lower one. mpmath at 400 bits and
    # glibc 2.36 both return the upper one (round half to even of y / 2).
    half = Fraction(1e-310) / 2
    assert Fraction(float(half)) != half
    lower = math.nextafter(float(half), 0.0) if Fraction(float(half)) > half else float(half)
    assert Fraction(lower) < half < Fraction(math.nextafter(lower, 1.0))
    assert rounded_atan2(Fraction(1e-310), Fraction(2)) == lower


def test_atan2_is_within_libm_ulp_and_keeps_its_symmetries(rng):
    # An independent check: libm's atan2 (glibc, Apple's, the UCRT) is within
    # 1 ulp and almost always correctly rounded, so the two may differ by 1 ulp
    # now and then, never more (glibc 2.36: on none of these pairs, on 7 in 20000
    # with exponents of +-1000). The exact one is also odd in y and depends only
    # on the ratio, exactly.
    ys = [
        v * s for v, s in zip(doubles(rng, 2000, -60, 60), rng.choice([-1, 1], 2000), strict=False)
    ]
    xs = [
        v * s for v, s in zip(doubles(rng, 2000, -60, 60), rng.choice([-1, 1], 2000), strict=False)
    ]
    differ = 0
    for y, x in zip(ys, xs, strict=False):
        angle = rounded_atan2(Fraction(y), Fraction(x))
        assert -math.pi <= angle <= math.pi
        assert abs(angle - math.atan2(y, x)) <= math.ulp(angle), (y, x)
        differ += angle != math.atan2(y, x)
        assert rounded_atan2(Fraction(-y), Fraction(x)) == -angle
        assert rounded_atan2(Fraction(y) * 3, Fraction(x) * 3) == angle
    assert differ <= len(xs) // 100


def test_atan2_with_a_root_is_atan2_of_the_product(rng):
    for y, x, r in zip(
        doubles(rng, 300, -20, 20),
        doubles(rng, 300, -20, 20),
        doubles(rng, 300, -10, 10),
        strict=False,
    ):
        root = Fraction(r)
        assert rounded_atan2(Fraction(y), Fraction(x), root=root * root) == rounded_atan2(
            Fraction(y) * root, Fraction(x)
        )
