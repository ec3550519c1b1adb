"""Per-frame analyses that split over blocks of frames, and their one-call forms.

- RMSD: the time series of ``chemlib.rmsd_trajectory`` against a reference
  (a frame of the trajectory, or given coordinates); blocks concatenated.
- RDF: pair counts summed over frames and normalised once, with the mean box
  volume, as MDAnalysis' InterRDF (and pmda's) accumulate them; integer counts,
  so the sum is exact, and the volumes are summed exactly (math.fsum) in the end.
- RadiusOfGyration: the time series of ``chemlib.radius_of_gyration``.

Each result is the same, bit for bit, on every engine and for any split:
per-frame values do not depend on which frames share a kernel call (the
kernels treat frames independently), and the RDF's sums are exact.
"""

from __future__ import annotations

import math
import numbers
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import (
    FloatArray,
    as_coordinates,
    as_weights,
    flag,
    require_finite,
)
from chemlib._box import as_cell, check_cutoff_fits
from chemlib.mass_properties import radius_of_gyration as _radius_of_gyration
from chemlib.rdf import histogram_shells, normalised_rdf, pair_counts, pair_total
from chemlib.rmsd import rmsd_trajectory
from chemlib.trajectory.runner import Analysis, run
from chemlib.trajectory.sources import FrameSource

__all__ = ["RDF", "RMSD", "RadiusOfGyration", "radius_of_gyration", "rdf", "rmsd"]

Trajectory = FrameSource | str | os.PathLike[str] | ArrayLike


def _time_series(partials: list[FloatArray]) -> FloatArray:
    return np.concatenate(partials) if partials else np.empty(0)


@contextmanager
def _bad_frames_named(positions: Any, frames: range) -> Iterator[None]:
    """Let a kernel's refusal of a chunk with a NaN or infinity name the trajectory frame.

    The kernel names the index within the chunk it was given, which the
    caller never sees; the trajectory's frame number is what to look for (as
    RDF names it). Other errors pass as they are. The positions are searched
    only after a refusal: the normal path makes no extra pass.
    """
    try:
        yield
    except ValueError:
        for k, frame in enumerate(positions):
            try:
                require_finite(
                    np.asarray(frame, dtype=np.float64), f"positions of frame {frames[k]}"
                )
            except ValueError as named:
                raise named from None
        raise


def _reference_frame(source: FrameSource, index: int) -> FloatArray:
    if not -source.n_frames <= index < source.n_frames:
        raise ValueError(
            f"reference frame {index} is out of bounds for {source.name} ({source.n_frames} frames)"
        )
    index %= source.n_frames
    with source.open() as reader:
        return as_coordinates(reader.positions(range(index, index + 1))[0], "reference frame")


def _require_atoms(source: FrameSource, n_atoms: int, name: str) -> None:
    if n_atoms != source.n_atoms:
        raise ValueError(
            f"{name} holds {n_atoms} atoms and the frames of {source.name} {source.n_atoms}"
        )


def _require_some_atoms(source: FrameSource, analysis: str) -> None:
    # Before the kernels, which would name their own arguments (coords, frames).
    if not source.n_atoms:
        raise ValueError(f"{source.name} holds no atoms: {analysis} needs at least one")


@dataclass(frozen=True)
class RMSD(Analysis):
    """RMSD of every frame against a reference, as ``chemlib.rmsd_trajectory``.

    ``reference``: a frame index of the trajectory (negative counts from the
    end), or coordinates ``(n_atoms, 3)``. Result: ``(n_frames,)`` float64.
    """

    reference: int | ArrayLike = 0
    weights: ArrayLike | None = None
    superposition: bool = True
    center: bool = True
    name = "the RMSD"

    def prepare(self, source: FrameSource) -> RMSD:
        """Read the reference frame and check the atoms and flags."""
        _require_some_atoms(source, self.name)
        if isinstance(self.reference, numbers.Integral) and not isinstance(self.reference, bool):
            reference = _reference_frame(source, int(self.reference))
        else:
            reference = as_coordinates(self.reference, "reference")
        _require_atoms(source, len(reference), "reference")
        return replace(
            self,
            reference=reference,
            weights=as_weights(self.weights, "weights", len(reference)),
            superposition=flag(self.superposition, "superposition"),
            center=flag(self.center, "center"),
        )

    def compute(self, positions: Any, boxes: Any, frames: range) -> FloatArray:
        """Return the chunk's RMSD values."""
        with _bad_frames_named(positions, frames):
            return rmsd_trajectory(
                self.reference, positions, self.weights, self.superposition, self.center
            )

    def combine(self, partials: list[FloatArray]) -> FloatArray:
        """Time series in frame order."""
        return _time_series(partials)


@dataclass(frozen=True)
class RadiusOfGyration(Analysis):
    """Radius of gyration of every frame, as ``chemlib.radius_of_gyration``.

    ``masses``: ``(n_atoms,)``, or None for equal masses. Result: ``(n_frames,)`` float64.
    """

    masses: ArrayLike | None
    name = "the radius of gyration"

    def prepare(self, source: FrameSource) -> RadiusOfGyration:
        """Check the masses against the atoms."""
        _require_some_atoms(source, self.name)
        return replace(self, masses=as_weights(self.masses, "masses", source.n_atoms))

    def compute(self, positions: Any, boxes: Any, frames: range) -> FloatArray:
        """Return the chunk's radii of gyration."""
        with _bad_frames_named(positions, frames):
            return np.array([_radius_of_gyration(frame, self.masses) for frame in positions])

    def combine(self, partials: list[FloatArray]) -> FloatArray:
        """Time series in frame order."""
        return _time_series(partials)


@dataclass(frozen=True)
class _PairCounts:
    counts: np.ndarray  # int64 per shell, summed over frames
    volumes: FloatArray  # box volume of each frame, in frame order


@dataclass(frozen=True)
class RDF(Analysis):
    """g(r) of the frames' atoms with themselves, accumulated over frames.

    As ``chemlib.rdf`` per frame (``nbins`` shells over ``range``, self pairs
    excluded) with counts summed over frames and normalised once by the mean
    box volume, as MDAnalysis' InterRDF. For one frame it equals
    ``chemlib.rdf`` exactly. Result: ``(bin_centers, g)``, each ``(nbins,)``.
    """

    nbins: int = 75
    range: tuple[float, float] = (0.0, 15.0)
    n_atoms: int = 0  # set by prepare(): the ideal-gas pair total needs it
    name = "the RDF"
    needs_box = True

    def prepare(self, source: FrameSource) -> RDF:
        """Check the bins and that the source has a periodic box."""
        nbins, shells = histogram_shells(self.nbins, self.range)
        source.require_periodic(self.name)
        return replace(self, nbins=nbins, range=shells, n_atoms=source.n_atoms)

    @property
    def edges(self) -> FloatArray:
        """Shell edges, as rdf() and numpy.histogram make them."""
        low, high = self.range
        return np.linspace(low, high, self.nbins + 1)

    def compute(self, positions: Any, boxes: Any, frames: range) -> _PairCounts:
        """Pair counts and box volumes of the chunk's frames."""
        edges = self.edges
        counts = np.zeros(self.nbins, dtype=np.int64)
        volumes = np.empty(len(frames))
        for k, (frame, box) in enumerate(zip(positions, boxes, strict=True)):
            cell = as_cell(box, f"box of frame {frames[k]}")
            check_cutoff_fits(cell, self.range[1], "range[1]")
            coordinates = as_coordinates(frame, f"positions of frame {frames[k]}")
            counts += pair_counts(coordinates, None, cell, edges)
            volumes[k] = cell.volume
        return _PairCounts(counts, volumes)

    def combine(self, partials: list[_PairCounts]) -> _PairCounts:
        """Sum the counts (exact: integers); keep each frame's volume, in frame order."""
        counts = np.zeros(self.nbins, dtype=np.int64)
        for partial in partials:
            counts += partial.counts
        return _PairCounts(counts, _time_series([p.volumes for p in partials]))

    def conclude(self, combined: _PairCounts, n_frames: int) -> tuple[FloatArray, FloatArray]:
        """Bin centres and g(r), normalised as InterRDF with the mean volume."""
        edges = self.edges
        n_pairs = pair_total(self.n_atoms, None)
        g = normalised_rdf(combined.counts, edges, n_pairs, math.fsum(combined.volumes), n_frames)
        return (edges[:-1] + edges[1:]) / 2, g


def rmsd(
    trajectory: Trajectory,
    reference: int | ArrayLike = 0,
    *,
    weights: ArrayLike | None = None,
    superposition: bool = True,
    center: bool = True,
    **options: Any,
) -> FloatArray | None:
    """RMSD of every frame of a trajectory against a reference, on any engine.

    Equals ``chemlib.rmsd_trajectory(reference, frames, weights, superposition,
    center)`` bit for bit, with the frames read and computed block by block.

    Parameters
    ----------
    trajectory : path, array_like or FrameSource
        An H5MD file, or frames ``(n_frames, n_atoms, 3)`` in Angstrom.
    reference : int or array_like
        A frame index of the trajectory (default 0; negative counts from the
        end), or coordinates ``(n_atoms, 3)``.
    weights, superposition, center
        As ``chemlib.rmsd_trajectory``.
    **options
        group, start, stop, step, engine, workers, blocks, scheduler,
        progress: see ``chemlib.trajectory.run``.

    Returns
    -------
    numpy.ndarray, shape (n_frames,), or None
        RMSD of each analysed frame in Angstrom; None on MPI ranks other than 0.

    Examples
    --------
    >>> import numpy as np
    >>> from chemlib import trajectory
    >>> frames = np.random.default_rng(0).normal(size=(6, 20, 3))
    >>> values = trajectory.rmsd(frames, reference=0, engine="threads", workers=4)
    >>> values.shape, float(values[0])
    ((6,), 0.0)

    """
    analysis = RMSD(reference, weights, superposition, center)
    outcome = run(analysis, trajectory, **options)
    return None if outcome is None else outcome.result


def rdf(
    trajectory: Trajectory,
    *,
    nbins: int = 75,
    range: tuple[float, float] = (0.0, 15.0),
    **options: Any,
) -> tuple[FloatArray, FloatArray] | None:
    """g(r) of a trajectory's atoms with themselves, accumulated over its frames.

    Pair counts (minimum image, self pairs excluded) summed over the frames,
    normalised once with the mean box volume: MDAnalysis' InterRDF of the
    group with itself and ``exclusion_block=(1, 1)``. One frame gives
    ``chemlib.rdf`` exactly.

    Parameters
    ----------
    trajectory : path, array_like or FrameSource
        An H5MD file with a periodic box, or frames ``(n_frames, n_atoms, 3)``
        with ``box=`` (``(6,)`` or ``(n_frames, 6)``).
    nbins, range
        As ``chemlib.rdf``.
    **options
        box, group, start, stop, step, engine, workers, blocks, scheduler,
        progress: see ``chemlib.trajectory.run``.

    Returns
    -------
    (bin_centers, g) or None
        Each ``(nbins,)`` float64; None on MPI ranks other than 0.

    Examples
    --------
    >>> import numpy as np
    >>> from chemlib import rdf as rdf_of_one_frame, trajectory
    >>> frames = np.random.default_rng(0).uniform(0, 20, size=(4, 500, 3))
    >>> box = [20, 20, 20, 90, 90, 90]
    >>> r, g = trajectory.rdf(frames[:1], box=box, nbins=5, range=(4, 9), engine="threads")
    >>> bool(np.array_equal(g, rdf_of_one_frame(frames[0], box=box, nbins=5, range=(4, 9))[1]))
    True

    """
    outcome = run(RDF(nbins, range), trajectory, **options)
    return None if outcome is None else outcome.result


def radius_of_gyration(
    trajectory: Trajectory, masses: ArrayLike | None = None, **options: Any
) -> FloatArray | None:
    """Radius of gyration of every frame, as ``chemlib.radius_of_gyration``, on any engine.

    Parameters
    ----------
    trajectory : path, array_like or FrameSource
        An H5MD file, or frames ``(n_frames, n_atoms, 3)`` in Angstrom.
    masses : array_like, shape (n_atoms,), optional
        Non-negative masses, not all zero; None for equal masses.
    **options
        group, start, stop, step, engine, workers, blocks, scheduler,
        progress: see ``chemlib.trajectory.run``.

    Returns
    -------
    numpy.ndarray, shape (n_frames,), or None
        Angstrom; None on MPI ranks other than 0.

    Examples
    --------
    >>> import numpy as np
    >>> from chemlib import trajectory
    >>> square = np.array([[1.0, 1, 0], [-1, 1, 0], [-1, -1, 0], [1, -1, 0]])
    >>> trajectory.radius_of_gyration(np.stack([square, 2 * square]))
    array([1.41421356, 2.82842712])

    """
    outcome = run(RadiusOfGyration(masses), trajectory, **options)
    return None if outcome is None else outcome.result
