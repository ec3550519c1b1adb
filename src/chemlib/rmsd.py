"""Root-mean-square deviation and optimal superposition.

Kernels: ``rmsd.f90`` with QCP and the LAPACK rotation in
``superposition.f90`` (Fortran, wrapped by f2py as ``chemlib._rmsd``).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import (
    SAFE_EXPONENT,
    FloatArray,
    KernelFloatArray,
    as_coordinates,
    as_frames,
    as_weights,
    flag,
    power_of_two_exponent,
    raise_if_non_finite,
    same_length,
    scaled_back,
    unit_scaled,
)
from chemlib._extensions import load_extension

_rmsd = load_extension("_rmsd")

__all__ = ["rmsd", "rmsd_trajectory", "rotation_matrix"]


def _check_lapack(info: int, names: str) -> None:
    # Only reached with finite input scaled into float64's safe range, where
    # dsyev has not been seen to fail; were it to, the error stays a ValueError.
    if info != 0:
        raise ValueError(
            f"LAPACK dsyev could not find the optimal rotation of {names} (info={info})"
        )


def _rescaled_frames(
    ref: FloatArray, trajectory: KernelFloatArray, w: FloatArray, flags: tuple[bool, bool, bool]
) -> FloatArray:
    """Every frame's RMSD with it and the reference scaled exactly by a power of two.

    The slow path, for magnitudes whose squares leave float64's range: each
    frame shares the exponent of its largest coordinate (or the reference's),
    and frames with the same exponent go to the kernel together. flags: the
    kernel's center, superposition and precentered.
    """
    largest = np.abs(trajectory).max(axis=(1, 2)).astype(np.float64)
    exponents = np.maximum(np.frexp(largest)[1], power_of_two_exponent(ref))
    values = np.empty(len(trajectory))
    for exponent in np.unique(exponents):
        chosen = exponents == exponent
        frames = np.ldexp(trajectory[chosen].astype(np.float64), -exponent)
        scaled, info, _ = _rmsd.rmsd_trajectory(np.ldexp(ref, -exponent).T, frames.T, w, *flags)
        _check_lapack(info, "reference and frames")
        values[chosen] = scaled_back(scaled, exponent, "the RMSD of some frames")
    return values


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
        structures give exactly 0, weighted or not, unless they are linear
        (error bounds: the README's Precision).

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
    *,
    precentered: bool = False,
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
    precentered : bool
        The caller has centred the reference and every frame on their
        weighted centroids (with these weights), as mdtraj's ``precentered``:
        nothing is centred here, so superposition only rotates, about the
        origin, and ``center`` is moot. The pass over each frame then skips
        the centroid (a quarter to a third of the time): worth it when frames
        centred once are compared with many references. A frame that is not
        centred gets the RMSD after the best rotation about the origin, not
        the translated minimum (default False).

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
    w, _ = unit_scaled(as_weights(weights, "weights", len(ref)))
    flags = (
        flag(center, "center"),
        flag(superposition, "superposition"),
        flag(precentered, "precentered"),
    )
    if not len(trajectory):
        return np.empty(0)
    kernel = (
        _rmsd.rmsd_trajectory_single if trajectory.dtype == np.float32 else _rmsd.rmsd_trajectory
    )
    values, info, non_finite = kernel(ref.T, trajectory.T, w, *flags)
    raise_if_non_finite(non_finite, {"frames": trajectory})
    # From finite input, a non-finite count or a LAPACK failure means sums of
    # squares overflowed; a reference out of range may have underflowed them.
    if info or non_finite or abs(power_of_two_exponent(ref)) > SAFE_EXPONENT:
        values = _rescaled_frames(ref, trajectory, w, flags)
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
    w, _ = unit_scaled(as_weights(weights, "weights", len(ref)))
    # The rotation does not change, and the RMSD scales exactly, when a and b
    # are scaled together by a power of two into float64's safe range.
    exponent = max(power_of_two_exponent(ref), power_of_two_exponent(mobile))
    if abs(exponent) > SAFE_EXPONENT:
        ref, mobile = np.ldexp(ref, -exponent), np.ldexp(mobile, -exponent)
    else:
        exponent = 0
    rotation, value, info = _rmsd.rotation_matrix(ref.T, mobile.T, w)
    _check_lapack(info, "a and b")
    value = scaled_back(value, exponent, "the RMSD of a and b after superposition")
    return np.ascontiguousarray(rotation), float(value)
