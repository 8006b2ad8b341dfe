"""`trial audit`: the trail, its export, and --verify / --anchor."""

from __future__ import annotations

import json
import sys

import click

from trial.cli.common import (
    EXIT_REJECTED,
    acting_store,
    as_seen_by,
    db_option,
    emit,
    finishes_with,
    format_option,
    reports_errors,
    user_option,
)
from trial.errors import TrialError


@click.command()
@click.option("--table", default=None, help="Only this study table (e.g. hair_counts).")
@click.option("--subject", default=None, help="Only this subject (e.g. S01-001).")
@click.option("--upload", "upload_id", type=int, default=None, help="Only this upload.")
@click.option("--verify", is_flag=True, help="Prove that nothing changed unrecorded: the trail's chain, every record of the "
              "study, the upload log, the accounts and the study definition against their seals, and every archived file "
              "against its SHA-256; exit 1 if something did. Works on a read-only copy.")
@click.option("--anchor", is_flag=False, flag_value="", default=None, metavar="[HASH]",
              help="Alone: print the chain's head (hash and row count) to keep elsewhere. With --verify, --anchor HASH also "
              "proves that the trail still holds that row, so that a consistent rewrite or a cut is caught.")
@format_option("text", "json", "csv")
@user_option
@db_option
@reports_errors
def audit(table, subject, upload_id, verify, anchor, fmt, user, db):
    """The audit trail (for a statistician or administrator): every load, correction, sign-in,
    query, lock and export, with old and new value, who, when and why. --format csv exports it whole."""
    from trial.governance.access import Permission
    from trial.governance.trail import audit_trail, record_export

    if verify or anchor == "":
        _audit_check(db, user, verify, anchor or None, fmt)
        return
    if anchor is not None:
        raise click.UsageError("--anchor HASH goes with --verify; --anchor alone prints the chain's head.")
    with acting_store(db, user, Permission.READ_AUDIT) as (store, who):
        frame = audit_trail(as_seen_by(store, who), table=table, subject=subject, upload_id=upload_id)  # a blinded admin's rows
        record_export(store, who.user_name, "audit trail", f"{len(frame):,} rows as {fmt}")
    if frame.empty and fmt == "text":
        click.echo("The audit trail has no entries for that selection.")
        return
    emit(frame, fmt)


def _audit_check(db, user, verify: bool, anchor: str | None, fmt: str) -> None:
    """--verify [--anchor HASH] and --anchor alone: read-only, so they work on a copy."""
    import pandas as pd

    from trial.governance.access import Permission
    from trial.governance.integrity import anchor_of, check_anchor, verify as verify_study

    from trial.governance.access import Access

    if anchor is not None:
        check_anchor(anchor)  # a malformed anchor is refused before the database is read
    with acting_store(db, user, Permission.READ_AUDIT, read_only=True) as (store, who):
        if store.path is None and not Access.of(who).full:
            raise TrialError(f"On PostgreSQL the whole audit trail is read with full access only (for now): "
                             f"{who.user_name} is {'blinded' if who.blinded else 'limited to a site'}. A statistician checks it.")
        if not verify:
            head, rows = anchor_of(store)
            if fmt == "text":
                click.echo(f"{head}\nThe audit trail's head is row {rows:,} of the chain, with the hash above. Keep it "
                           "elsewhere; `trial audit --verify --anchor HASH` proves later that the trail still holds it.")
            else:
                emit(pd.DataFrame([{"hash": head, "rows": rows}]), fmt)
            return
        verdict = verify_study(store, anchor=anchor, blinded=who.blinded)
    finishes_with(0 if verdict.intact else EXIT_REJECTED)
    if fmt == "json":
        click.echo(json.dumps({"intact": verdict.intact, "summary": verdict.summary, "problems": verdict.shown,
                               "problem_count": verdict.total}, indent=2, ensure_ascii=False))
    elif fmt == "csv":
        emit(pd.DataFrame({"problem": verdict.shown}), fmt)
    elif verdict.intact:
        click.echo(verdict.summary)
    else:
        click.echo(verdict.summary, err=True)
        for problem in verdict.shown:
            click.echo(f"  {problem}", err=True)
    if not verdict.intact:
        sys.exit(EXIT_REJECTED)
