"""The findings an upload needs its whole file or the study for: an allocation never changes, a
correction needs a reason, columns withheld from the blinded are kept, and one finding per cell."""

from __future__ import annotations

from schemas import Domain
from trial import findings as fd
from trial.ingest.changes import changes_of

# An allocation never changes by upload (a wrong one is a protocol deviation): the arm, and the
# randomization number once given.
ALLOCATION = {"randomization": ("arm", "randomization_number")}


def lines_in_error(found: list[fd.Finding]) -> set[int]:
    return {f.line for f in found if f.severity == fd.Severity.ERROR and f.line is not None}


def allocation_changes(cur, domain: Domain, plan, budget: fd.Budget) -> list[fd.Finding]:
    """An error for each change of an allocation (see :data:`ALLOCATION`), whatever the reason; a
    randomization number may still be given where none was."""
    listed, total = changes_of(cur, plan, ALLOCATION.get(domain.name, ()), budget.room("allocation_immutable"))
    budget.take("allocation_immutable", fd.Severity.ERROR, total)
    return [
        fd.error(c.line, c.column, c.new, "allocation_immutable",
                 f"{c.key} is already randomized with {c.column} = {c.old}; an allocation never changes by upload. "
                 "If it was wrong, it stays as it is and is recorded as a protocol deviation")
        for c in listed
    ]


def withheld_kept(columns: list[str], rows: int) -> fd.Finding:
    named = " and ".join(columns)
    return fd.Finding(None, None, None, "withheld_not_compared", fd.Severity.WARNING,
                      f"{named} of the {rows:,} row(s) already in the study were neither compared nor changed: your account "
                      f"is blinded to them. New rows keep the file's {named}; an unblinded colleague corrects existing ones")


def corrections_need_reason(plan, budget: fd.Budget) -> list[fd.Finding]:
    out = []
    for change in plan.changes[: budget.take("correction_needs_reason", fd.Severity.ERROR, plan.changed_cells)]:
        out.append(
            fd.error(
                change.line,
                change.column,
                change.new,
                "correction_needs_reason",
                f"{change.key} is already in the study with {change.column} = {change.old or '(empty)'}; "
                f"this file says {change.new or '(empty)'}. To correct it, upload the file again with a reason "
                '(--reason "…")',
            )
        )
    return out


def one_per_cell(found: list[fd.Finding]) -> list[fd.Finding]:
    """Keep one finding for each cell, errors before warnings and otherwise the first (a bad date
    is not also reported as missing), sorted by line."""
    seen, kept = set(), []
    for finding in sorted(found, key=lambda f: f.severity != fd.Severity.ERROR):
        cell = (finding.line, finding.column)
        if finding.column is not None and cell in seen:
            continue
        seen.add(cell)
        kept.append(finding)
    return sorted(kept, key=fd.sort_key)

