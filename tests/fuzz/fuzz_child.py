"""Run one batch of fuzz calls in this process; test_fuzz.py starts it as a child.

    python tests/fuzz/fuzz_child.py SEED BATCH START STOP PROGRESS_FILE [--crash-at INDEX]
        runs calls START..STOP-1 of the batch; before each call, writes its
        index to PROGRESS_FILE, so that if the process dies (segfault, abort)
        the parent knows which call killed it. Prints a JSON summary last.
        --crash-at makes the process segfault at that call instead: the
        harness's own test that it sees and reports a crash.
    python tests/fuzz/fuzz_child.py --replay SEED BATCH INDEX
        prints one call and runs it here, uncaught: the reproducer.

A call passes if it returns or raises ValueError or TypeError. Warnings are
errors, as in the test suite (pyproject.toml's filterwarnings): a NumPy
RuntimeWarning from a wrapper is an exception the contract does not allow.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import os
import sys
import warnings
from collections import Counter

from fuzz_calls import describe, make_call

# Failures listed per batch; all of them are counted.
MAX_LISTED_FAILURES = 20


def run_batch(
    seed: int, batch: int, start: int, stop: int, progress_path: str, crash_at: int | None
) -> dict:
    """Run calls start..stop-1; return the counts of outcomes and the failures."""
    outcomes: Counter[str] = Counter()
    failures = []
    progress = os.open(progress_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    try:
        for index in range(start, stop):
            # Before the call is drawn: drawing may write the fuzz H5MD file.
            os.pwrite(progress, f"{index:>12}".encode(), 0)
            call = make_call(seed, batch, index)
            if index == crash_at:
                ctypes.string_at(0)  # reads address 0: SIGSEGV
            try:
                with contextlib.redirect_stdout(io.StringIO()):  # show_config prints
                    call.run()
                outcome = "returned"
            except (ValueError, TypeError) as error:
                outcome = type(error).__name__
            except Exception as error:  # every other type is a finding
                outcome = "failed"
                if len(failures) < MAX_LISTED_FAILURES:
                    failures.append(
                        {"index": index, "error": f"{type(error).__name__}: {error}"[:1000]}
                    )
            outcomes[f"{call.name} {outcome}"] += 1
    finally:
        os.close(progress)
    return {"calls": stop - start, "outcomes": dict(outcomes), "failures": failures}


def replay(seed: int, batch: int, index: int) -> None:
    """Print the call and run it, letting any exception through."""
    call = make_call(seed, batch, index)
    print(describe(call), flush=True)
    print(repr(call.run()))


def main(argv: list[str]) -> None:
    warnings.simplefilter("error")
    if argv[0] == "--replay":
        replay(*(int(value) for value in argv[1:4]))
        return
    seed, batch, start, stop = (int(value) for value in argv[:4])
    crash_at = int(argv[6]) if argv[5:6] == ["--crash-at"] else None
    summary = run_batch(seed, batch, start, stop, argv[4], crash_at)
    print(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
