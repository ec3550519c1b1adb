"""self_capped_distance and capped_distance against vesin, freud, MDAnalysis and SciPy."""

from __future__ import annotations

import numpy as np

import chemlib
from harness import CHEMLIB, Case, available, same_pair_count

DENSITY = 0.1  # atoms per cubic Angstrom: liquid water's atoms
CUTOFF = 5.0


def liquid(n: int, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """n atoms at liquid density in a cubic periodic box."""
    side = (n / DENSITY) ** (1 / 3)
    coords = np.random.default_rng(seed).uniform(0, side, (n, 3))
    return coords, np.array([side, side, side, 90.0, 90.0, 90.0])


def peers(coords: np.ndarray, box: np.ndarray) -> dict:
    """Every installed implementation of the periodic self search; each returns the pair count."""
    calls = {CHEMLIB: lambda: chemlib.self_capped_distance(coords, CUTOFF, box=box)}
    if available("vesin"):
        from vesin import NeighborList

        search = NeighborList(cutoff=CUTOFF, full_list=False)
        calls["vesin"] = lambda: len(
            search.compute(coords, np.diag(box[:3]), periodic=True, quantities="ij")[0]
        )
    if available("freud"):
        import freud

        freud_box = freud.box.Box.cube(box[0])
        points = coords.astype(np.float32) - box[0] / 2  # freud's box is centred on 0
        query = freud.locality.AABBQuery(freud_box, points)
        calls["freud AABB"] = lambda: (
            len(query.query(points, {"r_max": CUTOFF, "exclude_ii": True}).toNeighborList()) // 2
        )
    if available("MDAnalysis"):
        from MDAnalysis.lib import distances as mda

        calls["MDAnalysis nsgrid"] = lambda: len(
            mda.self_capped_distance(
                coords.astype(np.float32), CUTOFF, box=box.astype(np.float32), method="nsgrid"
            )[0]
        )
    if available("scipy"):
        from scipy.spatial import cKDTree

        calls["SciPy cKDTree"] = lambda: len(
            cKDTree(coords, boxsize=box[:3]).query_pairs(CUTOFF, output_type="ndarray")
        )
    return calls


def cases(quick: bool) -> list[Case]:
    """~100k atoms at liquid density, 5 A cutoff, periodic; plus a scaling curve."""
    n = 20_000 if quick else 100_000
    coords, box = liquid(n)
    result = [
        Case(
            "self_capped_distance",
            f"{n} atoms, liquid, 5 A, periodic",
            peers(coords, box),
            same_pair_count,
        )
    ]
    other, _ = liquid(n, seed=4)
    cross = {CHEMLIB: lambda: chemlib.capped_distance(coords, other, CUTOFF, box=box)}
    if available("MDAnalysis"):
        from MDAnalysis.lib import distances as mda

        cross["MDAnalysis nsgrid"] = lambda: len(
            mda.capped_distance(coords, other, CUTOFF, box=box, method="nsgrid")[0]
        )
    if available("scipy"):
        from scipy.spatial import cKDTree

        cross["SciPy cKDTree"] = lambda: (
            cKDTree(coords, boxsize=box[:3])
            .sparse_distance_matrix(cKDTree(other, boxsize=box[:3]), CUTOFF, output_type="ndarray")
            .shape[0]
        )
    result.append(
        Case("capped_distance", f"{n} x {n} atoms, liquid, 5 A, periodic", cross, same_pair_count)
    )
    sizes = (1_000, 10_000, 100_000) if quick else (1_000, 10_000, 100_000, 1_000_000)
    for size in sizes:
        coords_s, box_s = liquid(size, seed=size)
        calls = {
            k: v
            for k, v in peers(coords_s, box_s).items()
            if k in (CHEMLIB, "vesin", "MDAnalysis nsgrid")
        }
        result.append(
            Case(
                "self_capped_distance",
                f"scaling, {size} atoms",
                calls,
                same_pair_count,
                series="neighbour search",
                size=size,
            )
        )
    return result
