"""Plain NumPy float64 references the kernels are tested against.

Written for clarity, not speed: every function computes the textbook formula
over all pairs or images, so a disagreement points at the kernel.
"""

from __future__ import annotations

import itertools
import math

import numpy as np


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
    best_sq = (best**2).sum(-1)
    if best.size == 0:
        return best
    longest = np.sqrt(best_sq.max())
    reach = np.ceil(2 * longest * np.linalg.norm(hinv, axis=0)).astype(int)
    for shift in itertools.product(*(range(-r, r + 1) for r in reach)):
        v = np.array(shift) @ h
        if v @ v > 4 * longest**2:
            continue
        trial = folded + v
        trial_sq = (trial**2).sum(-1)
        closer = trial_sq < best_sq
        best[closer] = trial[closer]
        best_sq = np.where(closer, trial_sq, best_sq)
    return best


def distances(a, b, box=None) -> np.ndarray:
    """Minimum-image distance matrix (n, m)."""
    return np.sqrt((displacements(a, b, box) ** 2).sum(-1))


def pair_vectors(a, b, box=None) -> np.ndarray:
    """Minimum-image vectors b[i] - a[i] of corresponding rows: (n, 3)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.array(
        [displacements(a[i : i + 1], b[i : i + 1], box)[0, 0] for i in range(len(a))]
    ).reshape(-1, 3)


def angles(c1, c2, c3, box=None) -> np.ndarray:
    """Angle at c2, radians, by atan2(|u x v|, u.v)."""
    u, v = pair_vectors(c2, c1, box), pair_vectors(c2, c3, box)
    return np.arctan2(np.linalg.norm(np.cross(u, v), axis=1), (u * v).sum(1))


def dihedrals(c1, c2, c3, c4, box=None) -> np.ndarray:
    """IUPAC dihedral in (-pi, pi] (Blondel & Karplus 1996)."""
    b1, b2, b3 = pair_vectors(c1, c2, box), pair_vectors(c2, c3, box), pair_vectors(c3, c4, box)
    n1, n2 = np.cross(b1, b2), np.cross(b2, b3)
    y = np.linalg.norm(b2, axis=1) * (b1 * n2).sum(1)
    x = (n1 * n2).sum(1)
    phi = np.arctan2(y, x)
    return np.where(phi <= -np.pi, np.pi, phi)


def kabsch(a, b, weights=None) -> tuple[np.ndarray, float]:
    """Rotation R with a' ~ b' R^T minimising the weighted deviation (SVD), and that RMSD."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    w = np.ones(len(a)) if weights is None else np.asarray(weights, float)
    ac = a - (w[:, None] * a).sum(0) / w.sum()
    bc = b - (w[:, None] * b).sum(0) / w.sum()
    u, _, vt = np.linalg.svd((w[:, None] * bc).T @ ac)
    d = np.sign(np.linalg.det(u @ vt))
    rotation = (u @ np.diag([1.0, 1.0, d]) @ vt).T
    deviation = ac - bc @ rotation.T
    return rotation, math.sqrt((w * (deviation**2).sum(1)).sum() / w.sum())


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
    volume = abs(np.linalg.det(box_matrix(box)))
    shells = 4 / 3 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
    return counts / (n_pairs / volume * shells)
