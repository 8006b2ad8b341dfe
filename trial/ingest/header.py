"""Match a file's header to a domain: which domain it holds and which position holds which column.

Names match case-insensitively after trimming. A missing required column, a duplicated or unknown
column, or a header that belongs to another domain than the one chosen is an error on line 1. A
header far wider than any file of the domain can be is refused before the rows are read at all.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from schemas import DOMAINS, Domain
from trial import findings as fd


# Spreadsheets leave a few empty columns after the last one, and a wrong header can have a few
# unknown columns (each is named in a finding); beyond this many columns more than the domain has,
# the file is not one of the domain's and its rows are not worth reading.
EXTRA_COLUMNS_ALLOWED = 20


def header_too_wide(width: int, domain: Domain | None) -> fd.Finding | None:
    """One error when a header of ``width`` columns is far wider than ``domain`` (or, when None,
    than the widest domain); None when the file may be read."""
    widest = domain or max(DOMAINS.values(), key=lambda d: len(d.column_names))
    has = len(widest.column_names)
    if width <= has + EXTRA_COLUMNS_ALLOWED:
        return None
    of = f"a {domain.name} file has {has}" if domain else f"the widest domain, {widest.name}, has {has}"
    return fd.error(1, None, str(width), "too_many_columns",
                    f"the header has {width:,} columns, but {of}; remove the extra columns (empty ones too) "
                    "and upload the file again")


@dataclass
class HeaderMatch:
    domain: Domain | None
    positions: dict[str, int] = field(default_factory=dict)  # column name → position in the file
    findings: list[fd.Finding] = field(default_factory=list)
    unnamed: list[int] = field(default_factory=list)  # trailing nameless columns (Excel leaves them)


def normalise(name: str) -> str:
    return name.strip().strip('"').strip().lower()


def fits(domain: Domain, names: list[str]) -> bool:
    known = set(domain.column_names)
    return set(domain.required) <= set(names) and set(names) <= known


def match_header(header: list[str], domain: Domain | None) -> HeaderMatch:
    """The domain (given, or guessed when None) and the column positions, or findings saying why not."""
    names = [normalise(h) for h in header]
    unnamed = []
    while len(names) > 1 and not names[-1]:
        unnamed.insert(0, len(names) - 1)
        names.pop()
        header = header[:-1]
    if len(names) == 1 and any(sep in header[0] for sep in (";", "\t", "|")):
        sep = next(s for s in (";", "\t", "|") if s in header[0])
        shown = "tab" if sep == "\t" else f"'{sep}'"
        return HeaderMatch(
            domain,
            findings=[
                fd.error(
                    1,
                    None,
                    sep,
                    "separator",
                    f"the header is a single column: the file seems to separate values with {shown}. "
                    "Save it as comma-separated values (CSV)",
                )
            ],
        )
    fitting = [d for d in DOMAINS.values() if fits(d, names)]
    if domain is None:
        if len(fitting) == 1:
            domain = fitting[0]
        else:
            closest = max(DOMAINS.values(), key=lambda d: len(set(d.column_names) & set(names)))
            problems = _column_findings(closest, header, names)
            return HeaderMatch(
                None,
                findings=[
                    fd.error(
                        1,
                        None,
                        None,
                        "domain_unknown",
                        "the header does not match any domain, so the file's domain cannot be told; "
                        f"the closest is {closest.name}. Name the domain (--domain) or fix the header",
                    ),
                    *problems,
                ],
            )
    elif not fits(domain, names) and len(fitting) == 1:
        other = fitting[0]
        return HeaderMatch(
            domain,
            findings=[
                fd.error(
                    1,
                    None,
                    None,
                    "wrong_domain",
                    f"these are the columns of {other.name} ({other.description}), but the file was "
                    f"uploaded as {domain.name}. Upload it as {other.name}",
                )
            ],
        )
    problems = _column_findings(domain, header, names)
    if problems:
        return HeaderMatch(domain, findings=problems)
    return HeaderMatch(domain, positions={name: i for i, name in enumerate(names)}, unnamed=unnamed)


def _column_findings(domain: Domain, header: list[str], names: list[str]) -> list[fd.Finding]:
    found: list[fd.Finding] = []
    known = domain.column_names
    seen: dict[str, int] = {}
    for position, (raw, name) in enumerate(zip(header, names, strict=True), start=1):
        if not name:
            found.append(fd.error(1, None, None, "unnamed_column", f"column {position} of the header has no name"))
            continue
        if name in seen:
            found.append(
                fd.error(
                    1,
                    name,
                    raw,
                    "duplicate_column",
                    f"the column {name} appears twice in the header (columns {seen[name]} and {position})",
                )
            )
            continue
        seen[name] = position
        if name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]}?" if close else f"; the columns of {domain.name} are {', '.join(known)}"
            found.append(
                fd.error(1, name, raw, "unknown_column", f"{name} is not a column of {domain.name}{hint}")
            )
    for name in domain.required:
        if name not in seen:
            found.append(
                fd.error(1, name, None, "missing_column", f"the required column {name} is missing from the header")
            )
    return found
