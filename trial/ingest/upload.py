"""Upload a site's CSV file: read → type → validate (pandera) → edit checks (SQL) → load.

The file either enters the study whole, in one transaction, or is rejected whole with a finding for
every bad line. Either way its raw bytes are archived with their SHA-256 and the upload is logged
with its findings. Reading, typing and pandera run outside the write lock; the checks against the
store and the write run inside it, so that concurrent uploads see each other's rows.
"""

from __future__ import annotations

import contextlib
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
from trial.governance.lock import refuse_if_locked
from trial.governance.views import reading_as
from trial.ingest.cells import type_cells
from trial.ingest.changes import INCOMING, apply_changes, duplicate_keys, plan_changes, taken_out_of_view
from trial.ingest.csvfile import header_width, read_cells
from trial.ingest.editchecks import run_edit_checks
from trial.ingest.header import fits, header_too_wide, match_header, normalise
from trial.ingest.record import FILE_ROWS, audit_upload, log_upload
from trial.ingest.result import ALREADY_LOADED, CHECKED, LOADED, REJECTED, UploadResult
from trial.ingest.rules import allocation_changes, corrections_need_reason, lines_in_error, one_per_cell, withheld_kept
from trial.ingest.validate import validate_rows
from trial.settings import DEFAULT_UPLOAD_LIMIT_MB
from trial.store import Store, archive, seals
from trial.store.sqlfiles import key_match

DEFAULT_SIZE_LIMIT = DEFAULT_UPLOAD_LIMIT_MB * 2**20

Progress = Callable[[str], None]


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
                    held = store.held_outside_view(cur, domain.name, INCOMING)
                    taken = taken_out_of_view(cur, domain, reading.base(domain.name), lines_in_error(result.findings), held)
                    result.findings += budget.keep(taken)
            result.findings += allocation_changes(cur, domain, plan, budget)
            kept = sorted(withheld & set(checked.present))
            if kept and plan.matched_rows:
                result.findings.append(withheld_kept(kept, plan.matched_rows))
            if plan.changed_cells and not (reason and reason.strip()):
                result.findings += corrections_need_reason(plan, budget)
        result.findings = budget.listing(one_per_cell(result.findings))
        result.status = REJECTED if result.errors else (CHECKED if dry_run else LOADED)
        if plan is not None and not result.errors:
            result.inserted, result.corrected, result.unchanged = plan.new_rows, plan.corrected_rows, plan.unchanged_rows
            result.changes, result.changes_not_listed = plan.changes, plan.changed_cells - len(plan.changes)
        if dry_run:
            return
        say("writing")
        result.upload_id = log_upload(cur, result, packed.result(), user=user, reason=reason, rows=checked.typed is not None)
        if result.status == LOADED:
            if plan.all_new:  # no record was there before: the new rows, stamped with the upload, are sealed as added
                apply_changes(cur, checked.domain, plan, result.upload_id)
                seals.added(cur, checked.domain.name, "t.upload_id = $id", {"id": result.upload_id}, expected=plan.new_rows)
            else:
                in_file = f"EXISTS (SELECT 1 FROM {INCOMING} AS i WHERE {key_match(checked.domain.key, 'i', 't')})"
                with seals.rewriting(cur, checked.domain.name, in_file):
                    apply_changes(cur, checked.domain, plan, result.upload_id)
        audit_upload(cur, result, user=user, reason=reason)
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


