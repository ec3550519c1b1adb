"""Huge, tiny and subnormal magnitudes: a correct result where one exists (issue 14).

RMSD, superposition and the mass properties are homogeneous: scaling the
coordinates by s scales the RMSD, centre of mass and radius of gyration by s,
the inertia tensor by s**2, and leaves rotations and principal axes alone;
scaling the weights or masses by s changes nothing but the inertia tensor
(by s). The wrappers use this with exact powers of two where squares of the
input would leave float64's range (chemlib._arguments.power_of_two_exponent).
So the reference here is the same call at ordinary magnitudes, scaled by the
power of two: exact, and the tolerance is the kernels' own error bound at
ordinary magnitudes (well within 1e-12 relative for these structures), since
the kernels may take another path (QCP or LAPACK) at another scale.
"""

from __future__ import annotations

import math

import exact_references as exact
import numpy as np
import pytest

import chemlib

# Powers of two across float64's range: below and above the window the
# wrappers rescale ([2**-400, 2**400]), at its ends, and where squares of the
# coordinates underflow (2**-520) or overflow (2**512).
EXPONENTS = [-1000, -700, -520, -401, -300, 0, 300, 401, 512, 700, 1000]
RTOL = 1e-12


@pytest.fixture
def pair(rng):
    a = rng.normal(scale=3.0, size=(25, 3))
    turn = np.linalg.qr(rng.normal(size=(3, 3)))[0]
    turn *= np.linalg.det(turn)
    b = a @ turn.T + rng.normal(scale=0.2, size=a.shape)
    weights = rng.uniform(1.0, 16.0, len(a))
    return a, b, weights


@pytest.mark.parametrize("exponent", EXPONENTS)
@pytest.mark.parametrize("superposition", [True, False])
@pytest.mark.parametrize("center", [True, False])
def test_rmsd_scales_with_the_coordinates(pair, exponent, superposition, center):
    a, b, weights = pair
    expected = chemlib.rmsd(a, b, weights, center=center, superposition=superposition)
    value = chemlib.rmsd(
        np.ldexp(a, exponent), np.ldexp(b, exponent), weights, center, superposition
    )
    assert value == pytest.approx(np.ldexp(expected, exponent), rel=RTOL, abs=0)


@pytest.mark.parametrize("exponent", EXPONENTS)
def test_rotation_matrix_is_the_same_at_every_scale(pair, exponent):
    a, b, weights = pair
    rotation, value = chemlib.rotation_matrix(a, b, weights)
    scaled_rotation, scaled_value = chemlib.rotation_matrix(
        np.ldexp(a, exponent), np.ldexp(b, exponent), weights
    )
    np.testing.assert_allclose(scaled_rotation, rotation, rtol=0, atol=1e-12)
    assert scaled_value == pytest.approx(np.ldexp(value, exponent), rel=RTOL, abs=0)


@pytest.mark.parametrize("precentered", [False, True])
def test_trajectory_frames_of_every_scale_in_one_call(pair, precentered):
    # Each frame is rescaled with its own exponent (together with the reference);
    # the frames here are all scaled with the reference, one exponent per frame.
    # Scaling by a power of two is exact, so rotating about the origin
    # (precentered) scales alike.
    a, b, weights = pair
    expected = chemlib.rmsd_trajectory(a, b[np.newaxis], weights, precentered=precentered)[0]
    for exponent in EXPONENTS:
        frames = np.stack([np.ldexp(b, exponent)] * 3)
        values = chemlib.rmsd_trajectory(
            np.ldexp(a, exponent), frames, weights, precentered=precentered
        )
        np.testing.assert_allclose(values, np.ldexp(expected, exponent), rtol=RTOL, atol=0)


def test_trajectory_with_huge_frames_beside_an_ordinary_reference(pair):
    # Squares of these frames overflow: the kernel's count of non-finite sums
    # sends them to the rescaled path, while ordinary frames keep the fast one.
    a, b, _ = pair
    huge = np.ldexp(b, 600)
    values = chemlib.rmsd_trajectory(a, np.stack([b, huge, b]), superposition=False)
    plain = chemlib.rmsd_trajectory(a, np.stack([b, b]), superposition=False)
    assert values[0] == values[2] == plain[0]
    # a is negligible beside the huge frame: the centred RMSD is b's own spread.
    spread = exact.rmsd(np.zeros_like(b), b)
    assert values[1] == pytest.approx(np.ldexp(spread, 600), rel=RTOL)


def test_rmsd_beyond_float64_is_a_value_error():
    top = np.finfo(float).max
    with pytest.raises(ValueError, match=r"RMSD .* exceeds float64's range"):
        chemlib.rmsd(np.full((2, 3), top) * [[1], [-1]], np.full((2, 3), -top) * [[1], [-1]])


@pytest.mark.parametrize("name", ["rmsd", "rmsd_trajectory", "rotation_matrix"])
@pytest.mark.parametrize("scale", [5e-324, 1e-310, 2.0**-600, 1e300, 1e308])
def test_weights_of_any_scale_give_the_same_rmsd(pair, name, scale):
    # Subnormal weights whose sum would underflow, and weights whose sum would
    # overflow: only their ratios matter, and they enter the kernel rescaled.
    a, b, _ = pair
    frames = b[np.newaxis]

    def run(weights):
        if name == "rmsd":
            return chemlib.rmsd(a, b, weights, superposition=True)
        if name == "rmsd_trajectory":
            return chemlib.rmsd_trajectory(a, frames, weights)[0]
        return chemlib.rotation_matrix(a, b, weights)[1]

    # Bit-equal for powers of two; otherwise equal weights of another value
    # round differently, within the kernels' error bound.
    assert run(np.full(len(a), scale)) == pytest.approx(run(None), rel=RTOL, abs=0)


@pytest.mark.parametrize("scale", [5e-324, 1e-310, 1e300, 1e308])
def test_masses_of_any_scale_give_the_same_centre_radius_and_axes(pair, scale):
    coords, _, _ = pair
    ones, scaled = np.ones(len(coords)), np.full(len(coords), scale)
    np.testing.assert_allclose(
        chemlib.center_of_mass(coords, scaled), chemlib.center_of_mass(coords, ones), rtol=RTOL
    )
    assert chemlib.radius_of_gyration(coords, scaled) == pytest.approx(
        chemlib.radius_of_gyration(coords, ones), rel=RTOL
    )
    np.testing.assert_allclose(
        chemlib.principal_axes(coords, scaled), chemlib.principal_axes(coords, ones), atol=1e-12
    )


@pytest.mark.parametrize("exponent", EXPONENTS)
def test_mass_properties_scale_with_the_coordinates(pair, exponent):
    coords, _, masses = pair
    scaled = np.ldexp(coords, exponent)
    np.testing.assert_allclose(
        chemlib.center_of_mass(scaled, masses),
        np.ldexp(chemlib.center_of_mass(coords, masses), exponent),
        rtol=RTOL,
    )
    assert chemlib.radius_of_gyration(scaled, masses) == pytest.approx(
        np.ldexp(chemlib.radius_of_gyration(coords, masses), exponent), rel=RTOL, abs=0
    )
    np.testing.assert_allclose(
        chemlib.principal_axes(scaled, masses), chemlib.principal_axes(coords, masses), atol=1e-12
    )
    if abs(exponent) <= 500:  # the tensor itself, ~2**(2 exponent), is representable
        np.testing.assert_allclose(
            chemlib.inertia_tensor(scaled, masses),
            np.ldexp(chemlib.inertia_tensor(coords, masses), 2 * exponent),
            rtol=RTOL,
            atol=np.ldexp(
                1e-12 * np.abs(chemlib.inertia_tensor(coords, masses)).max(), 2 * exponent
            ),
        )


@pytest.mark.parametrize(
    ("exponent", "masses"), [(700, 1.0), (0, 5e-324), (-600, 1.0), (200, 1e300)]
)
def test_inertia_tensor_outside_float64_is_a_value_error(pair, exponent, masses):
    coords, _, _ = pair
    with pytest.raises(ValueError, match="masses and coords give an inertia tensor") as raised:
        chemlib.inertia_tensor(np.ldexp(coords, exponent), np.full(len(coords), masses))
    assert "normal range" in str(raised.value)


def test_moments_whose_trace_alone_overflows(pair):
    # Found by the fuzz harness: coordinates near 1.5e153 whose second moments
    # are finite but sum to infinity on the diagonal (a RuntimeWarning from
    # NumPy's trace). Scaled here so the largest diagonal moment is about 0.6
    # of float64's largest number and the trace about 1.5 of it.
    coords, _, masses = pair
    moments, _ = exact.second_moments(coords, masses)
    diagonal = [float(moments[k, k]) for k in range(3)]
    scale = math.sqrt(np.finfo(float).max / (0.5 * (max(diagonal) + sum(diagonal))))
    huge = coords * scale
    assert chemlib.radius_of_gyration(huge, masses) == pytest.approx(
        chemlib.radius_of_gyration(coords, masses) * scale, rel=RTOL
    )
    np.testing.assert_allclose(
        chemlib.principal_axes(huge, masses), chemlib.principal_axes(coords, masses), atol=1e-12
    )
    with pytest.raises(ValueError, match=r"inertia tensor of about 2\*\*1025"):
        chemlib.inertia_tensor(huge, masses)
