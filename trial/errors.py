"""One error type per kind of failure; each carries a sentence a person can act on.

The command line and the dashboards print ``str(error)`` and never a traceback.
"""


class TrialError(Exception):
    """Base of every error the system reports to a person."""


class StudyDefinitionError(TrialError):
    """The study definition file is missing, unreadable or inconsistent."""


class DatabaseMissing(TrialError):
    """There is no database at the given path (``trial init`` creates one)."""


class DatabaseExists(TrialError):
    """``trial init`` found a database already set up at the path."""


class DatabaseLocked(TrialError):
    """Another program holds the database file open for writing."""


class DatabaseVersionError(TrialError):
    """The database was written by a newer version of trial."""


class UploadError(TrialError):
    """An upload could not be attempted at all (unreadable path, file too large, unknown domain)."""


class NotFound(TrialError):
    """A record asked for by id (an upload, a subject) does not exist."""


class NotATrialDatabase(TrialError):
    """The path is a folder, an empty file, another program's file or another program's DuckDB database."""


class DatabaseUnwritable(TrialError):
    """The database (or its write-ahead log beside it) cannot be written."""


class ArchiveTampered(TrialError):
    """An upload's archived bytes are missing or no longer hash to the SHA-256 the upload log records."""
