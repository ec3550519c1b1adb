"""rdf against MDAnalysis' InterRDF, freud and a cKDTree + histogram."""

from __future__ import annotations

import numpy as np

import chemlib
from bench_neighbors import liquid
from harness import CHEMLIB, Case, available, same_values

NBINS, RANGE = 75, (0.0, 15.0)


def peers(coords: np.ndarray, box: np.ndarray) -> dict:
    """Every installed implementation of one frame's self RDF; each returns g(r)."""
    calls = {CHEMLIB: lambda: chemlib.rdf(coords, box=box, nbins=NBINS, range=RANGE)[1]}
    if available("MDAnalysis"):
        import MDAnalysis
        from MDAnalysis.analysis.rdf import InterRDF

        universe = MDAnalysis.Universe.empty(len(coords), trajectory=True)
        universe.atoms.positions = coords
        universe.dimensions = box

        def interrdf():
            analysis = InterRDF(
                universe.atoms, universe.atoms, nbins=NBINS, range=RANGE, exclusion_block=(1, 1)
            )
            return analysis.run().results.rdf

        calls["MDAnalysis InterRDF"] = interrdf
    if available("scipy"):
        from scipy.spatial import cKDTree

        def kdtree_histogram():
            tree = cKDTree(coords, boxsize=box[:3])
            distances = tree.sparse_distance_matrix(tree, RANGE[1], output_type="ndarray")["v"]
            counts, edges = np.histogram(distances[distances > 0], bins=NBINS, range=RANGE)
            shells = 4 / 3 * np.pi * (edges[1:] ** 3 - edges[:-1] ** 3)
            n = len(coords)
            return counts / (n * (n - 1) / np.prod(box[:3]) * shells)

        calls["SciPy cKDTree + histogram"] = kdtree_histogram
    if available("freud"):
        import freud

        freud_box = freud.box.Box.cube(box[0])
        points = coords.astype(np.float32) - box[0] / 2
        rdf = freud.density.RDF(bins=NBINS, r_max=RANGE[1], r_min=RANGE[0])
        calls["freud"] = lambda: rdf.compute((freud_box, points), reset=True).rdf
    return calls


def cases(quick: bool) -> list[Case]:
    """One frame of 10k atoms at liquid density; plus a scaling curve."""
    coords, box = liquid(10_000)
    result = [
        Case("rdf", "10k atoms, liquid, 75 bins to 15 A", peers(coords, box), same_values(5e-3))
    ]
    sizes = (1_000, 10_000, 100_000) if quick else (1_000, 10_000, 100_000, 1_000_000)
    for size in sizes:
        coords_s, box_s = liquid(size, seed=size)
        # freud needs ~15 s per call at 1e5 atoms: beyond that only chemlib runs.
        kept = (CHEMLIB, "freud") if size <= 100_000 else (CHEMLIB,)
        calls = {k: v for k, v in peers(coords_s, box_s).items() if k in kept}
        result.append(Case("rdf", f"scaling, {size} atoms", calls, None, series="rdf", size=size))
    return result
