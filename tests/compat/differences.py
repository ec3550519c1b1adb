"""Every test of MDAnalysisTests/lib/test_distances.py not run as-is against chemlib, and why.

Keys are fnmatch patterns of a test's id inside that module without its
parameters (``Class::test``), so an entry covers every parametrization of the
test; values are (category, reason). The plugin
(mdanalysis_plugin.py) fails the run if a pattern matches no test, and marks
the XFAILED ones strict: they must keep failing, so an entry cannot outlive
the difference it describes. Checked against MDAnalysis/MDAnalysisTests 2.11.0.

Categories:
- MDAnalysis-only: the test exercises nothing of chemlib: an MDAnalysis
  function chemlib has no counterpart for (and the adapter leaves in place),
  an MDAnalysis internal, or a comparison of two MDAnalysis backends or search
  methods, which through the adapter is the same chemlib call on both sides and
  could not fail. Deselected.
- by design: chemlib returns something else on purpose. Strict xfail.
- float32: the test asks for a property of float32 arithmetic that chemlib's
  float64 result loses when rounded to MDAnalysis' float32 result type; the
  float64 result itself was checked. Strict xfail.
"""

from __future__ import annotations

MDANALYSIS_ONLY = "MDAnalysis-only"
BY_DESIGN = "by design"
FLOAT32 = "float32"

TRANSFORMS = "transform_RtoS/transform_StoR (fractional coordinates): no chemlib counterpart"

DESELECTED: dict[str, tuple[str, str]] = {
    "TestCheckResultArray::*": (MDANALYSIS_ONLY, "MDAnalysis' internal _check_result_array"),
    "test_transform_StoR_pass": (MDANALYSIS_ONLY, TRANSFORMS),
    "TestTriclinicDistances::test_transforms": (MDANALYSIS_ONLY, TRANSFORMS),
    "TestInputUnchanged::test_input_unchanged_transform_RtoS_and_StoR": (
        MDANALYSIS_ONLY,
        TRANSFORMS,
    ),
    "TestEmptyInputCoordinates::test_empty_input_transform_*": (MDANALYSIS_ONLY, TRANSFORMS),
    "TestOutputTypes::test_output_dtype_transform_RtoS": (MDANALYSIS_ONLY, TRANSFORMS),
    "test_minimize_vectors": (
        MDANALYSIS_ONLY,
        "minimize_vectors: chemlib has no public minimum-image vector function",
    ),
    "TestCappedDistances::test_method_selection": (
        MDANALYSIS_ONLY,
        "MDAnalysis' choice among its search methods (_determine_method); chemlib has one",
    ),
    "TestCappedDistances::test_method_selfselection": (
        MDANALYSIS_ONLY,
        "MDAnalysis' choice among its search methods (_determine_method_self); chemlib has one",
    ),
    "TestCappedDistances::test_capped_distance_skewed_triclinic": (
        MDANALYSIS_ONLY,
        "compares method='pkdtree'/'nsgrid' with method='bruteforce': one chemlib call twice",
    ),
    "TestCappedDistances::test_self_capped_distance_skewed_triclinic": (
        MDANALYSIS_ONLY,
        "compares method='pkdtree'/'nsgrid' with method='bruteforce': one chemlib call twice",
    ),
    "test_issue_3725": (
        MDANALYSIS_ONLY,
        "compares backend='serial' with backend='openmp': one chemlib call twice",
    ),
    "TestDistanceBackendSelection::*": (
        MDANALYSIS_ONLY,
        "MDAnalysis' internal backend dispatch _run",
    ),
    "test_used_openmpflag": (MDANALYSIS_ONLY, "MDAnalysis' USED_OPENMP build flag"),
    "test_HAS_DISTOPIA_distopia_too_old": (MDANALYSIS_ONLY, "MDAnalysis' distopia version check"),
    "test_distance_array_overflow_exception": (
        MDANALYSIS_ONLY,
        "calls MDAnalysis' undecorated function through check_coords' __wrapped__",
    ),
    "test_self_distance_array_overflow_exception": (
        MDANALYSIS_ONLY,
        "calls MDAnalysis' undecorated function through check_coords' __wrapped__",
    ),
}

XFAILED: dict[str, tuple[str, str]] = {
    "TestCythonFunctions::test_dihedrals": (
        BY_DESIGN,
        "degenerate dihedrals (repeated or collinear atoms) are 0 in chemlib, NaN in MDAnalysis;"
        " the other two values agree",
    ),
    "TestCythonFunctions::test_numpy_compliance_dihedrals": (
        BY_DESIGN,
        "its NumPy reference (mdamath.dihedral) is NaN for the degenerate rows, chemlib 0;"
        " the other two values agree",
    ),
    "Test_apply_PBC::test_coords_strictly_in_central_image_ortho": (
        FLOAT32,
        "chemlib wraps -1e-7 in a 10.1 box to 10.1 - 1e-7 < 10.1 in float64; the float32"
        " result (spacing 9.5e-7 there) rounds it onto 10.1, which the test requires < 10.1",
    ),
    "Test_apply_PBC::test_coords_in_central_image_tric": (
        FLOAT32,
        "chemlib's float64 results lie in [0, 1) in exact fractional coordinates of the cell"
        " (within 1e-7 of a face); rounded to float32 and transformed by MDAnalysis in float32"
        " they give 1.0 and -1.3e-8, which the test requires in [0, 1)",
    ),
}
