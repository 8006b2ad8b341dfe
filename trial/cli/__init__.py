"""The ``trial`` command line: thin commands, each calling one library function, one module per
command group (:mod:`trial.cli.common` holds what they share: the acting account, options,
errors as sentences).

Exit codes: 0 done (or loaded), 1 a file was rejected, 2 usage or a problem that stopped the
command (no database, database in use, unreadable file). Errors are sentences, never tracebacks.
"""

from __future__ import annotations

import click

from trial import __version__
from trial.cli.accounts import users
from trial.cli.audit import audit
from trial.cli.common import TrialGroup
from trial.cli.export import export
from trial.cli.load import load
from trial.cli.lock import lock_command, unlock_command
from trial.cli.login import login, logout
from trial.cli.queries import queries
from trial.cli.start import demo, init, serve, synth
from trial.cli.tables import tables
from trial.cli.uploads import uploads


@click.group(cls=TrialGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trial")
def main() -> None:
    """Clinical-trial data management: validated uploads, audit trail, reports."""


for command in (init, load, synth, demo, serve, tables, uploads, users, lock_command, unlock_command, audit, login,
                logout, queries, export):
    main.add_command(command)
