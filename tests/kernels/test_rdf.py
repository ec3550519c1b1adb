"""chemlib.rdf: radial distribution function by cell lists."""

from __future__ import annotations

import numpy as np
import pytest
from kernel_inputs import ORTHORHOMBIC, TRICLINIC_BOXES, positions
from kernel_references import box_matrix
from kernel_references import rdf as reference_rdf

import chemlib

PERIODIC = (ORTHORHOMBIC, *TRICLINIC_BOXES)
PERIODIC_IDS = ("orthorhombic", "monoclinic", "dodecahedron", "octahedron")

# rtol 1e-12 against kernel_references.rdf: the counts are equal (the two
# distances of a pair differ by 1.5e-13 A at most, test_geometry, and the
# closest of these pairs to an edge is 7e-7 A from it), chemlib's g is within 8 eps, and the
# reference's shells b^3 - a^3 magnify their cubes' rounding by at most
# (b^3 + a^3) / (b^3 - a^3) = 2 b / (3 (b - a)) ~ 27: about 40 eps in all.


@pytest.mark.parametrize("box", PERIODIC, ids=PERIODIC_IDS)
def test_self_rdf_matches_reference(rng, box):
    a = positions(rng, 600)
    centers, g = chemlib.rdf(a, box=box, nbins=40, range=(0.0, 9.0))
    np.testing.assert_allclose(g, reference_rdf(a, None, box, 40, 0.0, 9.0), rtol=1e-12)
    np.testing.assert_allclose(centers, (np.arange(40) + 0.5) * 9.0 / 40)


@pytest.mark.parametrize("box", PERIODIC, ids=PERIODIC_IDS)
def test_cross_rdf_matches_reference(rng, box):
    a, b = positions(rng, 400), positions(rng, 500)
    _, g = chemlib.rdf(a, b, box=box, nbins=25, range=(1.5, 9.5))
    np.testing.assert_allclose(g, reference_rdf(a, b, box, 25, 1.5, 9.5), rtol=1e-12)


def test_ideal_gas_gives_one():
    rng = np.random.default_rng(1)
    box = np.array([30.0, 30.0, 30.0, 90, 90, 90])
    a = rng.uniform(0, 30, (20000, 3))
    _, g = chemlib.rdf(a, box=box, nbins=10, range=(5.0, 12.0))
    np.testing.assert_allclose(g, 1.0, atol=0.02)


def test_bins_follow_numpy_histogram_edges():
    # Distances exactly on interior edges belong to the bin on their right,
    # the last edge to the last bin, as in numpy.histogram.
    box = np.array([50.0, 50.0, 50.0, 90, 90, 90])
    a = np.zeros((1, 3))
    b = np.array([[1.0, 0, 0], [2.0, 0, 0], [4.0, 0, 0], [0.5, 0, 0]])
    _, g = chemlib.rdf(a, b, box=box, nbins=4, range=(1.0, 4.0))
    counts = np.histogram([1.0, 2.0, 4.0, 0.5], bins=4, range=(1.0, 4.0))[0]
    edges = np.linspace(1.0, 4.0, 5)
    # Exact cubes of these edges (products, not NumPy's SIMD power): the shells
    # are within a few ulps, and g within 8 eps: the default rtol 1e-7 sees
    # only a pair counted in the wrong bin.
    cubes = edges * edges * edges
    shells = 4 / 3 * np.pi * (cubes[1:] - cubes[:-1])
    np.testing.assert_allclose(g * (4 / box_matrix(box).diagonal().prod() * shells), counts)


def test_coincident_cross_pairs_count_in_the_first_bin():
    box = np.array([10.0, 10.0, 10.0, 90, 90, 90])
    a = np.ones((2, 3))
    _, g = chemlib.rdf(a, a.copy(), box=box, nbins=2, range=(0.0, 1.0))
    assert g[0] > 0
    assert g[1] == 0


def test_no_pairs_gives_zeros_not_nan():
    box = np.array([10.0, 10.0, 10.0, 90, 90, 90])
    _, g = chemlib.rdf(np.ones((1, 3)), box=box, nbins=3, range=(0.0, 2.0))
    np.testing.assert_array_equal(g, 0.0)
    _, g = chemlib.rdf(np.empty((0, 3)), np.ones((3, 3)), box=box)
    np.testing.assert_array_equal(g, 0.0)
