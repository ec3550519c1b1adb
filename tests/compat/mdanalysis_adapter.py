"""MDAnalysis.lib.distances' signatures, computed by chemlib.

Each function takes the arguments MDAnalysis' function of the same name
takes and maps them onto chemlib's:

- An AtomGroup (anything with ``.positions`` that is not an array) gives its
  positions; a single position of shape (3,) is one row, and where MDAnalysis
  returns a scalar for single positions (bonds, angles, dihedrals), so does the
  adapter.
- Coordinates go to chemlib as they are: MDAnalysis converts them to float32
  first, chemlib computes in float64 from the values given (float32 values are
  widened exactly). The box is ``[lx, ly, lz, alpha, beta, gamma]`` in both.
- ``result=``: a float64 array of the result's shape that is filled and
  returned, as MDAnalysis does (chemlib's distance arrays take it directly;
  for bonds, angles and dihedrals the adapter copies the result into it).
- ``backend=``: "serial" and "openmp" (any case) both run chemlib's kernels,
  which are OpenMP-parallel and give the same result for any thread count;
  any other backend, distopia included, is a ValueError as in MDAnalysis
  without it.
- ``method=`` of the capped distances picks one of MDAnalysis' search
  algorithms; all give the same pairs, and chemlib has one (cell lists), so it
  is checked and otherwise ignored.
- apply_PBC returns float32, as MDAnalysis does (it wraps float32 copies).

Functions chemlib has no counterpart for (transform_RtoS, transform_StoR,
minimize_vectors, MDAnalysis' internal helpers) are not replaced.
"""

from __future__ import annotations

import numpy as np

import chemlib

BACKENDS = ("serial", "openmp")
METHODS = ("bruteforce", "pkdtree", "nsgrid")


def _positions(value):
    """Return (positions as an (n, 3) array or as given, whether it was a single (3,) row)."""
    if not isinstance(value, np.ndarray) and hasattr(value, "positions"):
        return value.positions, False
    if isinstance(value, np.ndarray) and value.shape == (3,):
        return value[None, :], True
    return value, False


def _check_backend(backend: str) -> None:
    if not isinstance(backend, str) or backend.lower() not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS} (any case), got {backend!r}")


def _check_method(method: str | None) -> None:
    if method is not None and (not isinstance(method, str) or method.lower() not in METHODS):
        raise ValueError(f"method must be None or one of {METHODS}, got {method!r}")


def _into(result, values: np.ndarray) -> np.ndarray:
    """Fill a caller's float64 result array, as MDAnalysis' result= does."""
    if result is None:
        return values
    if not isinstance(result, np.ndarray) or result.dtype != np.float64:
        raise TypeError(f"result must be a float64 numpy.ndarray, got {type(result).__name__}")
    if result.shape != values.shape:
        raise ValueError(f"result must have shape {values.shape}, got {result.shape}")
    result[...] = values
    return result


def _per_row(kernel, coords, box, result, backend):
    """Bonds, angles, dihedrals: one value per row; a scalar if every input is one position."""
    _check_backend(backend)
    arrays, single = zip(*(_positions(c) for c in coords), strict=True)
    values = _into(result, kernel(*arrays, box=box))
    return values[0] if all(single) else values


def distance_array(reference, configuration, box=None, result=None, backend="serial"):
    _check_backend(backend)
    return chemlib.distance_array(
        _positions(reference)[0], _positions(configuration)[0], box=box, result=result
    )


def self_distance_array(reference, box=None, result=None, backend="serial"):
    _check_backend(backend)
    return chemlib.self_distance_array(_positions(reference)[0], box=box, result=result)


def capped_distance(
    reference,
    configuration,
    max_cutoff,
    min_cutoff=None,
    box=None,
    method=None,
    return_distances=True,
    backend="serial",
):
    _check_backend(backend)
    _check_method(method)
    return chemlib.capped_distance(
        _positions(reference)[0],
        _positions(configuration)[0],
        max_cutoff,
        min_cutoff=min_cutoff,
        box=box,
        return_distances=return_distances,
    )


def self_capped_distance(
    reference,
    max_cutoff,
    min_cutoff=None,
    box=None,
    method=None,
    return_distances=True,
    backend="serial",
):
    _check_backend(backend)
    _check_method(method)
    return chemlib.self_capped_distance(
        _positions(reference)[0],
        max_cutoff,
        min_cutoff=min_cutoff,
        box=box,
        return_distances=return_distances,
    )


def calc_bonds(coords1, coords2, box=None, result=None, backend="serial"):
    return _per_row(chemlib.calc_bonds, (coords1, coords2), box, result, backend)


def calc_angles(coords1, coords2, coords3, box=None, result=None, backend="serial"):
    return _per_row(chemlib.calc_angles, (coords1, coords2, coords3), box, result, backend)


def calc_dihedrals(coords1, coords2, coords3, coords4, box=None, result=None, backend="serial"):
    return _per_row(
        chemlib.calc_dihedrals, (coords1, coords2, coords3, coords4), box, result, backend
    )


def apply_PBC(coords, box, backend="serial"):  # noqa: N802 (MDAnalysis' name)
    _check_backend(backend)
    array, single = _positions(coords)
    wrapped = chemlib.wrap(array, box).astype(np.float32)
    return wrapped[0] if single else wrapped


# MDAnalysis.lib.distances name -> its adapter
ADAPTERS = {
    function.__name__: function
    for function in (
        distance_array,
        self_distance_array,
        capped_distance,
        self_capped_distance,
        calc_bonds,
        calc_angles,
        calc_dihedrals,
        apply_PBC,
    )
}
