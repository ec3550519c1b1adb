"""Random calls of every public chemlib function, for the fuzz harness (test_fuzz.py).

Each call is drawn from a generator of its own, seeded by ``(seed, batch,
index)``: any call is rebuilt from those three numbers alone (``fuzz_child.py
--replay``). The kernels' builders are here, the trajectory API's in
fuzz_trajectory_calls.py; both draw their arguments from fuzz_values.py.

Every public name of ``chemlib.__all__`` and ``chemlib.trajectory.__all__``
(the lists of them) has a builder, but those fuzz_trajectory_calls.NOT_CALLED
lists with the reason (constants, abstract bases, records, and the analysis
dataclasses drawn as run's argument); test_fuzz.py fails when one is missing.
"""

from __future__ import annotations

import operator
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from fuzz_trajectory_calls import TRAJECTORY_BUILDERS
from fuzz_values import (
    Builders,
    array_argument,
    atom_count,
    box,
    coordinates,
    cutoff,
    flag,
    histogram_bins,
    pick,
    result_array,
    second_count,
    weights,
)

import chemlib


@dataclass(frozen=True)
class Call:
    """One call: the function's name in chemlib (``trajectory.rmsd`` for the
    trajectory API) and its keyword arguments."""

    name: str
    kwargs: dict[str, Any]

    def run(self) -> Any:
        """Call the function."""
        return operator.attrgetter(self.name)(chemlib)(**self.kwargs)


def build_distance(rng: np.random.Generator) -> dict[str, Any]:
    k = int(rng.integers(0, 12))
    return {"a": array_argument(rng, (k,)), "b": array_argument(rng, (second_count(rng, k),))}


def build_distance_array(rng: np.random.Generator) -> dict[str, Any]:
    n, m = atom_count(rng), atom_count(rng)
    return {
        "reference": coordinates(rng, n),
        "configuration": coordinates(rng, m),
        "box": box(rng),
        "result": result_array(rng, (n, m)),
    }


def build_self_distance_array(rng: np.random.Generator) -> dict[str, Any]:
    n = atom_count(rng)
    return {
        "reference": coordinates(rng, n),
        "box": box(rng),
        "result": result_array(rng, (n * (n - 1) // 2,)),
    }


def capped_options(rng: np.random.Generator) -> dict[str, Any]:
    return {
        "max_cutoff": cutoff(rng),
        "min_cutoff": None if rng.random() < 0.5 else cutoff(rng),
        "box": box(rng),
        "return_distances": flag(rng),
    }


def build_capped_distance(rng: np.random.Generator) -> dict[str, Any]:
    n, m = atom_count(rng), atom_count(rng)
    return {
        "reference": coordinates(rng, n),
        "configuration": coordinates(rng, m),
        **capped_options(rng),
    }


def build_self_capped_distance(rng: np.random.Generator) -> dict[str, Any]:
    return {"reference": coordinates(rng, atom_count(rng)), **capped_options(rng)}


def corresponding(rng: np.random.Generator, count: int) -> dict[str, Any]:
    n = atom_count(rng)
    # One dtype for all of them now and then: all-float32 takes the float32 kernels.
    arrays = {f"coords{i + 1}": coordinates(rng, second_count(rng, n)) for i in range(count)}
    if rng.random() < 0.3:
        arrays = {
            name: np.asarray(value, dtype=np.float32)
            if isinstance(value, np.ndarray) and value.dtype.kind == "f"
            else value
            for name, value in arrays.items()
        }
    return {**arrays, "box": box(rng)}


def build_calc_bonds(rng: np.random.Generator) -> dict[str, Any]:
    return corresponding(rng, 2)


def build_calc_angles(rng: np.random.Generator) -> dict[str, Any]:
    return corresponding(rng, 3)


def build_calc_dihedrals(rng: np.random.Generator) -> dict[str, Any]:
    return corresponding(rng, 4)


def build_rmsd(rng: np.random.Generator) -> dict[str, Any]:
    n = atom_count(rng)
    return {
        "a": coordinates(rng, n),
        "b": coordinates(rng, second_count(rng, n)),
        "weights": weights(rng, n),
        "center": flag(rng),
        "superposition": flag(rng),
    }


def build_rmsd_trajectory(rng: np.random.Generator) -> dict[str, Any]:
    n, frames = atom_count(rng), int(rng.integers(0, 7))
    shape = pick(
        rng,
        [
            (90, lambda: (frames, second_count(rng, n), 3)),
            (5, lambda: (frames, n)),
            (5, lambda: (frames, n, 2)),
        ],
    )
    return {
        "reference": coordinates(rng, n),
        "frames": array_argument(rng, shape),
        "weights": weights(rng, n),
        "superposition": flag(rng),
        "center": flag(rng),
        "precentered": flag(rng),
    }


def build_rotation_matrix(rng: np.random.Generator) -> dict[str, Any]:
    n = atom_count(rng)
    return {
        "a": coordinates(rng, n),
        "b": coordinates(rng, second_count(rng, n)),
        "weights": weights(rng, n),
    }


def mass_properties(rng: np.random.Generator) -> dict[str, Any]:
    n = atom_count(rng)
    return {
        "coords": coordinates(rng, n),
        "masses": weights(rng, n, allow_none=rng.random() < 0.02),
    }


def build_rdf(rng: np.random.Generator) -> dict[str, Any]:
    n = atom_count(rng)
    return {
        "reference": coordinates(rng, n),
        "configuration": None if rng.random() < 0.5 else coordinates(rng, atom_count(rng)),
        "box": box(rng) if rng.random() < 0.9 else None,
        **histogram_bins(rng),
    }


def build_wrap(rng: np.random.Generator) -> dict[str, Any]:
    return {"coords": coordinates(rng, atom_count(rng)), "box": box(rng)}


def build_show_config(rng: np.random.Generator) -> dict[str, Any]:
    return {}


# name -> (builder, relative frequency). show_config takes no input worth
# varying and reads the process's libraries: drawn rarely.
BUILDERS: Builders = {
    "distance": (build_distance, 1.0),
    "distance_array": (build_distance_array, 1.0),
    "self_distance_array": (build_self_distance_array, 1.0),
    "capped_distance": (build_capped_distance, 1.0),
    "self_capped_distance": (build_self_capped_distance, 1.0),
    "calc_bonds": (build_calc_bonds, 1.0),
    "calc_angles": (build_calc_angles, 1.0),
    "calc_dihedrals": (build_calc_dihedrals, 1.0),
    "rmsd": (build_rmsd, 1.0),
    "rmsd_trajectory": (build_rmsd_trajectory, 1.0),
    "rotation_matrix": (build_rotation_matrix, 1.0),
    "center_of_mass": (mass_properties, 1.0),
    "radius_of_gyration": (mass_properties, 1.0),
    "inertia_tensor": (mass_properties, 1.0),
    "principal_axes": (mass_properties, 1.0),
    "rdf": (build_rdf, 1.0),
    "wrap": (build_wrap, 1.0),
    "show_config": (build_show_config, 0.01),
    **TRAJECTORY_BUILDERS,
}
NAMES = sorted(BUILDERS)
FREQUENCIES = np.array([BUILDERS[name][1] for name in NAMES])


def make_call(seed: int, batch: int, index: int) -> Call:
    """The call numbered (seed, batch, index): the same on every machine and NumPy."""
    rng = np.random.default_rng([seed, batch, index])
    name = NAMES[rng.choice(len(NAMES), p=FREQUENCIES / FREQUENCIES.sum())]
    # Overflowing casts (1e300 to float32) are meant here, not findings.
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return Call(name, BUILDERS[name][0](rng))


def describe(call: Call) -> str:
    """Python-like text of the call: array arguments exact when small (dtype,
    layout, values), anything else (an analysis holding arrays too) by its repr."""
    parts = []
    for key, value in call.kwargs.items():
        if isinstance(value, np.ndarray):
            flags = []
            if not value.flags.c_contiguous:
                flags.append("F-ordered" if value.flags.f_contiguous else "strided")
            if not value.flags.writeable:
                flags.append("read-only")
            note = f"  # {', '.join(flags)}" if flags else ""
            if value.size <= 24:
                text = np.array2string(value, separator=", ", floatmode="unique", threshold=24)
                parts.append(f"{key}=np.array({text}, dtype={value.dtype}){note}")
            else:
                parts.append(f"{key}=<array shape={value.shape} dtype={value.dtype}>{note}")
        else:
            text = repr(value)
            parts.append(f"{key}={text if len(text) <= 400 else text[:400] + '...'}")
    return f"chemlib.{call.name}({', '.join(parts)})"
