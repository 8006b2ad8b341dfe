"""The command line's session: the token ``trial login`` was given, kept for later commands.

One file per database under ``$TRIAL_HOME/sessions/`` (TRIAL_HOME defaults to ``~/.config/trial``),
named by a hash of the database's identity: the resolved path of a DuckDB file, or, for a
PostgreSQL URL, the URL without its password (two spellings of one database share a session, two
databases never do). The folder is 0700 and the file 0600, written whole or not at all; a file
others could read is not used (its token is no longer a secret). The file holds the token itself;
the database holds only its hash (``user_sessions``), and decides whether it is still live.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from trial.errors import TrialError

FOLDER = "sessions"
_PRIVATE = os.name != "nt"  # POSIX modes; Windows keeps a user's profile private by its own ACLs


@dataclass(frozen=True)
class SavedSession:
    database: str
    user_name: str
    token: str


def database_id(database: str | Path) -> str:
    """What names one database, however it was written on the command line."""
    text = str(database)
    if text.startswith(("postgresql://", "postgres://")):
        parts = urlsplit(text)
        host = parts.hostname or ""
        netloc = f"{parts.username}@{host}" if parts.username else host
        if parts.port:
            netloc += f":{parts.port}"
        return urlunsplit(("postgresql", netloc, parts.path, "", ""))
    return str(Path(text).expanduser().resolve())


def session_path(home: Path, database: str | Path) -> Path:
    key = hashlib.sha256(database_id(database).encode("utf-8")).hexdigest()[:32]
    return Path(home) / FOLDER / f"{key}.json"


def save(home: Path, database: str | Path, user_name: str, token: str) -> Path:
    """Keep ``token`` for ``database`` where only this user can read it; returns the file."""
    path = session_path(home, database)
    folder = path.parent
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if _PRIVATE:
        os.chmod(folder, 0o700)  # also when it was there already, made by someone's wider umask
    text = json.dumps({"database": database_id(database), "user_name": user_name, "token": token})
    fd, temporary = tempfile.mkstemp(dir=folder, prefix=".login-", suffix=".tmp")  # created 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    return path


def load(home: Path, database: str | Path, *, private: bool = True) -> SavedSession | None:
    """The session kept for ``database``, or None when there is none (or it cannot be read).
    Refuses (a sentence) a file others could read, unless ``private`` is False (to end its session)."""
    path = session_path(home, database)
    try:
        if _PRIVATE and private:
            mode = path.stat()
            if mode.st_uid != os.getuid() or mode.st_mode & 0o077:
                raise TrialError(f"The session file {path} can be read by others, so its token is no longer secret: "
                                 "log in again with `trial login --user NAME` (the old session stays unused).")
        found = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return None  # unreadable or half-written by hand: as if not logged in, and login writes it anew
    if not isinstance(found, dict) or found.get("database") != database_id(database) or not isinstance(found.get("token"), str):
        return None
    return SavedSession(found["database"], str(found.get("user_name", "")), found["token"])


def remove(home: Path, database: str | Path) -> bool:
    """Delete the session file of ``database``; whether there was one."""
    try:
        session_path(home, database).unlink()
    except FileNotFoundError:
        return False
    return True
