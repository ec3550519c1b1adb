"""``python -m chemlib``: the same command line as the ``chemlib`` console script."""

from chemlib.trajectory.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
