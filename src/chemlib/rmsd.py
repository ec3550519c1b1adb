"""Root-mean-square deviation and optimal superposition.

Kernels: ``rmsd.f90`` with QCP and the LAPACK rotation in
``superposition.f90`` (Fortran, wrapped by f2py as ``chemlib._rmsd``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import (
    FloatArray,
    as_coordinates,
    as_frames,
    as_weights,
    flag,
    raise_if_non_finite,
    same_length,
)
from chemlib._extensions import load_extension

_rmsd = load_extension("_rmsd")

__all__ = ["rmsd", "rmsd_trajectory", "rotation_matrix"]


def _check_lapack(info: int) -> None:
    if info != 0:
        raise RuntimeError(
            f"LAPACK dsyev failed (info={info}) while computing the optimal rotation"
        )


def _require_atoms(n: int, names: str) -> None:
    if n == 0:
        raise ValueError(f"{names} hold no atoms: the RMSD of an empty selection is undefined")


def rmsd(
    a: ArrayLike,
    b: ArrayLike,
    weights: ArrayLike | None = None,
    center: bool = True,
    superposition: bool = False,
) -> float:
    """Weighted root-mean-square deviation between two structures.

    ``sqrt(sum_i w_i |a_i - b_i|^2 / sum_i w_i)``, accumulated in float64.

    Parameters
    ----------
    a, b : array_like, shape (n, 3)
        Positions in Angstrom, atom i of a matched with atom i of b; n >= 1.
    weights : array_like, shape (n,), optional
        Non-negative weights (e.g. masses), not all zero. None: equal weights.
    center : bool
        Subtract each structure's weighted centroid first (default True).
    superposition : bool
        Also minimise over rotations of b (QCP; implies centring). Where
        QCP's ``E0 - lambda`` carries an estimated rounding error above 1e-11
        of itself (nearly identical structures, linear molecules), the
        deviation is summed directly over the rotated atoms, so identical
        structures give exactly 0 (error bounds: the README's Precision).

    Returns
    -------
    float
        RMSD in Angstrom.

    Examples
    --------
    >>> from chemlib import rmsd
    >>> rmsd([[0, 0, 0], [1, 0, 0]], [[0, 0, 1], [1, 0, 1]], center=False)
    1.0

    """
    ref = as_coordinates(a, "a")
    mobile = as_coordinates(b, "b")
    same_length("a", ref, "b", mobile)
    return float(rmsd_trajectory(ref, mobile[np.newaxis], weights, superposition, center)[0])


def rmsd_trajectory(
    reference: ArrayLike,
    frames: ArrayLike,
    weights: ArrayLike | None = None,
    superposition: bool = True,
    center: bool = True,
) -> FloatArray:
    """RMSD of every frame of a trajectory against one reference structure.

    ``result[f] == rmsd(reference, frames[f], weights, center, superposition)``;
    frames run in parallel (OpenMP).

    Parameters
    ----------
    reference : array_like, shape (n, 3)
        Positions in Angstrom; n >= 1.
    frames : array_like, shape (n_frames, n, 3)
        The trajectory, Angstrom. Zero frames give an empty result. float32
        frames are read as they are, without a float64 copy; the arithmetic
        is float64 either way.
    weights : array_like, shape (n,), optional
        Non-negative weights, not all zero. None: equal weights.
    superposition : bool
        Minimise over rotations (and translations) of each frame (default True).
    center : bool
        Subtract centroids when not superposing (default True).

    Returns
    -------
    numpy.ndarray, shape (n_frames,), float64
        RMSD of each frame, Angstrom.

    Examples
    --------
    >>> import numpy as np
    >>> from chemlib import rmsd_trajectory
    >>> ref = np.array([[0.0, 0, 0], [1, 0, 0], [0, 2, 0]])
    >>> turned = ref @ np.array([[0.0, -1, 0], [1, 0, 0], [0, 0, 1]]).T
    >>> rmsd_trajectory(ref, np.stack([ref, turned + 5])).round(12)
    array([0., 0.])

    """
    ref = as_coordinates(reference, "reference")
    trajectory = as_frames(frames, "frames")
    if trajectory.shape[1] != len(ref):
        raise ValueError(
            f"frames must hold as many atoms as reference ({len(ref)}), got {trajectory.shape[1]}"
        )
    _require_atoms(len(ref), "reference and frames")
    w = as_weights(weights, "weights", len(ref))
    superpose = flag(superposition, "superposition")
    centre = flag(center, "center")
    if not len(trajectory):
        return np.empty(0)
    kernel = (
        _rmsd.rmsd_trajectory_single if trajectory.dtype == np.float32 else _rmsd.rmsd_trajectory
    )
    values, info, non_finite = kernel(ref.T, trajectory.T, w, centre, superpose)
    raise_if_non_finite(non_finite, {"frames": trajectory})
    _check_lapack(info)
    return values


def rotation_matrix(
    a: ArrayLike, b: ArrayLike, weights: ArrayLike | None = None
) -> tuple[FloatArray, float]:
    """Find the rotation that best superposes the centred ``b`` onto the centred ``a``.

    Solved exactly as the eigenvector of Horn's quaternion key matrix with
    LAPACK ``dsyev``.

    Parameters
    ----------
    a, b : array_like, shape (n, 3)
        Positions in Angstrom; n >= 1.
    weights : array_like, shape (n,), optional
        Non-negative weights, not all zero. None: equal weights.

    Returns
    -------
    R : numpy.ndarray, shape (3, 3), float64
        Proper rotation (``det R = +1``) minimising
        ``sum_i w_i |a'_i - R b'_i|^2``; apply it as ``b_centred @ R.T``.
    rmsd : float
        The weighted RMSD left after the superposition, Angstrom.

    Examples
    --------
    >>> import numpy as np
    >>> from chemlib import rotation_matrix
    >>> a = np.array([[1.0, 0, 0], [0, 1, 0], [0, 0, 0]])
    >>> b = a @ np.array([[0.0, 1, 0], [-1, 0, 0], [0, 0, 1]]).T
    >>> R, value = rotation_matrix(a, b)
    >>> bool(np.allclose(b @ R.T, a)), round(value, 12)
    (True, 0.0)

    """
    ref = as_coordinates(a, "a")
    mobile = as_coordinates(b, "b")
    same_length("a", ref, "b", mobile)
    _require_atoms(len(ref), "a and b")
    w = as_weights(weights, "weights", len(ref))
    rotation, value, info = _rmsd.rotation_matrix(ref.T, mobile.T, w)
    _check_lapack(info)
    return np.ascontiguousarray(rotation), float(value)
