"""Frame ranges and balanced blocks, against pmda's and MDAnalysis' splits."""

from __future__ import annotations

import numpy as np
import pytest

from chemlib.trajectory.blocks import balanced_blocks, select_frames


def pmda_block_sizes(n_frames: int, n_blocks: int) -> list[int]:
    # pmda.util.make_balanced_slices: M // N each, one more for the first M % N.
    return [n_frames // n_blocks + (i < n_frames % n_blocks) for i in range(n_blocks)]


@pytest.mark.parametrize("n_frames", [1, 2, 7, 11, 100])
@pytest.mark.parametrize("n_blocks", [1, 2, 3, 4, 16])
def test_blocks_are_pmdas_and_mdanalysis_split(n_frames, n_blocks):
    frames = range(5, 5 + 3 * n_frames, 3)
    blocks = balanced_blocks(frames, n_blocks)
    used = min(n_blocks, n_frames)
    assert [len(b) for b in blocks] == pmda_block_sizes(n_frames, used)
    # MDAnalysis >= 2.8 splits the frame indices with numpy.array_split.
    expected = np.array_split(np.asarray(frames), used)
    assert [list(b) for b in blocks] == [list(e) for e in expected]
    assert [f for block in blocks for f in block] == list(frames)


def test_keep_empty_gives_every_rank_a_block():
    blocks = balanced_blocks(range(2), 3, keep_empty=True)
    assert [list(b) for b in blocks] == [[0], [1], []]
    assert balanced_blocks(range(0), 2, keep_empty=True) == [range(0), range(0)]
    assert balanced_blocks(range(0), 2) == []


def test_select_frames():
    assert select_frames(10) == range(10)
    assert select_frames(10, 2, 9, 3) == range(2, 9, 3)
    assert select_frames(10, 10, 10) == range(10, 10)


@pytest.mark.parametrize(
    ("start", "stop", "step", "message"),
    [
        (11, None, None, "start=11 is out of bounds for a trajectory of 10 frames"),
        (-1, None, None, "start=-1 is out of bounds"),
        (None, 11, None, "stop=11 is out of bounds"),
        (5, 4, None, r"stop=4 is out of bounds: it must lie in \[start=5, 10\]"),
        (None, None, 0, "step must be >= 1"),
    ],
)
def test_frame_ranges_out_of_bounds(start, stop, step, message):
    with pytest.raises(ValueError, match=message):
        select_frames(10, start, stop, step)


def test_frame_indices_must_be_integers():
    with pytest.raises(TypeError, match="start must be an integer"):
        select_frames(10, 1.5)
    with pytest.raises(TypeError, match="step must be an integer, got bool"):
        select_frames(10, step=True)
    assert select_frames(10, np.int64(2), np.int32(9), np.uint8(3)) == range(2, 9, 3)
