"""`trial uploads`: the upload log, one upload's findings, its raw bytes."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from trial.cli.common import (
    acting_store,
    as_seen_by,
    db_option,
    emit,
    format_option,
    reports_errors,
    user_option,
)


@click.group(invoke_without_command=True)
@click.option("--limit", default=50, show_default=True, help="How many of the latest uploads to list.")
@format_option("text", "json", "csv")
@user_option
@db_option
@click.pass_context
@reports_errors
def uploads(ctx, limit, fmt, user, db):
    """List uploads, newest first; `uploads show ID` gives one upload's findings."""
    ctx.obj = {"db": db, "user": user}  # `trial uploads --db X show 3` means that database
    if ctx.invoked_subcommand is not None:
        return
    from trial.readers.uploads import list_uploads

    with acting_store(db, user, read_only=True) as (store, who):
        frame = list_uploads(as_seen_by(store, who), limit)
    if frame.empty and fmt == "text":
        click.echo("No uploads yet. Load files with `trial load FILE…`.")
        return
    emit(frame.drop(columns=["sha256", "size_bytes"]) if fmt == "text" else frame, fmt)


@uploads.command("show")
@click.argument("upload_id", type=int)
@format_option("text", "json", "csv")
@user_option
@db_option
@click.pass_context
@reports_errors
def uploads_show(ctx, upload_id, fmt, user, db):
    """One upload: who, when, outcome, and every finding."""
    from trial.readers.uploads import upload_findings, upload_record

    with acting_store(db or ctx.obj["db"], user or ctx.obj["user"], read_only=True) as (store, who):
        seen = as_seen_by(store, who)
        record = upload_record(seen, upload_id)
        frame = upload_findings(seen, upload_id)
    if fmt == "text":
        click.echo(
            f"Upload {upload_id}: {record['file_name']} ({record['domain'] or 'domain unknown'}), "
            f"{record['status']}, by {record['user_name']} at {record['uploaded_at']:%Y-%m-%d %H:%M:%S %Z}; "
            f"{_rows_of(record)}; sha256 {record['sha256']}"
        )
        if record["reason"]:
            click.echo(f"Reason: {record['reason']}")
        if frame.empty:
            import pandas as pd

            counted = sum(int(record[c]) for c in ("errors", "warnings") if not pd.isna(record[c]))
            click.echo("No findings you may see: they are about data your account does not see." if counted else "No findings.")
            return
    emit(frame, fmt)


def _rows_of(record: dict) -> str:
    import pandas as pd

    if pd.isna(record["rows_in_file"]):
        return "a file with other sites' rows too (its counts are not shown to you)"
    return f"{int(record['rows_in_file'])} rows"


@uploads.command("raw")
@click.argument("upload_id", type=int)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Write to this file (default: standard output).")
@user_option
@db_option
@click.pass_context
@reports_errors
def uploads_raw(ctx, upload_id, out, user, db):
    """The exact bytes of an upload, as archived (for a statistician, or an administrator the study does not blind)."""
    from trial.governance.access import Access, NotPermitted, Permission
    from trial.store.archive import raw_bytes
    from trial.governance.trail import record_export

    with acting_store(db or ctx.obj["db"], user or ctx.obj["user"], Permission.READ_AUDIT) as (store, who):
        if not Access.of(who).full:  # a file holds every column and site it was sent with (trial.governance.access withholds raw files)
            raise NotPermitted(f"{who.user_name} may not read raw files: the account is blinded, and a file holds what it is "
                               "blinded to (arms, sessions, verbatim terms); a statistician reads them.")
        name, data = raw_bytes(store, upload_id)
        record_export(store, who.user_name, f"raw file of upload {upload_id}", name)
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)
        click.echo(f"Wrote {len(data)} bytes of {name} (upload {upload_id}) to {out}.", err=True)
