"""Every engine gives the serial answer, bit for bit, for any split of the frames.

The H5MD file has 11 frames: 2, 3 and 4 workers get blocks of unequal size,
and 16 workers are more than there are frames. The Dask cases here run on one
LocalCluster of two worker processes (tests/trajectory/test_trajectory_dask.py
starts a scheduler and workers as processes; test_trajectory_mpi.py runs MPI).
"""

from __future__ import annotations

import doctest
import traceback

import numpy as np
import pytest
from h5md_files import liquid
from threadpoolctl import threadpool_limits
from trajectory_helpers import reference_rdf

import chemlib
from chemlib import trajectory
from chemlib.trajectory import RDF, run
from chemlib.trajectory.sources import H5MDFrames

NBINS, RANGE = 20, (0.0, 9.5)
SPLITS = [
    ("serial", {}),
    ("serial", {"blocks": 4}),
    ("threads", {"workers": 1}),
    ("threads", {"workers": 2}),
    ("threads", {"workers": 3}),
    ("threads", {"workers": 16}),
    ("dask", {"blocks": 3}),
    ("dask", {"blocks": 16}),
]
IDS = [
    f"{engine}-{next(iter(kw.items()), ('', ''))[0]}{next(iter(kw.values()), '')}"
    for engine, kw in SPLITS
]


@pytest.fixture(scope="module")
def dask_client():
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def options(engine, split, request):
    kw = dict(split, engine=engine)
    if engine == "dask":
        kw["scheduler"] = request.getfixturevalue("dask_client")
    return kw


@pytest.mark.parametrize(("engine", "split"), SPLITS, ids=IDS)
def test_rmsd_on_every_engine_is_the_kernels_answer(
    engine, split, request, h5md_path, frames_and_lengths
):
    positions, _ = frames_and_lengths
    kw = options(engine, split, request)
    assert np.array_equal(
        trajectory.rmsd(h5md_path, 3, **kw), chemlib.rmsd_trajectory(positions[3], positions)
    )
    weights = np.linspace(1, 2, positions.shape[1])
    assert np.array_equal(
        trajectory.rmsd(positions, positions[0], weights=weights, superposition=False, **kw),
        chemlib.rmsd_trajectory(positions[0], positions, weights, superposition=False),
    )
    assert np.array_equal(
        trajectory.rmsd(h5md_path, -1, start=1, stop=10, step=2, **kw),
        chemlib.rmsd_trajectory(positions[-1], positions[1:10:2]),
    )


@pytest.mark.parametrize(("engine", "split"), SPLITS, ids=IDS)
def test_rdf_on_every_engine_is_the_serial_answer(engine, split, request, h5md_path):
    serial = trajectory.rdf(h5md_path, nbins=NBINS, range=RANGE)
    on_engine = trajectory.rdf(
        h5md_path, nbins=NBINS, range=RANGE, **options(engine, split, request)
    )
    assert np.array_equal(on_engine[0], serial[0])
    assert np.array_equal(on_engine[1], serial[1])


@pytest.mark.parametrize(("engine", "split"), SPLITS, ids=IDS)
def test_radius_of_gyration_on_every_engine(engine, split, request, h5md_path, frames_and_lengths):
    positions, _ = frames_and_lengths
    masses = np.linspace(1, 16, positions.shape[1])
    expected = [chemlib.radius_of_gyration(frame, masses) for frame in positions]
    got = trajectory.radius_of_gyration(h5md_path, masses, **options(engine, split, request))
    assert np.array_equal(got, expected)


def test_the_callers_blas_threads_do_not_change_the_bits():
    # Uniform random structures: some frames take the LAPACK rotation (dsyev),
    # whose last bits depend on OpenBLAS's thread count.
    frames = np.random.default_rng(0).random((40, 500, 3)).astype(np.float32) * 20
    expected = chemlib.rmsd_trajectory(frames[0], frames)  # one BLAS thread (conftest)
    masses = np.linspace(1, 2, 500)
    gyration = [chemlib.radius_of_gyration(frame, masses) for frame in frames]
    with threadpool_limits(limits=2, user_api="blas"):
        for engine, kw in [("serial", {}), ("threads", {"workers": 2})]:
            assert np.array_equal(trajectory.rmsd(frames, engine=engine, **kw), expected)
            got = trajectory.radius_of_gyration(frames, masses, engine=engine, **kw)
            assert np.array_equal(got, gyration)
        assert threadpool_info_blas_threads() == {2}  # the caller's setting is restored


def threadpool_info_blas_threads() -> set[int]:
    from threadpoolctl import threadpool_info

    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


def test_rdf_counts_are_every_pair_of_every_frame(h5md_path, frames_and_lengths, serial_answers):
    positions, _ = frames_and_lengths
    boxes = serial_answers["boxes"]
    counts, g = reference_rdf(positions, boxes, NBINS, RANGE)
    analysis = RDF(NBINS, RANGE).prepare(H5MDFrames(h5md_path))
    partial = analysis.compute(positions, boxes, range(len(positions)))
    assert np.array_equal(partial.counts, counts)  # integers: exact
    # The normalisation is InterRDF's; chemlib's shells are (b - a)(b^2 + ab + a^2).
    np.testing.assert_allclose(
        trajectory.rdf(h5md_path, nbins=NBINS, range=RANGE)[1], g, rtol=1e-14
    )


def test_rdf_of_one_frame_is_chemlib_rdf_exactly(h5md_path, frames_and_lengths, serial_answers):
    positions, _ = frames_and_lengths
    box = serial_answers["boxes"][4]
    one = trajectory.rdf(h5md_path, nbins=NBINS, range=RANGE, start=4, stop=5, engine="threads")
    single = chemlib.rdf(positions[4], box=box, nbins=NBINS, range=RANGE)
    assert np.array_equal(one[0], single[0])
    assert np.array_equal(one[1], single[1])


def test_rdf_is_interrdf_over_the_same_frames(h5md_path):
    import MDAnalysis
    from MDAnalysis.analysis.rdf import InterRDF

    universe = MDAnalysis.Universe(str(h5md_path), to_guess=())
    theirs = InterRDF(
        universe.atoms, universe.atoms, nbins=NBINS, range=RANGE, exclusion_block=(1, 1)
    ).run()
    analysis = RDF(NBINS, RANGE).prepare(H5MDFrames(h5md_path))
    with H5MDFrames(h5md_path).open() as reader:
        frames = range(universe.trajectory.n_frames)
        counts = analysis.compute(reader.positions(frames), reader.boxes(frames), frames).counts
    # MDAnalysis bins distances computed in float32: a pair within its rounding
    # of a shell edge may land in the neighbouring shell.
    difference = np.abs(counts - theirs.results.count)
    assert difference.sum() <= 1e-4 * counts.sum() + 4
    r, g = trajectory.rdf(h5md_path, nbins=NBINS, range=RANGE)
    assert np.array_equal(r, theirs.results.bins)
    occupied = counts > 0
    # Same normalisation (mean box volume, n(n-1) pairs, shell volumes), up to the
    # float32 box MDAnalysis sums its volumes from.
    np.testing.assert_allclose(
        counts[occupied] / g[occupied],
        theirs.results.count[occupied] / theirs.results.rdf[occupied],
        rtol=1e-6,
    )


def test_a_localcluster_is_started_when_no_scheduler_is_given(h5md_path, frames_and_lengths):
    positions, _ = frames_and_lengths
    outcome = run(trajectory.RMSD(3), h5md_path, engine="dask", workers=2, blocks=3)
    assert np.array_equal(outcome.result, chemlib.rmsd_trajectory(positions[3], positions))
    assert [len(b) for b in outcome.blocks] == [4, 4, 3]
    assert outcome.startup > 0


@pytest.mark.parametrize("engine", ["serial", "threads", "dask"])
def test_progress_counts_every_frame_once(engine, request, h5md_path):
    done = []
    kw = {"scheduler": request.getfixturevalue("dask_client")} if engine == "dask" else {}
    trajectory.rmsd(h5md_path, engine=engine, start=2, progress=done.append, **kw)
    assert sum(done) == 9


def test_runs_report_blocks_and_timings(h5md_path):
    outcome = run(trajectory.RMSD(0), h5md_path, engine="threads", workers=3)
    assert [list(b) for b in outcome.blocks] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 10]]
    assert len(outcome.timings) == 3
    for timing in outcome.timings:
        assert min(timing.setup, timing.read, timing.compute) >= 0
        assert timing.worker.endswith(f":{__import__('os').getpid()}")
    assert outcome.wall >= max(t.setup + t.read + t.compute for t in outcome.timings)


def test_no_frames_give_empty_results(h5md_path):
    assert trajectory.rmsd(h5md_path, start=5, stop=5, engine="threads").shape == (0,)
    _, g = trajectory.rdf(h5md_path, nbins=4, range=(0, 5), start=5, stop=5)
    assert np.array_equal(g, np.zeros(4))


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        ({"engine": "spark"}, ValueError, "engine must be one of"),
        ({"engine": ["serial"]}, TypeError, r"engine must be one of .*, got list"),
        ({"engine": np.array(["serial", "mpi"])}, TypeError, "engine must be one of"),
        ({"progress": 3}, TypeError, "progress must be callable"),
        ({"engine": "threads", "workers": 0}, ValueError, "workers must be >= 1"),
        ({"engine": "threads", "blocks": 2.5}, TypeError, "blocks must be an integer"),
        ({"engine": "serial", "workers": 2}, ValueError, "the serial engine has one worker"),
        ({"engine": "threads", "scheduler": "tcp://127.0.0.1:1"}, ValueError, "scheduler applies"),
        ({"engine": "dask", "scheduler": 8786}, TypeError, "scheduler must be a scheduler address"),
        ({"engine": "mpi", "workers": 2}, ValueError, "choose the ranks with mpiexec -n"),
        ({"stop": 12}, ValueError, "stop=12 is out of bounds"),
    ],
)
def test_bad_run_options(h5md_path, kw, error, message):
    with pytest.raises(error, match=message):
        trajectory.rmsd(h5md_path, **kw)


def test_numpy_integers_are_counts_and_frame_indices(h5md_path):
    # As everywhere in chemlib (nbins, start, stop, step): a count from NumPy
    # arithmetic is an integer.
    expected = trajectory.rmsd(h5md_path, start=2, engine="threads", workers=2, blocks=3)
    got = trajectory.rmsd(
        h5md_path, start=np.int64(2), engine="threads", workers=np.int32(2), blocks=np.int64(3)
    )
    assert np.array_equal(got, expected)


@pytest.mark.parametrize("analysis", [chemlib.rmsd, "rmsd", RDF, None])
def test_run_needs_an_analysis(analysis, frames_and_lengths):
    with pytest.raises(TypeError, match=r"analysis must be an Analysis \(RMSD, RDF or Radius"):
        run(analysis, frames_and_lengths[0])


@pytest.mark.parametrize(
    ("analysis", "name"),
    [(trajectory.rmsd, "the RMSD"), (trajectory.radius_of_gyration, "the radius of gyration")],
)
def test_frames_without_atoms_are_named(analysis, name):
    # Not the kernels' own argument names (frames, coords), which the caller never passed.
    with pytest.raises(ValueError, match=f"the frames array holds no atoms: {name} needs at least"):
        analysis(np.zeros((3, 0, 3)))


def test_bad_analysis_arguments(h5md_path, frames_and_lengths):
    positions, _ = frames_and_lengths
    with pytest.raises(
        ValueError, match=r"reference frame 11 is out of bounds for .*\(11 frames\)"
    ):
        trajectory.rmsd(h5md_path, 11)
    with pytest.raises(ValueError, match="reference holds 5 atoms and the frames"):
        trajectory.rmsd(h5md_path, positions[0, :5])
    with pytest.raises(ValueError, match=r"masses must have shape \(240,\)"):
        trajectory.radius_of_gyration(h5md_path, np.ones(3))
    with pytest.raises(ValueError, match=r"range\[1\]=11.0 exceeds half the smallest height"):
        trajectory.rdf(positions, box=[20, 20, 20, 60, 60, 60], range=(0, 11.0))
    with pytest.raises(ValueError, match="the frames array has no periodic box"):
        trajectory.rdf(positions)
    with pytest.raises(ValueError, match="nbins must be >= 1"):
        trajectory.rdf(h5md_path, nbins=0)
    # The shells' bounds of chemlib.rdf, checked before any frame is read
    # (an orthorhombic box takes any range[1]).
    with pytest.raises(ValueError, match=r"range\[1\] must be <= 1e\+100 Angstrom"):
        trajectory.rdf(positions, box=[20, 20, 20, 90, 90, 90], range=(1.0, 1e154))
    with pytest.raises(ValueError, match="gives bins narrower than 1e-100 Angstrom"):
        trajectory.rdf(positions, box=[20, 20, 20, 90, 90, 90], nbins=20, range=(0, 1e-99))


@pytest.mark.parametrize("engine", ["serial", "threads", "dask"])
@pytest.mark.parametrize(
    "analysis",
    [
        lambda positions, **kw: trajectory.rdf(positions, box=[20, 20, 20, 90, 90, 90], **kw),
        trajectory.rmsd,
        trajectory.radius_of_gyration,
    ],
    ids=["rdf", "rmsd", "radius_of_gyration"],
)
def test_a_bad_frame_is_named(engine, analysis, request):
    # By its number in the trajectory: frame 3 opens the second block, where
    # the kernels see it as their frame 0.
    positions, _ = liquid(5, 20)
    positions[3, 7, 1] = np.nan
    kw = {"scheduler": request.getfixturevalue("dask_client")} if engine == "dask" else {}
    with pytest.raises(
        ValueError, match=r"positions of frame 3 contains NaN .* index \(7, 1\)"
    ) as raised:
        analysis(positions, engine=engine, blocks=2, **kw)
    # Nor does the traceback show the kernel's index in the chunk (0, 7, 1)
    # as the error's context.
    assert "(0, 7, 1)" not in "".join(traceback.format_exception(raised.value))


@pytest.mark.parametrize(
    ("engine", "module", "message"),
    [
        (
            "dask",
            "distributed",
            r"engine='dask' needs dask.distributed: pip install 'dask\[distributed\]'",
        ),
        ("mpi", "mpi4py", "engine='mpi' needs mpi4py and an MPI library: pip install mpi4py mpich"),
    ],
)
def test_missing_engines_say_what_to_install(
    engine, module, message, no_module, frames_and_lengths
):
    no_module(module)
    with pytest.raises(ImportError, match=message):
        trajectory.rmsd(frames_and_lengths[0], engine=engine)


def test_docstring_examples():
    import chemlib.trajectory.analyses as module

    legacy = "1.25" if np.lib.NumpyVersion(np.__version__) >= "2.0.0" else False
    with np.printoptions(legacy=legacy):
        failed, attempted = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert attempted > 0
    assert failed == 0
