"""The one settings object, read from the environment at the entry points only."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "trial.duckdb"
DEFAULT_UPLOAD_LIMIT_MB = 512
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
        limit_mb = int(os.environ.get("TRIAL_UPLOAD_LIMIT_MB", DEFAULT_UPLOAD_LIMIT_MB))
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
