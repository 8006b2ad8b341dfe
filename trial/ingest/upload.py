"""Upload a site's CSV file: read → type → validate (pandera) → edit checks (SQL) → load.

The file either enters the study whole, in one transaction, or is rejected whole with a finding for
every bad line. Either way its raw bytes are archived with their SHA-256 and the upload is logged
with its findings. Reading, typing and pandera run outside the write lock; the checks against the
store and the write run inside it, so that concurrent uploads see each other's rows.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from schemas import DOMAINS, Domain, domain_named
from trial import findings as fd
from trial.errors import UploadError
from trial.governance.access import UploadScope, withheld_columns
from trial.governance.views import reading_as
from trial.governance.lock import refuse_if_locked
from trial.ingest.cells import type_cells
from trial.ingest.changes import (INCOMING, Change, all_changes, apply_changes, changes_of, duplicate_keys, key_match,
                                  plan_changes, taken_out_of_view)
from trial.ingest.csvfile import header_width, read_cells
from trial.ingest.editchecks import run_edit_checks
from trial.ingest.header import fits, header_too_wide, match_header, normalise
from trial.ingest.validate import validate_rows
from trial.settings import DEFAULT_UPLOAD_LIMIT_MB
from trial.store import Store, archive, audit, seals

LOADED, REJECTED, ALREADY_LOADED, CHECKED = "loaded", "rejected", "already loaded", "checked"
DEFAULT_SIZE_LIMIT = DEFAULT_UPLOAD_LIMIT_MB * 2**20
FILE_ROWS = "file_rows"  # every typed row of the file; INCOMING holds those within the uploader's scope
# An allocation never changes by upload (a wrong one is a protocol deviation): the arm, and the
# randomization number once given.
ALLOCATION = {"randomization": ("arm", "randomization_number")}

Progress = Callable[[str], None]


@dataclass
class UploadResult:
    file_name: str
    status: str
    domain: str | None = None
    upload_id: int | None = None
    sha256: str = ""
    size_bytes: int = 0
    rows_in_file: int = 0
    inserted: int = 0
    corrected: int = 0
    unchanged: int = 0
    findings: list[fd.Finding] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # the first corrected cells (all are audited)
    changes_not_listed: int = 0
    previous_upload: int | None = None

    @property
    def errors(self) -> list[fd.Finding]:
        return [f for f in self.findings if f.severity == fd.Severity.ERROR]

    @property
    def warnings(self) -> list[fd.Finding]:
        return [f for f in self.findings if f.severity == fd.Severity.WARNING]

    @property
    def error_count(self) -> int:
        """Errors in all, those not listed included."""
        return fd.counted(self.findings, fd.Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return fd.counted(self.findings, fd.Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.status != REJECTED

    def as_dict(self) -> dict:
        return {
            "file": self.file_name,
            "status": self.status,
            "domain": self.domain,
            "upload_id": self.upload_id,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "rows_in_file": self.rows_in_file,
            "inserted": self.inserted,
            "corrected": self.corrected,
            "unchanged": self.unchanged,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "previous_upload": self.previous_upload,
            "findings": [f.as_dict() for f in self.findings],
            "corrections": [c.__dict__ for c in self.changes],
            "corrections_not_listed": self.changes_not_listed,
        }


def upload_bytes(
    store: Store,
    data: bytes,
    file_name: str,
    *,
    user: str,
    domain: str | None = None,
    reason: str | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    within: duckdb.DuckDBPyConnection | None = None,
    scope: UploadScope | None = None,
) -> UploadResult:
    """Validate ``data`` as one CSV file of ``domain`` (guessed from the header when None) and load it.

    ``within`` is an open write transaction to load in (see :func:`preview_batch`); by default the
    upload is a transaction of its own. ``scope`` limits the sites and domains the uploader may
    send (None: any); rows outside it are errors of the file.
    """
    say = progress or (lambda _stage: None)
    chosen = _domain(domain)
    scope = scope or UploadScope(user)
    budget = fd.Budget()
    with ThreadPoolExecutor(max_workers=1) as helper:  # hashing and packing overlap the parsing
        digest = helper.submit(_sha256, data)  # the task holds its own reference: data is let go below
        packed = None if dry_run else helper.submit(archive.pack, data)
        say("reading")
        size = len(data)
        refusal = chosen and scope.domain_refusal(chosen.name)  # a file its sender may not upload: nothing else is looked at
        too_wide = None if refusal else header_too_wide(header_width(data), chosen)  # refused before its rows are parsed
        cells = None if refusal or too_wide else read_cells(data, budget)
        del data  # read: only the archive's packing (under way) still holds the bytes of a large file
        checked = _check_cells(cells, refusal or too_wide, chosen, store.study, say, budget, scope)
        checked.refused = checked.refused or bool(refusal)
        result = UploadResult(file_name, REJECTED, checked.domain_name, sha256=digest.result(), size_bytes=size)
        result.rows_in_file, result.findings = checked.rows, checked.findings
        if not dry_run and not checked.refused:  # a file its sender may not upload is refused before anything else
            # the same bytes loaded before by this sender (by anyone, for a sender who reads the whole
            # study): telling anyone else that someone's file holds exactly these bytes would confirm
            # its values, another site's or withheld ones, whatever the file's rows would be told
            previous = store.scalar(
                "SELECT max(upload_id) FROM uploads WHERE sha256 = $sha AND status = 'loaded' AND ($anyone OR user_name = $user)",
                {"sha": result.sha256, "anyone": scope.access.full, "user": user},
            )
            if previous is not None:
                result.status, result.previous_upload, result.findings = ALREADY_LOADED, int(previous), []
                result.domain = store.scalar("SELECT domain FROM uploads WHERE upload_id = $id", {"id": previous})
                return result
        say("checking against the study")
        if within is None:
            with store.transaction(commit=not dry_run) as cur:
                _check_and_write(cur, store, result, checked, packed, user=user, reason=reason, dry_run=dry_run, say=say, scope=scope,
                                 budget=budget)
        else:
            _check_and_write(within, store, result, checked, packed, user=user, reason=reason, dry_run=dry_run, say=say, scope=scope,
                             budget=budget)
    say("done")
    return result


@dataclass
class _CheckedFile:
    """What can be known of a file without the store: its domain, typed rows and findings."""

    domain: Domain | None
    typed: pa.Table | None = None
    present: list[str] = field(default_factory=list)
    findings: list[fd.Finding] = field(default_factory=list)
    rows: int = 0
    refused: bool = False  # a domain the sender may not upload: nothing else was looked at

    @property
    def domain_name(self) -> str | None:
        return self.domain.name if self.domain else None


def _check_cells(cells, refused: fd.Finding | None, chosen: Domain | None, study, say: Progress,
                 budget: fd.Budget, scope: UploadScope) -> _CheckedFile:
    """The file's domain, typed rows and findings. The cells are typed batch by batch as they are
    read; a structural problem (found while reading) refuses the file with those problems alone,
    and so does a domain its sender may not upload (``scope``), before anything else."""
    if refused is not None:
        return _CheckedFile(chosen, findings=[refused])
    if cells.batches is None:
        return _CheckedFile(chosen, findings=list(cells.findings))
    header = match_header(cells.header, chosen)
    refusal = header.domain and scope.domain_refusal(header.domain.name)
    if refusal:
        return _CheckedFile(header.domain, findings=[refusal], refused=True)
    typing = fd.Budget()  # merged into the file's budget only if the file is read without a structural problem
    parts, found, unfits, rows = [], [], [], 0
    if not header.findings:
        say("checking values")
    for batch in cells.batches:
        rows += batch.num_rows
        if header.findings or cells.findings:
            continue  # refused already: read on only for the structural problems
        typed, batch_found, unfit = type_cells(batch, header.domain, header.positions, header.unnamed, typing)
        parts.append(typed)
        found += batch_found
        unfits.append((typed.num_rows, unfit))
    if cells.findings:
        return _CheckedFile(chosen, findings=list(cells.findings), rows=rows)
    if header.findings:
        return _CheckedFile(header.domain, findings=header.findings, rows=rows)
    budget.merge(typing)
    checked = _CheckedFile(header.domain, present=[c for c in header.domain.column_names if c in header.positions])
    typed = pa.concat_tables(parts) if parts else None
    checked.rows = typed.num_rows if typed is not None else 0
    if not checked.rows:
        checked.findings = [fd.error(None, None, None, "no_rows", "the file has a header but no data rows")]
        return checked
    checked.typed = typed
    checked.findings = found + validate_rows(typed, header.domain, study, budget, _joined(unfits))
    return checked


def _joined(unfits: list[tuple[int, dict]]) -> dict[str, pa.ChunkedArray]:
    """Each batch's rows whose cell of a column did not fit, as one mask per column for the file."""
    names = {name for _, unfit in unfits for name in unfit}
    return {name: pa.chunked_array([unfit.get(name, pa.array(np.zeros(rows, dtype=bool))) for rows, unfit in unfits],
                                   type=pa.bool_())
            for name in names}


def _check_and_write(cur, store: Store, result: UploadResult, checked: _CheckedFile, packed, *, user, reason, dry_run, say,
                     scope: UploadScope, budget: fd.Budget) -> None:
    """Edit checks and the comparison with the study, then the write, on ``cur``: one transaction,
    so that concurrent uploads see each other's rows. A locked database refuses the file whole.

    Only the lines within the uploader's scope are compared with the study, and they are compared
    with the uploader's view of it (:func:`trial.governance.views.reading_as`): every message quotes only
    what its reader may see."""
    refuse_if_locked(cur)
    plan = None
    try:
        if checked.typed is not None:
            domain = checked.domain
            cur.register(FILE_ROWS, checked.typed)
            result.findings += scope.site_refusals(cur, FILE_ROWS, budget)
            cur.register(INCOMING, scope.in_scope(checked.typed))
            withheld = withheld_columns(scope.access, domain.name)
            with reading_as(cur, scope.access) as reading:
                result.findings += duplicate_keys(cur, domain, budget)
                result.findings += run_edit_checks(cur, domain.name, _parameters(store), budget)
                plan = plan_changes(cur, domain, checked.present, withheld, most=budget.per_rule)
                if not scope.access.full:
                    taken = taken_out_of_view(cur, domain, reading.base(domain.name), _lines_in_error(result.findings))
                    result.findings += budget.keep(taken)
            result.findings += _allocation_changes(cur, domain, plan, budget)
            kept = sorted(withheld & set(checked.present))
            if kept and plan.matched_rows:
                result.findings.append(_withheld_kept(kept, plan.matched_rows))
            if plan.changed_cells and not (reason and reason.strip()):
                result.findings += _corrections_need_reason(plan, budget)
        result.findings = budget.listing(_one_per_cell(result.findings))
        result.status = REJECTED if result.errors else (CHECKED if dry_run else LOADED)
        if plan is not None and not result.errors:
            result.inserted, result.corrected, result.unchanged = plan.new_rows, plan.corrected_rows, plan.unchanged_rows
            result.changes, result.changes_not_listed = plan.changes, plan.changed_cells - len(plan.changes)
        if dry_run:
            return
        say("writing")
        result.upload_id = _log_upload(cur, result, packed.result(), user=user, reason=reason, rows=checked.typed is not None)
        if result.status == LOADED:
            in_file = f"EXISTS (SELECT 1 FROM {INCOMING} AS i WHERE {key_match(checked.domain, 'i', 't')})"
            with seals.rewriting(cur, checked.domain.name, in_file):
                apply_changes(cur, checked.domain, plan, result.upload_id)
        _audit(cur, result, user=user, reason=reason)
    finally:
        for name in (FILE_ROWS, INCOMING):  # the next file of a batch on this cursor registers its own
            with contextlib.suppress(duckdb.Error):
                cur.unregister(name)


def upload_path(store: Store, path: str | Path, *, size_limit: int = DEFAULT_SIZE_LIMIT, **options) -> UploadResult:
    """Upload one file from disk; see :func:`upload_bytes` for the options."""
    path = Path(path)
    # the bytes are handed on, not kept here: upload_bytes lets them go once they are parsed
    return upload_bytes(store, _file_bytes(path, size_limit), path.name, **options)


def _file_bytes(path: Path, size_limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > size_limit:
            raise UploadError(
                f"{path.name} is {size / 2**20:.0f} MiB, above the upload limit of {size_limit / 2**20:.0f} MiB; "
                "split it into smaller files"
            )
        return path.read_bytes()
    except FileNotFoundError:
        raise UploadError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise UploadError(f"{path} is a folder, not a CSV file") from None
    except PermissionError:
        raise UploadError(f"{path} cannot be read (permission denied)") from None


def upload_paths(store: Store, paths: Iterable[str | Path], *, domain: str | None = None, **options) -> list[UploadResult]:
    """Upload several files; without a domain, each file's own header decides, and files load
    in the order of the domains (subjects before randomization before assessments)."""
    paths = [Path(p) for p in paths]
    if domain is None:
        paths.sort(key=_guessed_order)
    return [upload_path(store, p, domain=domain, **options) for p in paths]


# --------------------------------------------------------------------------- helpers
def preview_batch(store: Store, files: list[tuple[str, bytes]], *, user: str, domain: str | None = None,
                  reason: str | None = None, progress: Progress | None = None, scope: UploadScope | None = None) -> list[UploadResult]:
    """Check several files as if they were loaded one after the other, and change nothing.

    The files are loaded in order in one transaction that is then rolled back, so a randomization
    file is checked against the subjects file of the same batch. Results come back in the order
    given, with status ``checked`` (would load), ``rejected`` or ``already loaded``.
    """
    results: list[UploadResult] = []
    with store.transaction(commit=False) as cur:
        for name, data in files:
            result = upload_bytes(store, data, name, user=user, domain=domain, reason=reason, progress=progress, within=cur, scope=scope)
            if result.status == LOADED:
                result.status, result.upload_id = CHECKED, None
            results.append(result)
    return results


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _domain(name: str | None) -> Domain | None:
    if name is None:
        return None
    try:
        return domain_named(name)
    except KeyError as exc:
        raise UploadError(exc.args[0]) from None


def _guessed_order(path: Path) -> int:
    """Position of the domain a file's header fits, for ordering a batch; unknown last."""
    try:
        with path.open("rb") as fh:
            return domain_order(fh.readline())
    except OSError:
        return len(DOMAINS)


def domain_order(first_line: bytes) -> int:
    """Position of the domain a header line fits (subjects first, …), for ordering a batch; unknown last."""
    names = [normalise(n) for n in first_line.decode("utf-8-sig", errors="replace").strip().split(",")]
    return next((i for i, d in enumerate(DOMAINS.values()) if fits(d, names)), len(DOMAINS))


def _parameters(store: Store) -> dict:
    return {"baseline_lead_days": store.study.study.baseline_lead_days}


def _lines_in_error(found: list[fd.Finding]) -> set[int]:
    return {f.line for f in found if f.severity == fd.Severity.ERROR and f.line is not None}


def _allocation_changes(cur, domain: Domain, plan, budget: fd.Budget) -> list[fd.Finding]:
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


def _withheld_kept(columns: list[str], rows: int) -> fd.Finding:
    named = " and ".join(columns)
    return fd.Finding(None, None, None, "withheld_not_compared", fd.Severity.WARNING,
                      f"{named} of the {rows:,} row(s) already in the study were neither compared nor changed: your account "
                      f"is blinded to them. New rows keep the file's {named}; an unblinded colleague corrects existing ones")


def _corrections_need_reason(plan, budget: fd.Budget) -> list[fd.Finding]:
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


def _one_per_cell(found: list[fd.Finding]) -> list[fd.Finding]:
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


def _log_upload(cur, result: UploadResult, packed: bytes, *, user: str, reason: str | None, rows: bool) -> int:
    """Log the upload and its findings, each with the site and subject of its line (``rows``: the
    file's rows are registered as :data:`FILE_ROWS`), and archive the bytes."""
    upload_id = cur.execute("SELECT coalesce(max(upload_id), 0) + 1 FROM uploads").fetchone()[0]
    archive.store_packed(cur, result.sha256, result.size_bytes, packed)
    cur.execute(
        """
        INSERT INTO uploads VALUES ($id, $file, $sha, $size, $domain, $user, $at, $status, $reason,
                                    $rows, $inserted, $corrected, $unchanged, $errors, $warnings)
        """,
        {
            "id": upload_id,
            "file": result.file_name,
            "sha": result.sha256,
            "size": result.size_bytes,
            "domain": result.domain,
            "user": user,
            "at": dt.datetime.now(dt.UTC),
            "status": result.status,
            "reason": reason,
            "rows": result.rows_in_file,
            "inserted": result.inserted,
            "corrected": result.corrected,
            "unchanged": result.unchanged,
            "errors": result.error_count,
            "warnings": result.warning_count,
        },
    )
    seals.added(cur, "uploads", "t.upload_id = $id", {"id": upload_id})
    if result.findings:
        table = pa.table(
            {
                "upload_id": pa.array([upload_id] * len(result.findings), pa.int64()),
                "line": pa.array([f.line for f in result.findings], pa.int64()),
                "column_name": pa.array([f.column for f in result.findings], pa.string()),
                "value": pa.array([f.value for f in result.findings], pa.string()),
                "rule": pa.array([f.rule for f in result.findings], pa.string()),
                "severity": pa.array([str(f.severity) for f in result.findings], pa.string()),
                "message": pa.array([f.message for f in result.findings], pa.string()),
            }
        )
        cur.register("new_findings", table)
        of_line = (f"LEFT JOIN (SELECT _line, site_id, subject_id FROM {FILE_ROWS}) AS r ON r._line = f.line" if rows
                   else "LEFT JOIN (SELECT NULL AS site_id, NULL AS subject_id) AS r ON FALSE")
        cur.execute(f"""INSERT INTO findings (upload_id, line, column_name, value, rule, severity, message, site_id, subject_id)
                        SELECT f.*, r.site_id, r.subject_id FROM new_findings AS f {of_line}""")
        cur.unregister("new_findings")
        seals.added(cur, "findings", "t.upload_id = $id", {"id": upload_id})
    return int(upload_id)


def _audit(cur, result: UploadResult, *, user: str, reason: str | None) -> None:
    """The upload's audit rows: an INSERT row for the new rows and a CORRECT row for every corrected
    cell (all of them, not only those listed in the result: they are read in batches from the plan on
    ``cur``), or (a rejected file, or one that changed nothing) one UPLOAD row, so that every upload's
    log entry is sealed under the chain."""
    moment = dt.datetime.now(dt.UTC)
    if result.inserted:
        audit.record(cur, [audit.Event(user, "INSERT", result.domain, new_value=f"{result.inserted} rows from {result.file_name}",
                                       reason=reason, upload_id=result.upload_id)], at=moment)
    if result.corrected:
        for batch in all_changes(cur):
            audit.record(cur, [audit.Event(user, "CORRECT", result.domain, c.key, c.column, c.old, c.new, reason, result.upload_id)
                               for c in batch], at=moment)
    if not (result.inserted or result.corrected):
        outcome = f"{result.error_count:,} error(s)" if result.status == REJECTED else "nothing changed"
        audit.record(cur, [audit.Event(user, "UPLOAD", result.domain, new_value=f"{result.file_name} {result.status}: {outcome}",
                                       reason=reason, upload_id=result.upload_id)], at=moment)
