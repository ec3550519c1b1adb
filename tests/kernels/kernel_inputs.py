"""Inputs shared by the kernel tests: boxes, positions, hypothesis strategies,
and one valid call of every public function."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from kernel_references import box_matrix

import chemlib

ORTHORHOMBIC = np.array([20.0, 22.0, 25.0, 90.0, 90.0, 90.0])
# Triclinic cells people simulate in: a monoclinic one, a rhombic dodecahedron
# (GROMACS' xy-square form) and a truncated octahedron.
TRICLINIC_BOXES = (
    np.array([20.0, 22.0, 25.0, 90.0, 100.0, 90.0]),
    np.array([30.0, 30.0, 30.0, 60.0, 60.0, 90.0]),
    np.array([30.0, 30.0, 30.0, 70.5287794, 109.4712206, 70.5287794]),
)
BOXES = (None, ORTHORHOMBIC, *TRICLINIC_BOXES)
BOX_IDS = ("none", "orthorhombic", "monoclinic", "dodecahedron", "octahedron")


def positions(
    rng: np.random.Generator, n: int, low: float = -10.0, high: float = 40.0
) -> np.ndarray:
    """n random positions, some outside any box used here (they get wrapped)."""
    return rng.uniform(low, high, size=(n, 3))


def boxes() -> st.SearchStrategy[np.ndarray]:
    """Valid orthorhombic and triclinic boxes, not too flat to be meaningful."""
    lengths = st.lists(st.floats(8.0, 40.0), min_size=3, max_size=3)
    angles = st.one_of(
        st.just([90.0, 90.0, 90.0]),
        st.lists(st.floats(60.0, 120.0), min_size=3, max_size=3),
    )

    def build(lengths_and_angles):
        box = np.array(lengths_and_angles[0] + lengths_and_angles[1])
        return box

    def valid(box: np.ndarray) -> bool:
        h = box_matrix(box)
        return np.all(np.isfinite(h)) and abs(np.linalg.det(h)) > 0.2 * np.prod(box[:3])

    return st.tuples(lengths, angles).map(build).filter(valid)


def coordinate_arrays(max_atoms: int = 40, min_atoms: int = 0) -> st.SearchStrategy[np.ndarray]:
    """(n, 3) float64 arrays of positions within +-100 Angstrom."""
    return hnp.arrays(
        np.float64,
        st.tuples(st.integers(min_atoms, max_atoms), st.just(3)),
        elements=st.floats(-100.0, 100.0, allow_nan=False, allow_infinity=False),
    )


XYZ = np.arange(30, dtype=float).reshape(10, 3) % 7
BOX = np.array([10.0, 10.0, 10.0, 90.0, 90.0, 90.0])
TRICLINIC = np.array([10.0, 10.0, 10.0, 60.0, 60.0, 90.0])

# One valid call of every public function: name -> (function, keyword arguments).
VALID = {
    "distance": (chemlib.distance, {"a": [0.0, 1.0, 2.0], "b": [1.0, 1.0, 1.0]}),
    "distance_array": (
        chemlib.distance_array,
        {"reference": XYZ, "configuration": XYZ[:4], "box": BOX},
    ),
    "self_distance_array": (chemlib.self_distance_array, {"reference": XYZ, "box": BOX}),
    "capped_distance": (
        chemlib.capped_distance,
        {"reference": XYZ, "configuration": XYZ[:4], "max_cutoff": 3.0, "box": BOX},
    ),
    "self_capped_distance": (
        chemlib.self_capped_distance,
        {"reference": XYZ, "max_cutoff": 3.0, "box": BOX},
    ),
    "calc_bonds": (chemlib.calc_bonds, {"coords1": XYZ, "coords2": XYZ[::-1], "box": BOX}),
    "calc_angles": (
        chemlib.calc_angles,
        {"coords1": XYZ, "coords2": XYZ[::-1], "coords3": XYZ, "box": BOX},
    ),
    "calc_dihedrals": (
        chemlib.calc_dihedrals,
        {"coords1": XYZ, "coords2": XYZ[::-1], "coords3": XYZ, "coords4": XYZ[::-1], "box": BOX},
    ),
    "rmsd": (chemlib.rmsd, {"a": XYZ, "b": XYZ[::-1]}),
    "rmsd_trajectory": (
        chemlib.rmsd_trajectory,
        {"reference": XYZ, "frames": np.stack([XYZ, XYZ])},
    ),
    "rotation_matrix": (chemlib.rotation_matrix, {"a": XYZ, "b": XYZ[::-1]}),
    "center_of_mass": (chemlib.center_of_mass, {"coords": XYZ, "masses": np.ones(10)}),
    "radius_of_gyration": (chemlib.radius_of_gyration, {"coords": XYZ, "masses": np.ones(10)}),
    "inertia_tensor": (chemlib.inertia_tensor, {"coords": XYZ, "masses": np.ones(10)}),
    "principal_axes": (chemlib.principal_axes, {"coords": XYZ, "masses": np.ones(10)}),
    "rdf": (chemlib.rdf, {"reference": XYZ, "box": BOX, "range": (0.0, 4.0)}),
    "wrap": (chemlib.wrap, {"coords": XYZ, "box": BOX}),
}
COORDINATE_ARGUMENTS = {
    name: [
        k
        for k, v in kwargs.items()
        if isinstance(v, np.ndarray) and v.ndim == 2 and v.shape[1] == 3
    ]
    for name, (_, kwargs) in VALID.items()
}
BOX_TAKERS = [name for name, (_, kwargs) in VALID.items() if "box" in kwargs]


def call(name: str, **overrides):
    function, kwargs = VALID[name]
    return function(**{**kwargs, **overrides})
