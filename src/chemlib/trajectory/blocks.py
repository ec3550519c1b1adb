"""Frame ranges and their split into balanced blocks.

Follows pmda (``pmda.util.make_balanced_slices``) and MDAnalysis >= 2.8
(``AnalysisBase._setup_computation_groups``, ``numpy.array_split``): the first
``len(frames) % n`` blocks hold one frame more than the others, so no block is
empty and sizes differ by at most one. Where we differ: asked for more blocks
than frames, pmda raises and MDAnalysis warns and uses one block per frame; we
use one block per frame silently (a job script need not know the trajectory's
length), except under MPI, where every rank must take part and the ranks
beyond the frames get an empty block (``keep_empty``).
"""

from __future__ import annotations

from chemlib._arguments import integer, positive_integer

__all__ = ["balanced_blocks", "select_frames"]


def select_frames(
    n_frames: int, start: int | None = None, stop: int | None = None, step: int | None = None
) -> range:
    """Check ``start:stop:step`` against a trajectory of ``n_frames`` frames.

    Unlike a Python slice, nothing is clipped: ``0 <= start <= stop <= n_frames``
    and ``step >= 1``, or a ValueError naming the bound (a job script that asks
    for frames the file does not hold has a mistake in it).
    """
    first = 0 if start is None else integer(start, "start")
    last = n_frames if stop is None else integer(stop, "stop")
    stride = 1 if step is None else positive_integer(step, "step")
    if not 0 <= first <= n_frames:
        raise ValueError(f"start={first} is out of bounds for a trajectory of {n_frames} frames")
    if not first <= last <= n_frames:
        raise ValueError(
            f"stop={last} is out of bounds: it must lie in [start={first}, {n_frames}] "
            f"for a trajectory of {n_frames} frames"
        )
    return range(first, last, stride)


def balanced_blocks(frames: range, n_blocks: int, *, keep_empty: bool = False) -> list[range]:
    """Split ``frames`` into ``n_blocks`` contiguous blocks whose sizes differ by at most one.

    Without ``keep_empty`` at most ``len(frames)`` blocks are returned (none
    for no frames); with it, exactly ``n_blocks``, the last ones empty.
    """
    if n_blocks < 1:
        raise ValueError(f"the number of blocks must be >= 1, got {n_blocks}")
    if not keep_empty:
        n_blocks = min(n_blocks, len(frames))
    size, remainder = divmod(len(frames), max(n_blocks, 1))
    blocks = []
    begin = 0
    for index in range(n_blocks):
        end = begin + size + (index < remainder)
        blocks.append(frames[begin:end])
        begin = end
    return blocks
