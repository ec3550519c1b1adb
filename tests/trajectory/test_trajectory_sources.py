"""Frame sources: H5MD files as the specification and MDAnalysis lay them out, arrays."""

from __future__ import annotations

import math

import h5py
import numpy as np
import pytest
from h5md_files import boxes_of, liquid, write_h5md

from chemlib import trajectory
from chemlib.trajectory.sources import ArrayFrames, H5MDFrames, box_from_vectors

ALL = range(0, 4)


def read(source, frames=ALL):
    with source.open() as reader:
        boxes = reader.boxes(frames) if source.periodic else None
        return reader.positions(frames), boxes


def test_time_dependent_cuboid_box_and_float32_positions(tmp_path):
    positions, lengths = liquid(4, 10)
    source = H5MDFrames(write_h5md(tmp_path / "t.h5", positions, lengths))
    assert (source.n_frames, source.n_atoms, source.group) == (4, 10, "all")
    read_positions, boxes = read(source)
    assert read_positions.dtype == np.float32  # the kernels take float32 frames as they are
    assert np.array_equal(read_positions, positions)
    assert np.array_equal(boxes, boxes_of(lengths))
    part, _ = read(source, range(1, 4, 2))
    assert np.array_equal(part, positions[1:4:2])


def test_fixed_cuboid_and_fixed_triclinic_edges(tmp_path):
    positions, _ = liquid(4, 10)
    cuboid = H5MDFrames(
        write_h5md(tmp_path / "c.h5", positions, np.array([10.0, 11, 12]), time_dependent_box=False)
    )
    assert np.array_equal(read(cuboid)[1], np.tile([10.0, 11, 12, 90, 90, 90], (4, 1)))
    vectors = np.array([[10.0, 0, 0], [3, 9, 0], [2, -1, 8]])
    triclinic = H5MDFrames(
        write_h5md(tmp_path / "t.h5", positions, vectors, time_dependent_box=False)
    )
    boxes = read(triclinic)[1]
    a, b, _ = vectors
    # References from libm, not NumPy's SIMD functions (a few ulp, differently on
    # different CPUs): hypot is within 1 ulp (Python >= 3.10), and gamma is atan2
    # of exact arguments (integer cross and dot products), within a few ulp, in
    # degrees. chemlib's NumPy norms err by 2.5 units of roundoff (rtol 1e-15 is
    # 4.5), its arccos by up to 4 ulp on AVX-512: with the cosine's rounding and
    # the conversion, 7e-14 degrees at most, a tenth of rtol 1e-14 of gamma.
    expected_gamma = math.degrees(math.atan2(math.hypot(*np.cross(a, b)), a @ b))
    lengths = [math.hypot(*v) for v in vectors]
    np.testing.assert_allclose(boxes[:, :3], np.tile(lengths, (4, 1)), rtol=1e-15, atol=0)
    np.testing.assert_allclose(boxes[:, 5], expected_gamma, rtol=1e-14, atol=0)
    # chemlib rebuilds the same cell from those lengths and angles.
    from chemlib._box import as_cell

    assert np.allclose(as_cell(boxes[0]).h, vectors, rtol=0, atol=1e-13)


def test_time_dependent_triclinic_box_as_mdanalysis_writes_it(tmp_path):
    positions, lengths = liquid(3, 10)
    vectors = np.zeros((3, 3, 3))
    vectors[:, 0, 0], vectors[:, 1, :2], vectors[:, 2] = lengths[:, 0], [4, 18], [3, 2, 17]
    source = H5MDFrames(write_h5md(tmp_path / "t.h5", positions, vectors))
    assert np.array_equal(read(source, range(3))[1], box_from_vectors(vectors))
    assert np.array_equal(box_from_vectors(np.diag([4.0, 5, 6]))[3:], [90, 90, 90])


def test_a_rotated_triclinic_cell_is_refused(tmp_path):
    positions, _ = liquid(2, 10)
    rotated = np.array([[10.0, 1, 0], [0, 10, 0], [0, 0, 10]])
    source = H5MDFrames(write_h5md(tmp_path / "r.h5", positions, np.stack([rotated] * 2)))
    with pytest.raises(ValueError, match="frame 0 are not lower triangular"):
        read(source, range(2))


def test_lengths_in_nm_become_angstrom_exactly(tmp_path):
    positions, lengths = liquid(3, 10)
    source = H5MDFrames(write_h5md(tmp_path / "nm.h5", positions / 10, lengths / 10, unit="nm"))
    read_positions, boxes = read(source, range(3))
    assert read_positions.dtype == np.float64
    # float32 nm times 10 in float64 is exact: the values the file holds, in Angstrom.
    assert np.array_equal(read_positions, (positions / 10).astype(np.float64) * 10)
    assert np.array_equal(boxes[:, :3], (lengths / 10) * 10)


def test_a_file_mdanalysis_wrote_reads_as_mdanalysis_reads_it(tmp_path):
    import MDAnalysis

    positions, lengths = liquid(5, 12)
    universe = MDAnalysis.Universe.empty(12, trajectory=True)
    path = tmp_path / "mda.h5md"
    with MDAnalysis.Writer(str(path), n_atoms=12, lengthunit="nm", timeunit="ps") as writer:
        for frame, box in zip(positions, boxes_of(lengths), strict=True):
            universe.atoms.positions = frame
            universe.dimensions = box
            writer.write(universe)
    ours = H5MDFrames(path)
    read_positions, boxes = read(ours, range(5))
    theirs = MDAnalysis.Universe(str(path), to_guess=())
    for index, ts in enumerate(theirs.trajectory):
        # MDAnalysis converts nm to Angstrom in float32, chemlib in float64.
        assert np.allclose(read_positions[index], ts.positions, rtol=1e-6, atol=1e-5)
        assert np.allclose(boxes[index], ts.dimensions, rtol=1e-6)


def test_boundary_none_is_no_box(tmp_path):
    positions, _ = liquid(2, 10)
    source = H5MDFrames(write_h5md(tmp_path / "n.h5", positions, None, boundary=["none"] * 3))
    assert not source.periodic
    assert trajectory.rmsd(source).shape == (2,)  # the RMSD needs no box
    with pytest.raises(ValueError, match=r"n.h5 has no periodic box .*the RDF needs one"):
        trajectory.rdf(source)


def test_mixed_boundaries_are_refused_for_the_rdf(tmp_path):
    positions, lengths = liquid(2, 10)
    path = write_h5md(
        tmp_path / "m.h5", positions, lengths, boundary=["periodic", "periodic", "none"]
    )
    with pytest.raises(ValueError, match=r"boundary .* periodic in all three dimensions"):
        trajectory.rdf(path)


def test_box_sampled_apart_from_positions_is_refused(tmp_path):
    positions, lengths = liquid(3, 10)
    path = write_h5md(tmp_path / "s.h5", positions, lengths[:2])
    with pytest.raises(ValueError, match="box/edges holds 2 frames and position 3"):
        trajectory.rdf(path)


def test_groups_are_named_when_there_are_several(tmp_path):
    positions, lengths = liquid(2, 10)
    path = write_h5md(tmp_path / "g.h5", positions, lengths, extra_groups=["water"])
    with pytest.raises(ValueError, match=r"particle groups \['all', 'water'\]: name one"):
        H5MDFrames(path)
    assert H5MDFrames(path, group="water").group == "water"
    with pytest.raises(ValueError, match="no particle group 'ions'"):
        H5MDFrames(path, group="ions")


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p, "does not exist"),
        (lambda p: p.mkdir() or p, "is not a regular file"),
        (lambda p: p.write_text("not hdf5") and p, "is not a readable HDF5 file"),
        (lambda p: h5py.File(p, "w").close() or p, "has no 'particles' group"),
        (lambda p: write_h5md(p, None), "has no position element"),
        (
            lambda p: write_h5md(p, np.zeros((2, 3, 2), np.float32)),
            r"position must hold numbers of shape \(n_frames, n_atoms, 3\)",
        ),
        (
            lambda p: write_h5md(p, np.zeros((2, 3, 3), np.float32), unit="furlong"),
            "length unit 'furlong'",
        ),
    ],
)
def test_bad_files_are_named(tmp_path, make, message):
    path = make(tmp_path / "bad.h5")
    with pytest.raises(ValueError, match=message) as raised:
        H5MDFrames(path)
    assert "bad.h5" in str(raised.value)


def test_h5py_missing_says_what_to_install(tmp_path, no_module):
    no_module("h5py")
    with pytest.raises(ImportError, match="reading H5MD files needs h5py: pip install h5py"):
        H5MDFrames(tmp_path / "any.h5")


def test_array_frames():
    positions, lengths = liquid(4, 10)
    source = ArrayFrames(positions, box=boxes_of(lengths))
    part, frames = source.restricted_to(range(1, 4, 2))
    assert frames == range(1, 4, 2)
    assert part.frames.shape == (2, 10, 3)  # what a task shipped elsewhere carries
    assert np.array_equal(part.positions(frames), positions[1:4:2])
    assert np.array_equal(part.positions(range(3, 4)), positions[3:4])
    assert np.array_equal(part.boxes(frames), boxes_of(lengths)[1:4:2])
    assert np.array_equal(
        ArrayFrames(positions, box=[9, 9, 9, 90, 90, 90]).boxes(ALL)[3, :3], [9, 9, 9]
    )
    with pytest.raises(ValueError, match=r"box must have shape \(6,\) or \(n_frames, 6\)"):
        ArrayFrames(positions, box=np.zeros((3, 6)))
    with pytest.raises(ValueError, match=r"frames must have shape \(n_frames, n, 3\)"):
        ArrayFrames(positions[0])
    with pytest.raises(ValueError, match="group is for an H5MD file"):
        trajectory.rmsd(positions, group="all")
