"""The one settings object, read from the environment at the entry points only."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from trial.errors import TrialError

DEFAULT_DB = "trial.duckdb"
# Measured (benchmarks/memory.py): the worst files of this size keep a load under 1.5 GiB of memory;
# at 256 MiB the worst (many short rows, long text) needed about 1.9 GiB.
DEFAULT_UPLOAD_LIMIT_MB = 128
DEFAULT_HOME = "~/.config/trial"


@dataclass(frozen=True)
class Settings:
    db_path: Path
    upload_limit_bytes: int
    user: str  # who acts in a study without accounts yet: --user, TRIAL_USER, else the login name
    named_user: str | None  # the name given (--user, TRIAL_USER); once a study has accounts, only a check
    home: Path  # trial's own folder (the command line's session tokens): TRIAL_HOME, else ~/.config/trial

    @classmethod
    def from_env(cls, *, db: str | Path | None = None, user: str | None = None) -> Settings:
        """``TRIAL_DB`` (default ./trial.duckdb), ``TRIAL_UPLOAD_LIMIT_MB``, ``TRIAL_USER``, ``TRIAL_HOME``;
        arguments win."""
        limit = os.environ.get("TRIAL_UPLOAD_LIMIT_MB", str(DEFAULT_UPLOAD_LIMIT_MB))
        try:
            limit_mb = int(limit)
        except ValueError:
            raise TrialError(f"TRIAL_UPLOAD_LIMIT_MB is {limit!r}; it must be a whole number of MiB (e.g. 128).") from None
        named = user or os.environ.get("TRIAL_USER") or None
        return cls(
            db_path=Path(db or os.environ.get("TRIAL_DB") or DEFAULT_DB),
            upload_limit_bytes=limit_mb * 2**20,
            user=named or _os_user(),
            named_user=named,
            home=Path(os.environ.get("TRIAL_HOME") or os.path.expanduser(DEFAULT_HOME)),
        )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
