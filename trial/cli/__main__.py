"""``python -m trial.cli``: the same command line as ``trial``."""

from trial.cli import main

main()
