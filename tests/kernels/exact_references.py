"""Exact references for the precision tests: rational arithmetic on the inputs.

Every float64 is a rational number, so differences, products and sums of the
inputs taken with :class:`fractions.Fraction` are exact, whatever the
cancellation. The irrational results are then rounded once, correctly: square
roots by integer square roots (:func:`rounded_sqrt`), angles by atan2 in
fixed-point integer arithmetic at a precision raised until the rounding is
certain (:func:`rounded_atan2`). Neither uses NumPy's transcendental ufuncs
(SIMD code that is accurate to a few ulp, differently on different CPUs) nor
the C library's (glibc does not aim for correct rounding: "Known Maximum Errors
in Math Functions", https://www.gnu.org/software/libc/manual/html_node/Errors-in-Math-Functions.html),
so a reference is the same float on every CPU and every NumPy, and the
kernels' errors against it are the errors the README's precision table bounds
(kernel_references.py holds the float64 textbook formulas). Slow: meant for a
few hundred atoms.
"""

from __future__ import annotations

import functools
import math
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from chemlib._box import as_cell

DIGITS = 60
# Bits kept beyond a float64's 53 in the first fixed-point attempt of rounded_atan2.
_GUARD_BITS = 64


def rational(values) -> np.ndarray:
    """The exact values of a float array, as an object array of Fractions."""
    array = np.asarray(values, dtype=float)
    return np.array([Fraction(v) for v in array.ravel()], dtype=object).reshape(array.shape)


def _binary_exponent(value: Fraction) -> int:
    """e with 2**(e - 1) < |value| < 2**(e + 1), for value != 0."""
    return abs(value.numerator).bit_length() - value.denominator.bit_length()


def _scaled_floor(value: Fraction, bits: int) -> int:
    """floor(value * 2**bits), exactly, for any sign of bits."""
    if bits >= 0:
        return (value.numerator << bits) // value.denominator
    return value.numerator // (value.denominator << -bits)


def _unscaled(units: int, bits: int) -> Fraction:
    return Fraction(units, 1 << bits) if bits >= 0 else Fraction(units << -bits)


def rounded_sqrt(value: Fraction) -> float:
    """sqrt(value) correctly rounded to float64 (round half to even), for value >= 0.

    S = isqrt(floor(value * 4**b)) is floor(sqrt(value) * 2**b) exactly, so
    sqrt(value) lies in [S, S + 1) / 2**b. float() of a Fraction rounds
    correctly (CPython's integer true division), and rounding is monotonic:
    when both ends of that interval round to the same float, so does
    sqrt(value). Otherwise the interval holds a rounding boundary and b grows.
    The loop ends: if sqrt(value) is itself a boundary it is a dyadic number,
    so at a large enough b the square root is exact (S * S == value * 4**b)
    and returned as it is.
    """
    if value < 0:
        raise ValueError(f"square root of the negative number {value}")
    if value == 0:
        return 0.0
    bits = 53 + _GUARD_BITS - _binary_exponent(value) // 2
    while True:
        root = math.isqrt(_scaled_floor(value, 2 * bits))
        low = _unscaled(root, bits)
        if low * low == value:
            return float(low)
        if float(low) == float(_unscaled(root + 1, bits)):
            return float(low)
        bits += max(bits, 64)


def _atan_series(ratio: int, bits: int) -> int:
    """atan(t) * 2**bits for t = ratio / 2**bits in [0, 1/4], by its Taylor series.

    Each term is truncated once in its power and once in its division (the
    powers' inherited errors shrink by t**2 <= 1/16 per term), so each term is
    within 4 units and the sum within 4 (K + 1) units of atan(t), K <= bits/4
    the number of terms (each gains 4 bits or more); the series stops when the
    next power truncates to 0, leaving a tail below that last term.
    """
    square = (ratio * ratio) >> bits
    power, total, k = ratio, 0, 0
    while power:
        term = power // (2 * k + 1)
        total += -term if k % 2 else term
        power = (power * square) >> bits
        k += 1
    return total


@functools.lru_cache(maxsize=64)
def _pi(bits: int) -> int:
    """pi * 2**bits within 20 (bits + 5) units: Machin, 16 atan(1/5) - 4 atan(1/239)."""
    one = 1 << bits
    return 16 * _atan_series(one // 5, bits) - 4 * _atan_series(one // 239, bits)


def _atan_unit(ratio: int, bits: int) -> int:
    """atan(t) * 2**bits for t = ratio / 2**bits in [0, 1], within 4 (bits + 7) units.

    Two halvings, t -> t / (1 + sqrt(1 + t**2)) (so atan(t) = 4 atan(t'')),
    bring t below tan(pi/16) < 1/4; each truncates twice (its square root and
    its division, 1.25 units at most) and halves the error it inherits (the
    halving's derivative is below 1/2), so t'' is within 2.2 units and, atan's
    derivative being below 1, the series within bits + 7 of atan(t'').
    """
    one = 1 << bits
    for _ in range(2):
        ratio = (ratio << bits) // (one + math.isqrt(one * one + ratio * ratio))
    return 4 * _atan_series(ratio, bits)


def _atan2_fixed(
    y_square: Fraction, x_square: Fraction, y_negative: bool, x_negative: bool, bits: int
) -> int:
    """atan2(y, x) * 2**bits within 64 * bits units, from y**2, x**2 and the signs.

    The ratio below 1 enters truncated by less than a unit; the reflections
    add pi's error (20 (bits + 5)) and half of it again, and a unit: 34 bits + 200
    units in all, below 64 bits for the precisions used here (bits > 100).
    """
    steep = y_square > x_square
    low, high = (x_square, y_square) if steep else (y_square, x_square)
    # floor(sqrt(r) * 2**bits) is isqrt(floor(r * 4**bits)): t to within 1 unit.
    angle = _atan_unit(math.isqrt(_scaled_floor(low / high, 2 * bits)), bits)
    pi = _pi(bits)
    if steep:
        angle = pi // 2 - angle
    if x_negative:
        angle = pi - angle
    return -angle if y_negative else angle


def rounded_atan2(y: Fraction, x: Fraction, root: Fraction = Fraction(1)) -> float:
    """atan2(y * sqrt(root), x) correctly rounded to float64, in [-pi, pi].

    The exact arguments go in (y and x rational, root >= 0 rational), so the
    result is the float nearest the angle they define: atan2 only needs the
    ratio of the two, and its square is rational. y == 0 gives 0 for x >= 0 and
    +pi for x < 0 (chemlib's conventions for degenerate and trans dihedrals);
    -pi is the rounding of angles a hair above it.
    The angle is computed in fixed point with 2**-b units and an error bound of
    64 b units (_atan2_fixed); when both ends of that interval round to the same
    float, that float is the correctly rounded angle, else b doubles. The loop
    ends because the angle is never a rounding boundary: atan of a nonzero
    algebraic number is transcendental (Lindemann), and 0 and pi are handled
    apart. b starts at 53 + 64 bits below the angle's leading bit.
    """
    y_square = y * y * root
    if y_square == 0:
        return 0.0 if x >= 0 else math.pi
    x_square = x * x
    small_angle = x > 0 and y_square < x_square  # |angle| ~ |y| sqrt(root) / x
    leading = _binary_exponent(y_square / x_square) // 2 if small_angle else 0
    bits = 53 + _GUARD_BITS - min(leading, 0)
    while True:
        angle = _atan2_fixed(y_square, x_square, y < 0, x < 0, bits)
        slack = 64 * bits
        low = float(Fraction(angle - slack, 1 << bits))
        if low == float(Fraction(angle + slack, 1 << bits)):
            return low
        bits *= 2


def _squared_norms(vectors: np.ndarray) -> np.ndarray:
    return (vectors * vectors).sum(axis=-1)


def minimum_images(delta: np.ndarray, box) -> np.ndarray:
    """Exact minimum images of rational displacements (k, 3) in the cell chemlib uses.

    The cell is chemlib's own float64 h (the kernels' input), taken exactly.
    The image is searched over the lattice vectors within two steps of the
    rounded fractional fold along each box vector: enough for the cells the
    precision tests use (cubic, orthorhombic, and triclinic with angles of 60
    degrees or more), not for the flat sheared cells whose minimum can lie
    further away (kernel_references.displacements searches those exhaustively).
    """
    if box is None:
        return delta
    cell = as_cell(box)
    shifts = np.array(list(np.ndindex(5, 5, 5))) - 2  # -2..2 around the fold
    images = np.empty_like(delta)
    for k, d in enumerate(delta):
        approximate = np.array([float(x) for x in d])
        trials = (np.rint(approximate @ cell.hinv) + shifts) @ cell.h
        lengths = _squared_norms(approximate - trials)
        # Float64 ranks the images; exact arithmetic decides between the
        # ones float64 cannot tell apart.
        close = np.flatnonzero(lengths <= lengths.min() * (1 + 1e-6))
        candidates = [d - rational(trials[c]) for c in close]
        images[k] = min(candidates, key=_squared_norms)
    return images


def pair_distances(a, b, box=None) -> np.ndarray:
    """Distances of corresponding rows of a and b, float64 of the exact value."""
    delta = minimum_images(rational(b) - rational(a), box)
    return np.array([rounded_sqrt(s) for s in _squared_norms(delta)])


def distance_matrix(a, b, box=None) -> np.ndarray:
    """All distances (n, m), float64 of the exact value."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    rows = np.repeat(a, len(b), axis=0)
    columns = np.tile(b, (len(a), 1))
    return pair_distances(rows, columns, box).reshape(len(a), len(b))


def angles(c1, c2, c3, box=None) -> np.ndarray:
    """Angles at c2, correctly rounded: atan2(|u x v|, u . v) of the exact bond vectors."""
    u = minimum_images(rational(c1) - rational(c2), box)
    v = minimum_images(rational(c3) - rational(c2), box)
    return np.array(
        [
            rounded_atan2(Fraction(1), x, root=s)
            for s, x in zip(_squared_norms(np.cross(u, v)), (u * v).sum(axis=1), strict=True)
        ]
    )


def dihedrals(c1, c2, c3, c4, box=None) -> np.ndarray:
    """IUPAC dihedrals, correctly rounded: atan2(|b2| b1 . (b2 x b3), (b1 x b2) . (b2 x b3)).

    Both arguments exact; an angle a hair above -pi rounds to -pi, which
    chemlib reports as +pi (its range is (-pi, pi]), and so does this.
    """
    b1 = minimum_images(rational(c2) - rational(c1), box)
    b2 = minimum_images(rational(c3) - rational(c2), box)
    b3 = minimum_images(rational(c4) - rational(c3), box)
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    phi = np.array(
        [
            rounded_atan2(triple, x, root=s)
            for triple, x, s in zip(
                (b1 * n2).sum(axis=1), (n1 * n2).sum(axis=1), _squared_norms(b2), strict=True
            )
        ]
    )
    return np.where(phi == -math.pi, math.pi, phi)


def weighted_centroid(points: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Exact weighted centroid of rational points (n, 3) with rational weights (n,)."""
    return (weights[:, None] * points).sum(axis=0) / weights.sum()


def _weights(weights, n: int) -> np.ndarray:
    return rational(np.ones(n) if weights is None else weights)


def second_moments(coords, masses) -> tuple[np.ndarray, Fraction]:
    """Exact S = sum m (r - com)(r - com)^T (as Fractions) and the total mass."""
    points, m = rational(coords), rational(masses)
    centred = points - weighted_centroid(points, m)
    return (m[:, None, None] * centred[:, :, None] * centred[:, None, :]).sum(axis=0), m.sum()


def _key_matrix(s: np.ndarray) -> np.ndarray:
    """Horn's 4x4 key matrix of a 3x3 correlation matrix (any number type)."""
    return np.array(
        [
            [s[0, 0] + s[1, 1] + s[2, 2], s[1, 2] - s[2, 1], s[2, 0] - s[0, 2], s[0, 1] - s[1, 0]],
            [s[1, 2] - s[2, 1], s[0, 0] - s[1, 1] - s[2, 2], s[0, 1] + s[1, 0], s[2, 0] + s[0, 2]],
            [s[2, 0] - s[0, 2], s[0, 1] + s[1, 0], -s[0, 0] + s[1, 1] - s[2, 2], s[1, 2] + s[2, 1]],
            [s[0, 1] - s[1, 0], s[2, 0] + s[0, 2], s[1, 2] + s[2, 1], -s[0, 0] - s[1, 1] + s[2, 2]],
        ],
        dtype=object,
    )


def _solve(matrix: list[list[Decimal]], rhs: list[Decimal]) -> list[Decimal] | None:
    """Gaussian elimination with partial pivoting; None for a singular matrix."""
    size = len(rhs)
    rows = [[*row, value] for row, value in zip(matrix, rhs, strict=True)]
    for col in range(size):
        pivot = max(range(col, size), key=lambda r: abs(rows[r][col]))
        if rows[pivot][col] == 0:
            return None
        rows[col], rows[pivot] = rows[pivot], rows[col]
        for r in range(col + 1, size):
            factor = rows[r][col] / rows[col][col]
            rows[r] = [x - factor * y for x, y in zip(rows[r], rows[col], strict=True)]
    solution = [Decimal(0)] * size
    for r in reversed(range(size)):
        known = sum(rows[r][c] * solution[c] for c in range(r + 1, size))
        solution[r] = (rows[r][size] - known) / rows[r][r]
    return solution


def _eigenvector(matrix: np.ndarray, start: np.ndarray) -> list[Fraction]:
    """The eigenvector of a symmetric matrix (Fractions) nearest start, to ~DIGITS digits.

    Rayleigh-quotient iteration in decimal arithmetic (cubically convergent,
    8 steps from a float64 start); not normalised. A repeated eigenvalue
    leaves the vector anywhere in its eigenspace.
    """
    size = len(start)
    with localcontext() as context:
        context.prec = DIGITS
        k = [[Decimal(x.numerator) / Decimal(x.denominator) for x in row] for row in matrix]
        q = [Decimal(float(x)) for x in start]
        for _ in range(8):
            norm = sum(x * x for x in q).sqrt()
            q = [x / norm for x in q]
            kq = [sum(k[i][j] * q[j] for j in range(size)) for i in range(size)]
            rayleigh = sum(a * b for a, b in zip(q, kq, strict=True))
            shifted = [
                [k[i][j] - (rayleigh if i == j else 0) for j in range(size)] for i in range(size)
            ]
            step = _solve(shifted, q)
            if step is None:
                break
            q = step
        return [Fraction(x) for x in q]


def _float64_eigenvectors(matrix: np.ndarray) -> np.ndarray:
    """Starting points for _eigenvector: LAPACK's, columns by ascending eigenvalue."""
    return np.linalg.eigh(np.array(matrix, dtype=float))[1]  # reference-guard: start only


def _top_quaternion(key: np.ndarray) -> list[Fraction]:
    """The key matrix's eigenvector of its largest eigenvalue, to ~DIGITS digits.

    A repeated eigenvalue leaves the vector anywhere in its eigenspace, where
    every choice gives the same deviation.
    """
    return _eigenvector(key, _float64_eigenvectors(key)[:, -1])


def inertia_tensor(coords, masses) -> np.ndarray:
    """The exact inertia tensor trace(S) I - S about the centre of mass (Fractions)."""
    moments, _ = second_moments(coords, masses)
    trace = moments.trace()
    return np.array(
        [[(trace if i == j else 0) - moments[i, j] for j in range(3)] for i in range(3)],
        dtype=object,
    )


def principal_axes(coords, masses) -> tuple[np.ndarray, np.ndarray]:
    """Principal moments (descending) and unit axes (rows), to ~DIGITS digits, as float64.

    Each axis is the inertia tensor's eigenvector refined from LAPACK's; its
    sign is arbitrary.
    """
    inertia = inertia_tensor(coords, masses)
    moments, axes = [], []
    for start in _float64_eigenvectors(inertia).T[::-1]:
        vector = _eigenvector(inertia, start)
        norm_squared = sum(x * x for x in vector)
        moment = (
            sum(vector[i] * inertia[i, j] * vector[j] for i in range(3) for j in range(3))
            / norm_squared
        )
        moments.append(float(moment))
        axes.append([math.copysign(rounded_sqrt(x * x / norm_squared), x) for x in vector])
    return np.array(moments), np.array(axes)


def _rotation(q: list[Fraction]) -> np.ndarray:
    """The rotation of a quaternion, exactly orthogonal (divided by |q|^2)."""
    q0, q1, q2, q3 = q
    w, x, y, z = q0 * q0, q1 * q1, q2 * q2, q3 * q3
    r = np.array(
        [
            [w + x - y - z, 2 * (q1 * q2 + q0 * q3), 2 * (q1 * q3 - q0 * q2)],
            [2 * (q1 * q2 - q0 * q3), w - x + y - z, 2 * (q2 * q3 + q0 * q1)],
            [2 * (q1 * q3 + q0 * q2), 2 * (q2 * q3 - q0 * q1), w - x - y + z],
        ],
        dtype=object,
    )
    return r / (w + x + y + z)


def _centred(points: np.ndarray, w: np.ndarray) -> np.ndarray:
    return points - weighted_centroid(points, w)


def superposing_rotation(a, b, weights=None, precentered=False) -> np.ndarray:
    """The rotation (3x3 Fractions) that best maps centred b onto centred a.

    Exactly orthogonal (rational, from a quaternion good to ~DIGITS digits),
    the convention of chemlib.rotation_matrix and superposition.f90: with
    S = sum w a b^T, Horn's key matrix's top eigenvector. precentered: a and b
    as they are, the rotation about the origin.
    """
    pa, pb = rational(a), rational(b)
    w = _weights(weights, len(pa))
    if not precentered:
        pa, pb = _centred(pa, w), _centred(pb, w)
    s = (w[:, None, None] * pa[:, :, None] * pb[:, None, :]).sum(axis=0)
    return _rotation(_top_quaternion(_key_matrix(s)))


def rmsd(
    a, b, weights=None, center=True, superposition=False, rotation=None, precentered=False
) -> float:
    """Weighted RMSD of b from a: plain, centred, or after the best rotation.

    With superposition the rotation is superposing_rotation's, and the
    deviation is summed exactly over the rotated atoms: at the minimum the
    deviation is stationary in the rotation, so the quaternion's own error
    enters only squared. A given rotation (3x3, mapping centred b onto
    centred a) is used as it is instead. precentered: nothing is centred, and
    the rotation is about the origin.
    """
    pa, pb = rational(a), rational(b)
    w = _weights(weights, len(pa))
    if (center or superposition or rotation is not None) and not precentered:
        pa, pb = _centred(pa, w), _centred(pb, w)
    if rotation is not None:
        rotation = rational(rotation)
    elif superposition:
        rotation = superposing_rotation(a, b, weights, precentered)
    if rotation is not None:
        pb = np.array([rotation @ row for row in pb], dtype=object)
    deviation = pa - pb
    return rounded_sqrt((w * _squared_norms(deviation)).sum() / w.sum())
