"""The one settings object, read from the environment at the entry points only."""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from trial.errors import TrialError

DEFAULT_DB = "trial.duckdb"
# Measured (benchmarks/memory.py): the worst files of this size keep a load under 1.5 GiB of memory;
# at 256 MiB the worst (many short rows, long text) needed about 1.9 GiB.
DEFAULT_UPLOAD_LIMIT_MB = 128
DEFAULT_HOME = "~/.config/trial"
SERVER_SCHEMES = ("postgresql", "postgres")  # --db postgresql://USER:PASS@HOST:PORT/NAME: the server edition


@dataclass(frozen=True)
class Settings:
    db_path: Path | None  # the embedded study's file; None for a study on PostgreSQL
    db_url: str | None  # a PostgreSQL study's URL; it holds a password: messages show ``db_shown``
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
        location = str(db or os.environ.get("TRIAL_DB") or DEFAULT_DB)
        url = _server_url(location) if is_server_url(location) else None
        return cls(
            db_path=None if url else Path(location),
            db_url=url,
            upload_limit_bytes=limit_mb * 2**20,
            user=named or _os_user(),
            named_user=named,
            home=Path(os.environ.get("TRIAL_HOME") or os.path.expanduser(DEFAULT_HOME)),
        )


    @property
    def db_shown(self) -> str:
        """The database as a message may name it: the file, or the URL without its password."""
        return str(self.db_path) if self.db_url is None else redacted(self.db_url)


def not_yet_on_server(shown: str) -> TrialError:
    """What a command or page that does not run on PostgreSQL yet says (the server edition, issue 13)."""
    return TrialError(f"{shown} is a study on PostgreSQL. There, trial runs `trial init`, `trial users` (as the "
                      "study's owner), `trial load`, `trial tables`, `trial uploads`, `trial audit`, `trial queries`, "
                      "`trial lock`, `trial unlock` and `trial serve`, each as the account the URL signs in as (the "
                      "dashboards: as each signed-in account), and the database enforces who sees what. `trial login` "
                      "and `logout` are not needed there (the URL's password signs in); the demonstration runs on an "
                      "embedded study only (a file path for --db).")


def is_server_url(location: str) -> bool:
    return location.partition("://")[0].lower() in SERVER_SCHEMES and "://" in location


def redacted(url: str) -> str:
    """``url`` with its password as ``***``, however it is written: in the user part, up to the last
    ``@`` (so a password holding an unencoded ``@``, ``/``, ``?`` or ``#`` is hidden whole), and as a
    ``password`` query parameter. Safe to print, log or show; when in doubt it hides more."""
    scheme, sep, rest = url.partition("://")
    if not sep:
        return url
    userinfo, at, after = rest.rpartition("@")
    if at and ":" in userinfo:
        rest = f"{userinfo.partition(':')[0]}:***@{after}"
    path, question, query = rest.partition("?")
    if question:
        fields = [field.partition("=") for field in query.split("&")]
        query = "&".join(f"{key}{eq}***" if eq and unquote(key).strip().lower() == "password" else f"{key}{eq}{value}"
                         for key, eq, value in fields)
        rest = f"{path}?{query}"
    return f"{scheme}{sep}{rest}"


_BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_HOW = "write it as postgresql://USER:PASSWORD@HOST:PORT/DATABASE, with '@', '/', '?', '#' and '%' in a password percent-encoded"


def _server_url(url: str) -> str:
    """``url`` if it names a host and a database, the way PostgreSQL reads it too; else a sentence
    (never quoting the password, nor a parser's message that could hold a piece of it)."""
    authority = re.split(r"[/?#]", url.partition("://")[2], maxsplit=1)[0]
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (a port that is not a number raises here)
        unreadable = authority.count("@") > 1 or _BAD_PERCENT.search(url) is not None
    except ValueError:
        unreadable = True
    if unreadable:
        raise TrialError(f"{redacted(url)} is not a PostgreSQL URL trial can use: {_HOW} (%40, %2F, %3F, %23, %25).")
    if not parts.hostname or not parts.path.strip("/"):
        missing = "host" if not parts.hostname else "database name"
        raise TrialError(f"{redacted(url)} names no {missing}: write the study's database as "
                         "postgresql://USER:PASSWORD@HOST:PORT/DATABASE.")
    return url


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
