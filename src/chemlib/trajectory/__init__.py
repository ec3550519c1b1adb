"""chemlib over many processes and machines: analyses split over trajectory frames.

A trajectory (an H5MD file, or an array of frames) is split into balanced
blocks of frames, as pmda and MDAnalysis' parallel backends split it; every
block is a task that opens the trajectory for itself, reads only its frames
and runs chemlib's kernels on them; the blocks' results are combined in frame
order. The engines: ``serial``, ``threads``, ``dask`` (a distributed cluster)
and ``mpi`` (mpi4py, SPMD under mpiexec). Results are the same, bit for bit,
on every engine and for any number of workers.

h5py, dask.distributed and mpi4py are imported only when a file is read or
the engine that needs them runs. The command line: ``chemlib rmsd`` and
``chemlib rdf`` (``python -m chemlib``), in chemlib.trajectory.cli.
"""

from chemlib.trajectory.analyses import RDF, RMSD, RadiusOfGyration, radius_of_gyration, rdf, rmsd
from chemlib.trajectory.engines import ENGINES
from chemlib.trajectory.runner import Analysis, BlockTiming, TrajectoryRun, run
from chemlib.trajectory.sources import ArrayFrames, FrameSource, H5MDFrames

__all__ = [
    "ENGINES",
    "RDF",
    "RMSD",
    "Analysis",
    "ArrayFrames",
    "BlockTiming",
    "FrameSource",
    "H5MDFrames",
    "RadiusOfGyration",
    "TrajectoryRun",
    "radius_of_gyration",
    "rdf",
    "rmsd",
    "run",
]
