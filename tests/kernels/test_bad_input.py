"""Every public function rejects bad input before compiled code runs.

(One exception, for speed: NaN and infinity in the coordinates of calc_bonds,
calc_angles, calc_dihedrals and in rmsd_trajectory's frames are counted by the
kernels as they read each block, and the same error is raised after them.)

Each case names the argument and what is wrong; the error must name the
argument too. The catalogue follows the API contract: wrong ndim/shape,
mismatched lengths, non-numeric dtypes, NaN/inf in coordinates or box, box
lengths <= 0, degenerate angles, bad cutoffs, bad masses/weights, bad `result`
arrays, and triclinic cutoffs beyond the minimum image.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from kernel_inputs import BOX_TAKERS, COORDINATE_ARGUMENTS, TRICLINIC, VALID, XYZ, call

import chemlib


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_arguments_are_accepted(name):
    call(name)


def with_value(array: np.ndarray, index: tuple[int, ...], value: float) -> np.ndarray:
    """A copy of array with one element replaced."""
    changed = array.copy()
    changed[index] = value
    return changed


COORDINATE_CASES = [
    (np.zeros((4, 2)), ValueError, r"shape \(n, 3\)"),
    (np.zeros((4, 3, 1)), ValueError, r"shape"),
    (np.zeros(3), ValueError, r"shape"),
    (np.array([["a", "b", "c"]]), TypeError, "real numbers"),
    (np.ones((2, 3), dtype=complex), TypeError, "real numbers"),
    (np.ones((2, 3), dtype=bool), TypeError, "real numbers"),
    (np.array([[1, None, 2]], dtype=object), TypeError, "real numbers"),
    # Full length, so that no length check can answer first.
    (with_value(XYZ, (3, 1), np.nan), ValueError, r"NaN or infinity at index \(3, 1\)"),
    (with_value(XYZ, (9, 2), -np.inf), ValueError, r"NaN or infinity at index \(9, 2\)"),
    (None, TypeError, "None"),
]


@pytest.mark.parametrize(
    ("name", "argument"), [(n, a) for n in sorted(VALID) for a in COORDINATE_ARGUMENTS[n]]
)
@pytest.mark.parametrize(("value", "error", "message"), COORDINATE_CASES)
def test_bad_coordinates_are_named(name, argument, value, error, message):
    with pytest.raises(error, match=message) as raised:
        call(name, **{argument: value})
    assert argument in str(raised.value)


@pytest.mark.parametrize(
    "name",
    [
        n
        for n in sorted(VALID)
        if len(COORDINATE_ARGUMENTS[n]) > 1 and n != "distance_array" and n != "capped_distance"
    ],
)
def test_mismatched_lengths(name):
    second = COORDINATE_ARGUMENTS[name][1]
    with pytest.raises(ValueError, match="same number of atoms") as raised:
        call(name, **{second: XYZ[:3]})
    assert second in str(raised.value)


def test_mismatched_vector_lengths_in_distance():
    with pytest.raises(ValueError, match="same length"):
        chemlib.distance([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="b must be 1-D"):
        chemlib.distance([1.0, 2.0], [[1.0, 2.0]])
    with pytest.raises(ValueError, match="a contains NaN"):
        chemlib.distance([np.nan, 2.0], [1.0, 2.0])


def test_trajectory_with_other_atom_count():
    with pytest.raises(ValueError, match="frames must hold as many atoms"):
        chemlib.rmsd_trajectory(XYZ, np.zeros((2, 9, 3)))
    with pytest.raises(ValueError, match=r"frames must have shape \(n_frames, n, 3\)"):
        chemlib.rmsd_trajectory(XYZ, XYZ)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("precentered", [True, False])
@pytest.mark.parametrize("superposition", [True, False])
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize(
    ("frame", "atom", "axis", "bad"), [(0, 0, 0, np.nan), (37, 5, 1, np.inf), (99, 9, 2, -np.inf)]
)
def test_non_finite_frames_are_named(
    frame, atom, axis, bad, center, superposition, precentered, dtype
):
    # The trajectory kernels (float64 and float32 frames) screen each frame as
    # they read it: first, middle and last frame, every mode, must still give
    # the argument checks' error.
    frames = np.stack([XYZ] * 100).astype(dtype)
    frames[frame, atom, axis] = bad
    expected = rf"frames contains NaN or infinity at index \({frame}, {atom}, {axis}\)"
    with pytest.raises(ValueError, match=expected):
        chemlib.rmsd_trajectory(
            XYZ, frames, center=center, superposition=superposition, precentered=precentered
        )


BOX_CASES = [
    (np.array([10.0, 10.0, 10.0]), ValueError, r"shape \(6,\)"),
    (np.zeros((2, 6)), ValueError, r"shape \(6,\)"),
    (np.array(["10"] * 6), TypeError, "real numbers"),
    (np.array([10.0, np.nan, 10.0, 90, 90, 90]), ValueError, "NaN or infinity"),
    (np.array([10.0, 10.0, 10.0, 90, np.inf, 90]), ValueError, "NaN or infinity"),
    (np.array([10.0, 0.0, 10.0, 90, 90, 90]), ValueError, "lengths must be > 0"),
    (np.array([10.0, 10.0, -5.0, 90, 90, 90]), ValueError, "lengths must be > 0"),
    (np.array([10.0, 10.0, 10.0, 0, 90, 90]), ValueError, r"angles must lie in \(0, 180\)"),
    (np.array([10.0, 10.0, 10.0, 90, 180, 90]), ValueError, r"angles must lie in \(0, 180\)"),
    (np.array([10.0, 10.0, 10.0, 60, 60, 120]), ValueError, "degenerate cell"),
    (np.array([10.0, 10.0, 10.0, 150, 150, 150]), ValueError, "degenerate cell"),
    # Subnormal and mixed-range lengths and angles: the cell would divide by
    # zero or overflow while being built (issue 14); checked before any arithmetic.
    (np.array([5e-324, 1e-300, 3, 5e-324, 1e-300, 5e-324]), ValueError, r"lengths must lie in"),
    (np.array([1e300, 1e-300, 1e300, 90, 90, 90]), ValueError, r"lengths must lie in"),
    (np.array([1e300, 1e-300, 3, 60, 70, 80]), ValueError, r"lengths must lie in"),
    (np.array([1e-300, 1e-300, 1e-300, 90, 90, 90]), ValueError, r"lengths must lie in"),
    (np.array([1e91, 10.0, 10.0, 90, 90, 90]), ValueError, r"lengths must lie in"),
    (np.array([10.0, 10.0, 10.0, 5e-324, 90, 90]), ValueError, "degenerate cell"),
    (np.array([10.0, 10.0, 10.0, 90, 90, 1e-300]), ValueError, "degenerate cell"),
    (np.array([10.0, 10.0, 10.0, 90, 180 - 1e-12, 90]), ValueError, "degenerate cell"),
    # Flat but not degenerate, or long beside its face heights: the triclinic
    # minimum image would search ~1e13 lattice vectors (it ran out of memory).
    (np.array([10.0, 10.0, 10.0, 0.0001, 90, 90]), ValueError, "lattice vectors"),
    (np.array([1e5, 10.0, 10.0, 90, 90, 80]), ValueError, "lattice vectors"),
]


@pytest.mark.parametrize("name", BOX_TAKERS)
@pytest.mark.parametrize(("value", "error", "message"), BOX_CASES)
def test_bad_boxes_are_named(name, value, error, message):
    with pytest.raises(error, match=message) as raised:
        call(name, box=value)
    assert "box" in str(raised.value)


@pytest.mark.parametrize(
    "box",
    [
        [1e-90, 1e-90, 1e-90, 90, 90, 90],
        [1e90, 1e90, 1e90, 90, 90, 90],
        [1e90, 1e-90, 1.0, 90, 90, 90],
        [1e-90, 1e-90, 1e-90, 60, 60, 90],
        [1e90, 1e90, 1e90, 70.5287794, 109.4712206, 70.5287794],
    ],
)
def test_boxes_at_the_length_bounds_give_finite_cells(box):
    # The bounds are sound: at their ends every matrix the kernels get is
    # finite and the volume is a normal float, with no floating-point warning.
    with np.errstate(all="raise"):
        cell = chemlib._box.as_cell(np.array(box))
    for matrix in (cell.h, cell.hinv, cell.heights):
        assert np.all(np.isfinite(matrix))
    assert np.finfo(float).tiny < cell.volume < np.finfo(float).max
    assert np.all(np.isfinite(chemlib.distance_array(XYZ * box[0], XYZ[:4] * box[0], box=box)))


@pytest.mark.parametrize("name", ["rdf", "wrap"])
def test_box_is_required_where_periodicity_is_the_point(name):
    with pytest.raises(ValueError, match="box is required"):
        call(name, box=None)


CUTOFF_CASES = [
    ({"max_cutoff": 0.0}, ValueError, "max_cutoff must be > 0"),
    ({"max_cutoff": -1.0}, ValueError, "max_cutoff must be > 0"),
    ({"max_cutoff": np.nan}, ValueError, "max_cutoff must be finite"),
    ({"max_cutoff": np.inf}, ValueError, "max_cutoff must be finite"),
    ({"max_cutoff": "3"}, TypeError, "max_cutoff must be a real number"),
    ({"max_cutoff": None}, TypeError, "max_cutoff must be a real number"),
    ({"min_cutoff": -1.0}, ValueError, "min_cutoff must be >= 0"),
    ({"min_cutoff": -5e-324}, ValueError, "min_cutoff must be >= 0"),
    ({"min_cutoff": 3.0}, ValueError, "min_cutoff .* must be smaller than max_cutoff"),
    ({"min_cutoff": 5.0}, ValueError, "min_cutoff .* must be smaller than max_cutoff"),
    ({"min_cutoff": np.nan}, ValueError, "min_cutoff must be finite"),
    (
        {"box": TRICLINIC, "max_cutoff": 4.0},
        ValueError,
        "max_cutoff=4.0 exceeds half the smallest height",
    ),
    ({"return_distances": "yes"}, TypeError, "return_distances must be True or False"),
]


@pytest.mark.parametrize("name", ["capped_distance", "self_capped_distance"])
@pytest.mark.parametrize(("overrides", "error", "message"), CUTOFF_CASES)
def test_bad_cutoffs(name, overrides, error, message):
    with pytest.raises(error, match=message):
        call(name, **overrides)


def test_triclinic_cutoff_at_the_limit_is_accepted():
    limit = chemlib._box.as_cell(TRICLINIC).max_cutoff()
    chemlib.self_capped_distance(XYZ, limit, box=TRICLINIC)


MASS_CASES = [
    (np.ones(9), ValueError, r"shape \(10,\)"),
    (np.ones((10, 1)), ValueError, "1-D"),
    (-np.ones(10), ValueError, "non-negative"),
    (np.zeros(10), ValueError, "all zero"),
    (np.r_[np.nan, np.ones(9)], ValueError, "NaN or infinity"),
    (np.array(["1"] * 10), TypeError, "real numbers"),
    (None, TypeError, "None"),
]


@pytest.mark.parametrize(
    "name", ["center_of_mass", "radius_of_gyration", "inertia_tensor", "principal_axes"]
)
@pytest.mark.parametrize(("value", "error", "message"), MASS_CASES)
def test_bad_masses(name, value, error, message):
    with pytest.raises(error, match=message) as raised:
        call(name, masses=value)
    assert "masses" in str(raised.value)


@pytest.mark.parametrize("name", ["rmsd", "rmsd_trajectory", "rotation_matrix"])
@pytest.mark.parametrize(("value", "error", "message"), [c for c in MASS_CASES if c[0] is not None])
def test_bad_weights(name, value, error, message):
    with pytest.raises(error, match=message) as raised:
        call(name, weights=value)
    assert "weights" in str(raised.value)


@pytest.mark.parametrize(
    ("name", "flag"),
    [
        *itertools.product(["rmsd", "rmsd_trajectory"], ["center", "superposition"]),
        ("rmsd_trajectory", "precentered"),
    ],
)
def test_flags_must_be_booleans(name, flag):
    with pytest.raises(TypeError, match=f"{flag} must be True or False"):
        call(name, **{flag: "no"})


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("rmsd", {"a": np.empty((0, 3)), "b": np.empty((0, 3))}),
        ("rotation_matrix", {"a": np.empty((0, 3)), "b": np.empty((0, 3))}),
        ("rmsd_trajectory", {"reference": np.empty((0, 3)), "frames": np.empty((2, 0, 3))}),
        ("center_of_mass", {"coords": np.empty((0, 3)), "masses": np.empty(0)}),
    ],
)
def test_reductions_over_no_atoms_say_why(name, overrides):
    with pytest.raises(ValueError, match="no atoms"):
        call(name, **overrides)


RESULT_CASES = [
    (lambda shape: np.empty(shape, dtype=np.float32), TypeError, "dtype float64"),
    (lambda shape: np.empty(shape, dtype=np.int64), TypeError, "dtype float64"),
    (lambda shape: np.empty((shape[0] + 1, *shape[1:])), ValueError, "must have shape"),
    (
        lambda shape: [[0.0] * shape[-1]] * shape[0] if len(shape) == 2 else [0.0] * shape[0],
        TypeError,
        "numpy.ndarray",
    ),
    (
        lambda shape: np.empty(shape[::-1]).T if len(shape) == 2 else np.empty(2 * shape[0])[::2],
        ValueError,
        "C-contiguous",
    ),
]


@pytest.mark.parametrize(
    ("name", "shape"), [("distance_array", (10, 4)), ("self_distance_array", (45,))]
)
@pytest.mark.parametrize(("make", "error", "message"), RESULT_CASES)
def test_bad_result_arrays(name, shape, make, error, message):
    with pytest.raises(error, match=message) as raised:
        call(name, result=make(shape))
    assert "result" in str(raised.value)


def test_read_only_result_is_rejected():
    out = np.empty((10, 4))
    out.flags.writeable = False
    with pytest.raises(ValueError, match="result must be writeable"):
        chemlib.distance_array(XYZ, XYZ[:4], result=out)


RDF_CASES = [
    ({"nbins": 0}, ValueError, "nbins must be >= 1"),
    ({"nbins": 2.5}, TypeError, "nbins must be an integer"),
    ({"range": (5.0, 1.0)}, ValueError, "range must satisfy low < high"),
    ({"range": (-1.0, 4.0)}, ValueError, r"range\[0\] must be >= 0"),
    ({"range": (0.0, np.inf)}, ValueError, r"range\[1\] must be finite"),
    ({"range": (1.0,)}, ValueError, r"range must be a \(low, high\) pair"),
    ({"range": 4.0}, TypeError, r"range must be a \(low, high\) pair"),
    ({"box": TRICLINIC, "range": (0.0, 4.5)}, ValueError, r"range\[1\]=4.5 exceeds half"),
    # Shell volumes beyond float64, and bins too narrow for the kernel to find
    # one (its bins per Angstrom were infinite): found by the fuzz harness.
    ({"range": (0.0, 1e300)}, ValueError, r"range\[1\] must be <= 1e\+100"),
    ({"range": (0.0, 5e-324)}, ValueError, "bins narrower than 1e-100"),
    ({"range": (0.0, 1e-100), "nbins": 2}, ValueError, "bins narrower than 1e-100"),
    (
        {"box": [1e90, 1e90, 1e90, 90, 90, 90], "range": (0.0, 1e-99), "nbins": 1},
        ValueError,
        "outside float64's range",
    ),
]


@pytest.mark.parametrize(("overrides", "error", "message"), RDF_CASES)
def test_bad_rdf_arguments(overrides, error, message):
    with pytest.raises(error, match=message):
        call("rdf", **overrides)


@pytest.mark.parametrize(
    ("name", "overrides"),
    [
        ("principal_axes", {"masses": np.full(10, 5e-324)}),
        ("center_of_mass", {"masses": np.full(10, 5e-324)}),
        ("radius_of_gyration", {"masses": np.full(10, 1e308)}),
        ("rmsd", {"a": XYZ * 1e300, "b": XYZ[::-1] * 1e300, "superposition": True}),
        ("rotation_matrix", {"a": XYZ * 1e300, "b": XYZ[::-1] * 1e300}),
        ("rmsd_trajectory", {"frames": np.stack([XYZ * 1e300]), "weights": np.full(10, 5e-324)}),
        ("principal_axes", {"coords": XYZ * 1e300}),
    ],
)
def test_extreme_magnitudes_give_finite_results(name, overrides):
    # These raised RuntimeError (LAPACK dsyev failed) or returned inf/NaN
    # (issue 14): the wrappers now rescale exactly (see test_magnitudes.py).
    result = call(name, **overrides)
    values = result[0] if isinstance(result, tuple) else result
    assert np.all(np.isfinite(values))


def test_inertia_tensor_of_subnormal_masses_names_them():
    with pytest.raises(ValueError, match="masses and coords give an inertia tensor"):
        chemlib.inertia_tensor(XYZ, np.full(10, 5e-324))


# With a box, calc_bonds/angles/dihedrals fold such coordinates into finite,
# meaningless images (beyond 2**51 box lengths float64 holds no minimum image,
# as minimum_image.f90 documents); rdf needs a box.
OVERFLOW_CASES = [
    (name, box)
    for name in sorted(VALID)
    if name in BOX_TAKERS and name != "wrap"
    for box in (None, VALID[name][1]["box"])
    if not (box is not None and name.startswith("calc_")) and not (box is None and name == "rdf")
]


@pytest.mark.parametrize(("name", "box"), OVERFLOW_CASES)
def test_coordinates_whose_squares_overflow_are_named(name, box, rng):
    # Distances of 1e300 and -1e300 came back inf (or pairs went missing);
    # calc_angles gave NaN (issue 14). Every coordinate argument is tried, the
    # others holding atoms in general position (no degenerate angle).
    arguments = COORDINATE_ARGUMENTS[name]
    shapes = {argument: VALID[name][1][argument].shape for argument in arguments}
    for argument in arguments:
        values = {other: rng.normal(size=shape) for other, shape in shapes.items()}
        values[argument] = values[argument] * 1e300
        if name == "calc_dihedrals" and argument in ("coords1", "coords4"):
            # An end atom only sets a bond's direction: the kernel's answer is
            # correct there, and equals that of the atom moved in to ~10 A.
            inner = "coords2" if argument == "coords1" else "coords3"
            near = {**values, argument: values[inner] + values[argument] / 1e299}
            np.testing.assert_allclose(
                call(name, **values, box=box), call(name, **near, box=box), rtol=0, atol=1e-12
            )
            continue
        with pytest.raises(ValueError, match=r"coordinate of magnitude \d(\.\d+)?e\+300") as raised:
            call(name, **values, box=box)
        assert argument in str(raised.value)


@pytest.mark.parametrize("name", ["distance_array", "calc_bonds", "capped_distance"])
def test_coordinates_at_the_bound_give_finite_distances(name):
    edge = np.array([[2.0**510, -(2.0**510), 2.0**510], [-(2.0**510), 2.0**510, -(2.0**510)]])
    other = -edge
    if name == "capped_distance":
        pairs, distances = chemlib.capped_distance(edge, other, max_cutoff=1e308)
        assert len(pairs) == 4
    else:
        arguments = (
            ("reference", "configuration") if name == "distance_array" else ("coords1", "coords2")
        )
        distances = call(name, **dict(zip(arguments, (edge, other), strict=True)), box=None)
    assert np.all(np.isfinite(distances))
    assert np.max(distances) == pytest.approx(2.0**511 * np.sqrt(3), rel=1e-15)
