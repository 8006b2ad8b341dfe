"""SQL kept in ``trial/sql/*.sql`` files, read once, with their header comments as metadata.

A file starts with comment lines ``-- key: value`` (at least ``-- name:``); ``header`` returns
them as a dict. Parameters in the SQL are DuckDB's ``$name``; ``parameters_of`` lists them so a
caller passes exactly those.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

_HEADER = re.compile(r"^--\s*(\w+):\s*(.*)$")
_PARAM = re.compile(r"\$([A-Za-z_]\w*)")


@cache
def sql_text(name: str) -> str:
    """The text of ``trial/sql/<name>.sql`` (``name`` may contain a folder: ``checks/subject_exists``)."""
    return resources.files("trial").joinpath("sql", f"{name}.sql").read_text(encoding="utf-8")


@cache
def sql_names(folder: str) -> tuple[str, ...]:
    """The names of the SQL files in a folder of ``trial/sql``, sorted."""
    base = resources.files("trial").joinpath("sql", folder)
    return tuple(sorted(f"{folder}/{p.name[:-4]}" for p in base.iterdir() if p.name.endswith(".sql")))


def header(text: str) -> dict[str, str]:
    meta = {}
    for line in text.splitlines():
        match = _HEADER.match(line.strip())
        if not match:
            break
        meta[match.group(1)] = match.group(2).strip()
    return meta


def quoted_name(name: str) -> str:
    """``name`` as a SQL identifier, whatever it holds (each double quote doubled), for names that
    do not come from our registries: a database is named after its file, and a file name may be
    ``it's "mine".duckdb``."""
    return '"' + name.replace('"', '""') + '"'


def parameters_of(text: str) -> set[str]:
    return set(_PARAM.findall(text))


def bind(text: str, values: dict) -> dict:
    """The subset of ``values`` that ``text`` uses; KeyError naming any it lacks."""
    wanted = parameters_of(text)
    missing = wanted - values.keys()
    if missing:
        raise KeyError(f"SQL needs parameters {sorted(missing)}")
    return {k: values[k] for k in wanted}


def key_match(key: tuple[str, ...], left: str, right: str) -> str:
    """SQL true where the rows aliased ``left`` and ``right`` have the same ``key`` (a domain's key
    columns, from the data dictionary)."""
    return " AND ".join(f"{left}.{k} = {right}.{k}" for k in key)
