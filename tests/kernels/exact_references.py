"""Exact references for the precision tests: rational arithmetic on the inputs.

Every float64 is a rational number, so differences, products and sums of the
inputs taken with :class:`fractions.Fraction` are exact, whatever the
cancellation; a square root is rounded once, at the end, from 60 significant
digits. These references are therefore more accurate than anything computed in
float64 or long double (kernel_references.py holds the float64 textbook
formulas), and the kernels' errors against them are the errors the README's
precision table bounds. Slow: meant for a few hundred atoms.
"""

from __future__ import annotations

import math
from decimal import Decimal, localcontext
from fractions import Fraction

import numpy as np

from chemlib._box import as_cell

DIGITS = 60


def rational(values) -> np.ndarray:
    """The exact values of a float array, as an object array of Fractions."""
    array = np.asarray(values, dtype=float)
    return np.array([Fraction(v) for v in array.ravel()], dtype=object).reshape(array.shape)


def rounded_sqrt(value: Fraction) -> float:
    """sqrt(value) rounded to float64 (from DIGITS digits: correct but in ~1e-40 of cases)."""
    with localcontext() as context:
        context.prec = DIGITS
        return float((Decimal(value.numerator) / Decimal(value.denominator)).sqrt())


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
    """Angles at c2: atan2 of the exact |u x v| and u . v, each rounded once.

    Rounding the two arguments costs at most ~1 unit of roundoff in the angle
    (atan2's condition number in its arguments is 1), and math.atan2 another ulp.
    """
    u = minimum_images(rational(c1) - rational(c2), box)
    v = minimum_images(rational(c3) - rational(c2), box)
    y = [rounded_sqrt(s) for s in _squared_norms(np.cross(u, v))]
    x = [float(s) for s in (u * v).sum(axis=1)]
    return np.array([math.atan2(yi, xi) for yi, xi in zip(y, x, strict=True)])


def dihedrals(c1, c2, c3, c4, box=None) -> np.ndarray:
    """IUPAC dihedrals: atan2(|b2| b1 . (b2 x b3), (b1 x b2) . (b2 x b3)).

    Both arguments are exact and rounded once, as in angles().
    """
    b1 = minimum_images(rational(c2) - rational(c1), box)
    b2 = minimum_images(rational(c3) - rational(c2), box)
    b3 = minimum_images(rational(c4) - rational(c3), box)
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    triple = (b1 * n2).sum(axis=1)
    y = [
        math.copysign(rounded_sqrt(s * t * t), t)
        for s, t in zip(_squared_norms(b2), triple, strict=True)
    ]
    x = [float(s) for s in (n1 * n2).sum(axis=1)]
    phi = np.array([math.atan2(yi, xi) for yi, xi in zip(y, x, strict=True)])
    return np.where(phi <= -math.pi, math.pi, phi)


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


def _top_quaternion(key: np.ndarray) -> list[Fraction]:
    """The key matrix's eigenvector of its largest eigenvalue, to ~DIGITS digits.

    Rayleigh-quotient iteration in decimal arithmetic, started from float64
    eigh; a repeated eigenvalue leaves the vector anywhere in its eigenspace,
    where every choice gives the same deviation.
    """
    start = np.linalg.eigh(np.array(key, dtype=float))[1][:, -1]
    with localcontext() as context:
        context.prec = DIGITS
        k = [[Decimal(x.numerator) / Decimal(x.denominator) for x in row] for row in key]
        q = [Decimal(float(x)) for x in start]
        for _ in range(8):
            norm = sum(x * x for x in q).sqrt()
            q = [x / norm for x in q]
            kq = [sum(k[i][j] * q[j] for j in range(4)) for i in range(4)]
            rayleigh = sum(a * b for a, b in zip(q, kq, strict=True))
            shifted = [[k[i][j] - (rayleigh if i == j else 0) for j in range(4)] for i in range(4)]
            step = _solve(shifted, q)
            if step is None:
                break
            q = step
        return [Fraction(x) for x in q]


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


def rmsd(a, b, weights=None, center=True, superposition=False, rotation=None) -> float:
    """Weighted RMSD of b from a: plain, centred, or after the best rotation.

    With superposition the rotation is exactly orthogonal (rational, from a
    quaternion good to ~DIGITS digits), and the deviation is summed exactly
    over the rotated atoms: at the minimum the deviation is stationary in the
    rotation, so the quaternion's own error enters only squared. A given
    rotation (3x3, mapping centred b onto centred a) is used as it is instead.
    """
    pa, pb = rational(a), rational(b)
    w = _weights(weights, len(pa))
    if center or superposition or rotation is not None:
        pa = pa - weighted_centroid(pa, w)
        pb = pb - weighted_centroid(pb, w)
    if rotation is not None:
        rotation = rational(rotation)
    elif superposition:
        s = (w[:, None, None] * pa[:, :, None] * pb[:, None, :]).sum(axis=0)
        # With S = sum w a b^T this rotation maps b onto a (as superposition.f90's).
        rotation = _rotation(_top_quaternion(_key_matrix(s)))
    if rotation is not None:
        pb = np.array([rotation @ row for row in pb], dtype=object)
    deviation = pa - pb
    return rounded_sqrt((w * _squared_norms(deviation)).sum() / w.sum())
