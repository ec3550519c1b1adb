"""chemlib: fast molecular-geometry kernels in Fortran and C.

Coordinates are ``(n, 3)`` arrays in Angstrom (float32 or float64; results are
float64). A ``box`` is ``[lx, ly, lz, alpha, beta, gamma]`` in Angstrom and
degrees, as in MDAnalysis: orthorhombic when all angles are 90, triclinic
otherwise, None for no periodicity; distances then follow the minimum-image
convention. Box lengths lie in [1e-90, 1e90] Angstrom and angles in (0, 180)
degrees, with a volume of at least 1e-6 lx ly lz (see chemlib._box). Every
function checks its arguments and raises ValueError or TypeError naming the
argument before any result is returned.

BLAS, LAPACK, the Fortran runtime and OpenMP come from the environment (the
conda solver or the system); ``chemlib.show_config()`` shows which ones are in
use. OpenMP kernels honour ``OMP_NUM_THREADS`` and threadpoolctl's limits.
"""

from chemlib import _build_info
from chemlib._config import show_config
from chemlib.distances import distance_array, self_distance_array
from chemlib.geometry import calc_angles, calc_bonds, calc_dihedrals, distance
from chemlib.mass_properties import (
    center_of_mass,
    inertia_tensor,
    principal_axes,
    radius_of_gyration,
)
from chemlib.neighbors import capped_distance, self_capped_distance
from chemlib.periodic import wrap
from chemlib.rdf import rdf
from chemlib.rmsd import rmsd, rmsd_trajectory, rotation_matrix

__version__ = _build_info.VERSION

__all__ = [
    "__version__",
    "calc_angles",
    "calc_bonds",
    "calc_dihedrals",
    "capped_distance",
    "center_of_mass",
    "distance",
    "distance_array",
    "inertia_tensor",
    "principal_axes",
    "radius_of_gyration",
    "rdf",
    "rmsd",
    "rmsd_trajectory",
    "rotation_matrix",
    "self_capped_distance",
    "self_distance_array",
    "show_config",
    "wrap",
]
