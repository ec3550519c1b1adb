"""Float64 textbook references the kernels are tested against.

Written for clarity, not speed: every function computes the textbook formula
over all pairs or images, so a disagreement points at the kernel. Every step
is one correctly rounded operation in a fixed order: elementwise products and
sums written out component by component (never a reduction, whose order NumPy
and BLAS choose), square roots (IEEE 754 rounds them correctly, in SIMD code
too) and exact_references.rounded_atan2 (never NumPy's or libm's atan2, which
are a few ulp off, differently on different CPUs). So these references are the
same bits on every CPU and NumPy, except where the cell folding multiplies by
the cell matrices (matmul: BLAS); the tests' tolerances cover their float64
error, stated where they are asserted.
"""

from __future__ import annotations

import itertools
import math
from fractions import Fraction

import numpy as np
from exact_references import rounded_atan2


def box_matrix(box) -> np.ndarray:
    """Rows a, b, c of the cell, as MDAnalysis.lib.mdamath.triclinic_vectors."""
    lx, ly, lz, alpha, beta, gamma = (float(v) for v in box)
    ca, cb, cg = (math.cos(math.radians(x)) for x in (alpha, beta, gamma))
    sg = math.sin(math.radians(gamma))
    if (alpha, beta, gamma) == (90.0, 90.0, 90.0):
        return np.diag([lx, ly, lz])
    cy = (ca - cb * cg) / sg
    return np.array(
        [
            [lx, 0.0, 0.0],
            [ly * cg, ly * sg, 0.0],
            [lz * cb, lz * cy, lz * math.sqrt(1 - cb**2 - cy**2)],
        ]
    )


def displacements(a: np.ndarray, b: np.ndarray, box=None) -> np.ndarray:
    """Minimum-image vectors b[j] - a[i] of every pair: shape (n, m, 3).

    With a box: fold the fractional difference into [-1/2, 1/2), giving d0,
    then search every lattice vector v = t h that could reach a shorter
    image. The minimum image d0 + v is no longer than d0, so |v| <= 2|d0|
    and |t_k| <= 2 |d0| |hinv[:, k]|: an exhaustive search, with no
    assumption about how skewed the cell is (unlike the 27 nearest images,
    which miss the minimum in flat sheared cells).
    """
    d = np.asarray(b, float)[None, :, :] - np.asarray(a, float)[:, None, :]
    if box is None:
        return d
    h = box_matrix(box)
    hinv = np.linalg.inv(h)
    s = d @ hinv
    s -= np.floor(s + 0.5)
    folded = s @ h
    best = folded.copy()
    best_sq = dot(best, best)
    if best.size == 0:
        return best
    longest = np.sqrt(best_sq.max())
    reach = np.ceil(2 * longest * norms(hinv.T)).astype(int)
    for shift in itertools.product(*(range(-r, r + 1) for r in reach)):
        v = np.array(shift) @ h
        if v @ v > 4 * longest**2:
            continue
        trial = folded + v
        trial_sq = dot(trial, trial)
        closer = trial_sq < best_sq
        best[closer] = trial[closer]
        best_sq = np.where(closer, trial_sq, best_sq)
    return best


def dot(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """u . v over the last axis, summed x + y + z in that order."""
    return u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1] + u[..., 2] * v[..., 2]


def norms(vectors: np.ndarray) -> np.ndarray:
    """Lengths over the last axis: sqrt(x^2 + y^2 + z^2), within 2.5 u relative.

    Squares and two additions of positive terms leave the sum within a factor
    (1 + u)^3 of the exact one (u = 2^-53, the unit roundoff); the square root
    halves that and adds its own correct rounding: 2.5 u + O(u^2).
    """
    return np.sqrt(dot(vectors, vectors))


def distances(a, b, box=None) -> np.ndarray:
    """Minimum-image distance matrix (n, m)."""
    return norms(displacements(a, b, box))


def pair_vectors(a, b, box=None) -> np.ndarray:
    """Minimum-image vectors b[i] - a[i] of corresponding rows: (n, 3)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.array(
        [displacements(a[i : i + 1], b[i : i + 1], box)[0, 0] for i in range(len(a))]
    ).reshape(-1, 3)


def atan2(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """atan2 of float64 arrays, each element correctly rounded; -pi becomes +pi."""
    phi = np.array(
        [rounded_atan2(Fraction(yi), Fraction(xi)) for yi, xi in zip(y, x, strict=True)]
    ).reshape(np.shape(y))
    return np.where(phi <= -math.pi, math.pi, phi)


def angles(c1, c2, c3, box=None) -> np.ndarray:
    """Angle at c2, radians, by atan2(|u x v|, u.v)."""
    u, v = pair_vectors(c2, c1, box), pair_vectors(c2, c3, box)
    return atan2(norms(np.cross(u, v)), dot(u, v))


def dihedrals(c1, c2, c3, c4, box=None) -> np.ndarray:
    """IUPAC dihedral in (-pi, pi] (Blondel & Karplus 1996)."""
    b1, b2, b3 = pair_vectors(c1, c2, box), pair_vectors(c2, c3, box), pair_vectors(c3, c4, box)
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    return atan2(norms(b2) * dot(b1, n2), dot(n1, n2))


def rdf(reference, configuration, box, nbins, rmin, rmax) -> np.ndarray:
    """g(r) as MDAnalysis' InterRDF for one frame, from all pair distances."""
    ref = np.asarray(reference, float)
    self_pairs = configuration is None
    conf = ref if self_pairs else np.asarray(configuration, float)
    d = distances(ref, conf, box)
    if self_pairs:
        d = d[~np.eye(len(ref), dtype=bool)]
        n_pairs = len(ref) * (len(ref) - 1)
    else:
        n_pairs = len(ref) * len(conf)
    counts, edges = np.histogram(d.ravel(), bins=nbins, range=(rmin, rmax))
    h = box_matrix(box)  # lower triangular: the volume is its diagonal's product
    volume = h[0, 0] * h[1, 1] * h[2, 2]
    cubes = edges * edges * edges  # not edges**3: NumPy's power is not correctly rounded
    shells = 4 / 3 * math.pi * (cubes[1:] - cubes[:-1])
    return counts / (n_pairs / volume * shells)
