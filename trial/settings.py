"""The one settings object, read from the environment at the entry points only."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_DB = "trial.duckdb"
DEFAULT_UPLOAD_LIMIT_MB = 512


@dataclass(frozen=True)
class Settings:
    db_path: Path
    upload_limit_bytes: int
    user: str

    @classmethod
    def from_env(cls, *, db: str | Path | None = None, user: str | None = None) -> Settings:
        """``TRIAL_DB`` (default ./trial.duckdb), ``TRIAL_UPLOAD_LIMIT_MB``, ``TRIAL_USER``; arguments win."""
        limit_mb = int(os.environ.get("TRIAL_UPLOAD_LIMIT_MB", DEFAULT_UPLOAD_LIMIT_MB))
        return cls(
            db_path=Path(db or os.environ.get("TRIAL_DB") or DEFAULT_DB),
            upload_limit_bytes=limit_mb * 2**20,
            user=user or os.environ.get("TRIAL_USER") or _os_user(),
        )


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
