"""Where frames come from: NumPy arrays and H5MD files.

A frame source is a small, picklable description of a trajectory: its length,
its atoms, and how to open it. Every task opens the source itself and reads
only its own block of frames (as pmda and MDAnalysis' parallel backends open
their own Universe per block), so an H5MD file is never shipped between
processes: only its path is, and on a cluster that path must name the same
file on every node (a shared file system).

Positions come out in Angstrom, as float32 when the file holds float32 in
Angstrom (the trajectory kernels read float32 frames as they are) and as
float64 otherwise; lengths stored in nm, pm or fm are scaled in float64, which
for float32 data is exact.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from types import ModuleType, TracebackType
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from chemlib._arguments import as_frames, numeric_array

__all__ = ["ArrayFrames", "FrameReader", "FrameSource", "H5MDFrames", "as_source"]

# H5MD unit strings for lengths and their size in Angstrom: the strings
# MDAnalysis' H5MDReader understands (MDAnalysis.coordinates.H5MD). A length
# without a unit attribute is taken as Angstrom, chemlib's unit (MDAnalysis
# reads such a file only with convert_units=False, and then also as Angstrom).
LENGTH_UNITS = {"Angstrom": 1.0, "angstrom": 1.0, "A": 1.0, "nm": 10.0, "pm": 0.01, "fm": 1e-5}


class FrameReader(ABC):
    """An open trajectory: reads blocks of frames. Use as a context manager."""

    @abstractmethod
    def positions(self, frames: range) -> np.ndarray:
        """Positions of ``frames``, shape ``(len(frames), n_atoms, 3)``, Angstrom."""

    @abstractmethod
    def boxes(self, frames: range) -> np.ndarray:
        """Boxes ``[lx, ly, lz, alpha, beta, gamma]`` of ``frames``, shape ``(len(frames), 6)``.

        Only for a source that is ``periodic``.
        """

    def close(self) -> None:  # noqa: B027 (a reader with nothing to release keeps this)
        """Release the file (if any)."""

    def __enter__(self) -> FrameReader:
        """Return the reader itself."""
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Close the reader."""
        self.close()


class FrameSource(ABC):
    """A trajectory that tasks open for themselves: ``n_frames`` frames of ``n_atoms`` atoms."""

    n_frames: int
    n_atoms: int
    name: str  # what error messages call it

    @abstractmethod
    def open(self) -> FrameReader:
        """Open the trajectory for reading (in the task that reads it)."""

    @property
    @abstractmethod
    def periodic(self) -> bool:
        """Whether every frame has a periodic box."""

    def require_periodic(self, analysis: str) -> None:
        """Raise a ValueError naming the source unless it has a periodic box."""
        if not self.periodic:
            raise ValueError(f"{self.name} has no periodic box: {analysis} needs one")

    def restricted_to(self, frames: range) -> tuple[FrameSource, range]:
        """Return what a task that reads only ``frames`` needs: a source, and the frames in it.

        A file source is its own (the task opens the file); an array source
        keeps only the block, so a task shipped to another process carries
        its frames and no others.
        """
        return self, frames


class ArrayFrames(FrameSource, FrameReader):
    """Frames held in memory: an array ``(n_frames, n_atoms, 3)`` in Angstrom.

    Parameters
    ----------
    frames : array_like, shape (n_frames, n_atoms, 3)
        float32 frames stay float32 (the trajectory kernels read them as they are).
    box : array_like, shape (6,) or (n_frames, 6), optional
        ``[lx, ly, lz, alpha, beta, gamma]`` for every frame, or one per frame.

    """

    def __init__(self, frames: ArrayLike, box: ArrayLike | None = None) -> None:
        self.frames = as_frames(frames, "frames")
        self.n_frames, self.n_atoms = self.frames.shape[:2]
        self.name = "the frames array"
        self.box = None if box is None else self._boxes_for_frames(box)
        self.held = range(self.n_frames)  # the trajectory's frames this array holds

    def _boxes_for_frames(self, box: ArrayLike) -> np.ndarray:
        array = numeric_array(box, "box").astype(np.float64)
        if array.shape == (6,):
            return np.broadcast_to(array, (self.n_frames, 6))
        if array.shape != (self.n_frames, 6):
            raise ValueError(
                f"box must have shape (6,) or (n_frames, 6) = ({self.n_frames}, 6), "
                f"got {array.shape}"
            )
        return array

    @property
    def periodic(self) -> bool:
        """Whether a box was given."""
        return self.box is not None

    def open(self) -> ArrayFrames:
        """Nothing to open: the array is the reader."""
        return self

    def _rows(self, frames: range) -> slice:
        # Where ``frames`` (trajectory frame numbers) sit in this array, which
        # holds the frames self.held (all of them, or a block's).
        if not len(frames):
            return slice(0, 0)
        begin = self.held.index(frames[0])
        step = frames.step // self.held.step if len(frames) > 1 else 1
        return slice(begin, begin + len(frames) * step, step)

    def positions(self, frames: range) -> np.ndarray:
        """Return a view of the frames' positions."""
        return self.frames[self._rows(frames)]

    def boxes(self, frames: range) -> np.ndarray:
        """Return the frames' boxes."""
        return self.box[self._rows(frames)]

    def restricted_to(self, frames: range) -> tuple[ArrayFrames, range]:
        """Return an ArrayFrames holding just these frames (a view), and the frames."""
        part = ArrayFrames.__new__(ArrayFrames)
        part.frames = self.positions(frames)
        part.n_frames, part.n_atoms, part.name = self.n_frames, self.n_atoms, self.name
        part.box = None if self.box is None else self.boxes(frames)
        part.held = frames
        return part, frames


def import_h5py() -> ModuleType:
    """Import h5py, or raise an ImportError that says how to install it."""
    try:
        import h5py
    except ImportError:
        raise ImportError(
            "reading H5MD files needs h5py: pip install h5py (or conda install h5py)"
        ) from None
    return h5py


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _element_value(element: Any) -> Any:
    """Return an H5MD element's data: a time-dependent group's ``value``, or the dataset."""
    return element["value"] if hasattr(element, "keys") else element


def _length_scale(dataset: Any, where: str) -> float:
    unit = dataset.attrs.get("unit")
    if unit is None:
        return 1.0
    unit = _text(unit)
    if unit not in LENGTH_UNITS:
        raise ValueError(
            f"{where} has the length unit {unit!r}; chemlib reads {sorted(LENGTH_UNITS)}"
        )
    return LENGTH_UNITS[unit]


def box_from_vectors(vectors: np.ndarray) -> np.ndarray:
    """``[lx, ly, lz, alpha, beta, gamma]`` of cells whose rows are the box vectors.

    ``vectors`` has shape ``(..., 3, 3)``; perpendicular vectors give exactly 90.
    """
    lengths = np.linalg.norm(vectors, axis=-1)

    def angle(i: int, j: int) -> np.ndarray:
        dot = np.einsum("...k,...k->...", vectors[..., i, :], vectors[..., j, :])
        cosine = np.clip(dot / (lengths[..., i] * lengths[..., j]), -1.0, 1.0)
        return np.where(dot == 0, 90.0, np.degrees(np.arccos(cosine)))

    return np.concatenate(
        [lengths, np.stack([angle(1, 2), angle(0, 2), angle(0, 1)], axis=-1)], axis=-1
    )


class H5MDFrames(FrameSource):
    """Frames of one particle group of an H5MD file (https://www.nongnu.org/h5md/).

    Reads ``particles/<group>/position`` (time-dependent ``value`` of shape
    ``(n_frames, n_atoms, 3)``, or one fixed frame) and the group's ``box``:
    its ``boundary`` attribute (``periodic`` in all three dimensions, or
    ``none``) and its ``edges``, fixed or time-dependent, a vector for a
    cuboid box or a matrix whose rows are the box vectors for a triclinic one,
    as the H5MD specification (1.1) lays them out and MDAnalysis' H5MDWriter
    writes them. A triclinic matrix must have its first vector on x and its
    second in the xy plane (lower triangular, as MDAnalysis and GROMACS write
    it): chemlib's cells take that orientation, and another would need the
    positions rotated.

    Only the file's metadata is read here; tasks open the file for their
    own frames.

    Parameters
    ----------
    path : str or os.PathLike
        The H5MD file.
    group : str, optional
        The particle group; may be omitted when the file has only one.

    """

    def __init__(self, path: str | os.PathLike[str], group: str | None = None) -> None:
        h5py = import_h5py()
        self.path = os.path.abspath(os.fspath(path))
        self.name = os.fspath(path)
        if not os.path.exists(self.path):
            raise ValueError(f"trajectory file {self.name} does not exist")
        if not os.path.isfile(self.path):
            raise ValueError(f"trajectory file {self.name} is not a regular file")
        try:
            file = h5py.File(self.path, "r")
        except OSError as error:
            reason = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise ValueError(f"{self.name} is not a readable HDF5 file ({reason})") from None
        with file:
            self._read_layout(file, group)

    def _read_layout(self, file: Any, group: str | None) -> None:
        particles = file.get("particles")
        if particles is None or not hasattr(particles, "keys"):
            raise ValueError(f"{self.name} has no 'particles' group: it is not an H5MD file")
        groups = sorted(particles.keys())
        if group is None:
            if len(groups) != 1:
                raise ValueError(
                    f"{self.name} holds the particle groups {groups or 'none'}: name one "
                    "(group=..., or --group on the command line)"
                )
            group = groups[0]
        elif group not in groups:
            raise ValueError(f"{self.name} has no particle group {group!r} (it has {groups})")
        self.group = group
        where = f"{self.name}: particles/{group}"
        position = particles[group].get("position")
        if position is None:
            raise ValueError(f"{where} has no position element: there are no positions to read")
        self.time_dependent = hasattr(position, "keys")
        if self.time_dependent and "value" not in position:
            raise ValueError(f"{where}/position has no value dataset")
        value = _element_value(position)
        shape = value.shape if self.time_dependent else (1, *value.shape)
        if len(shape) != 3 or shape[2] != 3 or value.dtype.kind not in "fiu":
            raise ValueError(
                f"{where}/position must hold numbers of shape (n_frames, n_atoms, 3), "
                f"got {value.dtype} of shape {value.shape}"
            )
        self.n_frames, self.n_atoms = int(shape[0]), int(shape[1])
        self.position_scale = _length_scale(value, f"{where}/position")
        self.keep_float32 = value.dtype == np.float32 and self.position_scale == 1.0
        self._read_box_layout(particles[group], where, position)

    def _read_box_layout(self, particle_group: Any, where: str, position: Any) -> None:
        # Why this file's box cannot serve an analysis that needs one (None: it can).
        self.box_problem: str | None = None
        self.box_time_dependent = False
        self.box_scale = 1.0
        box = particle_group.get("box")
        boundary = [] if box is None else [_text(b) for b in box.attrs.get("boundary", [])]
        if box is None or "edges" not in box or set(boundary) <= {"none"}:
            self.box_problem = f"{self.name} has no periodic box ({where}/box)"
            return
        if boundary != ["periodic"] * 3:
            self.box_problem = (
                f"{where}/box has the boundary {boundary}: chemlib needs a box periodic in "
                "all three dimensions"
            )
            return
        edges = box["edges"]
        self.box_time_dependent = hasattr(edges, "keys")
        value = _element_value(edges)
        frame_shape = value.shape[1:] if self.box_time_dependent else value.shape
        if frame_shape not in {(3,), (3, 3)}:
            self.box_problem = f"{where}/box/edges must be a 3-vector or a 3x3 matrix per frame"
            return
        if self.box_time_dependent:
            if value.shape[0] != self.n_frames:
                self.box_problem = (
                    f"{where}/box/edges holds {value.shape[0]} frames and position "
                    f"{self.n_frames}: chemlib reads boxes sampled with the positions"
                )
                return
            steps = "step" in edges and "step" in position
            if steps and not np.array_equal(edges["step"][()], position["step"][()]):
                self.box_problem = f"{where}/box/edges and position have different steps"
                return
        self.box_scale = _length_scale(value, f"{where}/box/edges")

    @property
    def periodic(self) -> bool:
        """Whether the group's box is periodic in all three dimensions."""
        return self.box_problem is None

    def require_periodic(self, analysis: str) -> None:
        """Raise a ValueError saying why the file's box cannot serve ``analysis``."""
        if self.box_problem is not None:
            raise ValueError(f"{self.box_problem}; {analysis} needs one")

    def open(self) -> _H5MDReader:
        """Open the file read-only for this task."""
        return _H5MDReader(self)


class _H5MDReader(FrameReader):
    def __init__(self, source: H5MDFrames) -> None:
        self.source = source
        self.file = import_h5py().File(source.path, "r")
        group = self.file["particles"][source.group]
        self.position = _element_value(group["position"])
        self.edges = _element_value(group["box/edges"]) if source.periodic else None

    def _read(self, dataset: Any, time_dependent: bool, frames: range) -> np.ndarray:
        if time_dependent:
            return dataset[frames.start : frames.stop : frames.step]
        # A fixed element is every frame's: the same data, len(frames) times.
        return np.broadcast_to(dataset[()], (len(frames), *dataset.shape))

    def positions(self, frames: range) -> np.ndarray:
        source = self.source
        data = self._read(self.position, source.time_dependent, frames)
        if source.keep_float32:
            return data
        return np.asarray(data, dtype=np.float64) * source.position_scale

    def boxes(self, frames: range) -> np.ndarray:
        source = self.source
        edges = np.asarray(
            self._read(self.edges, source.box_time_dependent, frames), dtype=np.float64
        )
        edges = edges * source.box_scale
        if edges.shape[1:] == (3,):
            return np.concatenate([edges, np.full((len(frames), 3), 90.0)], axis=1)
        upper = edges[:, [0, 0, 1], [1, 2, 2]]
        if upper.any():
            frame = frames[int(np.argmax(upper.any(axis=1)))]
            raise ValueError(
                f"{source.name}: the box vectors of frame {frame} are not lower triangular "
                "(first vector on x, second in the xy plane); chemlib cannot use that "
                "orientation without rotating the positions"
            )
        return box_from_vectors(edges)

    def close(self) -> None:
        self.file.close()


def as_source(
    trajectory: FrameSource | str | os.PathLike[str] | ArrayLike,
    *,
    box: ArrayLike | None = None,
    group: str | None = None,
) -> FrameSource:
    """Return a FrameSource for a path (H5MD file), an array of frames, or a FrameSource."""
    if isinstance(trajectory, (str, os.PathLike)):
        if box is not None:
            raise ValueError("box is for an array of frames: an H5MD file carries its own box")
        return H5MDFrames(trajectory, group)
    if group is not None:
        raise ValueError("group is for an H5MD file (a path), not for an array of frames")
    if isinstance(trajectory, FrameSource):
        if box is not None:
            raise ValueError("box is for an array of frames: a FrameSource carries its own box")
        return trajectory
    return ArrayFrames(trajectory, box)
