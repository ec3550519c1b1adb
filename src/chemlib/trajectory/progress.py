"""Progress of long runs on stderr.

A tqdm bar when the stream is a terminal and tqdm is installed (an optional
dependency: ``pip install tqdm``), shown only once a run has lasted ``delay``
seconds; nothing otherwise, so job logs and pipes stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

__all__ = ["progress_bar"]


@contextmanager
def progress_bar(
    total: int, description: str, stream: TextIO | None = None, delay: float = 1.0
) -> Iterator[Callable[[int], None] | None]:
    """Yield a callback that advances a bar by k frames, or None when nothing is shown."""
    stream = sys.stderr if stream is None else stream
    if total == 0 or not stream.isatty():
        yield None
        return
    try:
        from tqdm import tqdm
    except ImportError:
        yield None
        return
    with tqdm(
        total=total, desc=description, unit="frame", file=stream, delay=delay, dynamic_ncols=True
    ) as bar:
        yield bar.update
