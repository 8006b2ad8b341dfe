"""`trial load`: upload files, or check them with --dry-run; what came of each, as sentences."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from trial.cli.common import (
    EXIT_REJECTED,
    acting_store,
    db_option,
    finishes_with,
    format_option,
    reports_errors,
    settings_of,
)

MOST_FINDINGS_SHOWN = 50
PROGRESS_FROM_BYTES = 8 * 2**20  # below this a load takes well under a second


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--domain", default=None, help="The domain the files hold (default: told from each header).")
@click.option("--user", default=None, help="Who uploads (default: $TRIAL_USER, else your login).")
@click.option("--reason", default=None, help="Why rows already in the study are being changed (needed for corrections).")
@click.option("--dry-run", is_flag=True, help="Check the files and say what would change; record nothing (a check, not an upload).")
@format_option("text", "json")
@db_option
@reports_errors
def load(files, domain, user, reason, dry_run, fmt, db):
    """Upload CSV files: each loads whole or is rejected whole, with a reason for every bad line."""
    from schemas import domain_named
    from trial.governance.access import Permission, UploadScope
    from trial.ingest.upload import upload_paths

    if domain is not None:
        try:
            domain_named(domain)
        except KeyError as exc:
            raise click.BadParameter(exc.args[0], param_hint="--domain") from None
    settings = settings_of(db, user, on_server=True)
    progress = _progress_printer() if fmt == "text" and _total_size(files) >= PROGRESS_FROM_BYTES else None
    with acting_store(db, user, Permission.UPLOAD) as (store, who):
        results = upload_paths(
            store,
            files,
            domain=domain,
            user=who.user_name,
            scope=UploadScope.of(who),
            reason=reason,
            dry_run=dry_run,
            size_limit=settings.upload_limit_bytes,
            progress=progress,
        )
    rejected = any(not r.ok for r in results)
    finishes_with(EXIT_REJECTED if rejected else 0)
    if fmt == "json":
        click.echo(json.dumps([r.as_dict() for r in results], indent=2, default=str))
    else:
        for result in results:
            print_result(result, dry_run=dry_run)
        if dry_run:
            click.echo("Dry run: the files were checked, not uploaded; nothing was recorded. "
                       "Run the command without --dry-run to upload them.")
    if rejected:
        sys.exit(EXIT_REJECTED)


def _total_size(files) -> int:
    return sum(f.stat().st_size for f in files if f.is_file())


def _progress_printer():
    """Stage names on stderr, so a long load shows it is alive (and a test can see where it is)."""
    def progress(stage: str) -> None:
        click.echo(f"  … {stage}", err=True)
    return progress


def print_result(result, most: int = MOST_FINDINGS_SHOWN, *, dry_run: bool = False) -> None:
    from trial.findings import NOT_LISTED
    from trial.ingest.result import ALREADY_LOADED, CHECKED, LOADED

    name = f"{result.file_name} ({result.domain or 'domain unknown'})"
    if result.status == ALREADY_LOADED:
        click.echo(f"{name}: already loaded as upload {result.previous_upload}; nothing to do.")
        return
    counts = f"{result.inserted} new rows, {result.corrected} corrected, {result.unchanged} unchanged"
    if result.status == LOADED:
        click.echo(f"{name}: loaded as upload {result.upload_id}: {counts}; {result.warning_count:,} warning(s).")
    elif result.status == CHECKED:
        click.echo(f"{name}: checked, not uploaded (dry run). It would load: {counts}; {result.warning_count:,} warning(s).")
    else:
        logged = (" (dry run: not recorded; uploaded, it would be kept as a rejected upload)" if dry_run
                  else f" (logged as upload {result.upload_id})" if result.upload_id else "")
        click.echo(
            f"{name}: REJECTED{logged}: nothing was loaded. "
            f"{result.error_count:,} error(s), {result.warning_count:,} warning(s):"
        )
    for change in result.changes[:most]:
        click.echo(f"  line {change.line}, {change.column}: {change.key}: {change.old} → {change.new}")
    unlisted_changes = len(result.changes) - most + result.changes_not_listed
    if unlisted_changes > 0:
        click.echo(f"  … and {unlisted_changes:,} more corrected cells.")
    listed = [f for f in result.findings if f.rule != NOT_LISTED]
    for finding in listed[:most]:
        click.echo(f"  {finding.sentence}" + (" (warning)" if finding.severity == "warning" else ""))
    hidden = len(listed) - most
    if hidden > 0:
        where = f"`trial uploads show {result.upload_id}`" if result.upload_id else "--format json"
        click.echo(f"  … and {hidden:,} more; see them with {where}.")
    for summary in (f for f in result.findings if f.rule == NOT_LISTED):
        click.echo(f"  {summary.sentence}")
    if result.status not in (LOADED, CHECKED) and result.errors:
        rules = {f.rule for f in result.errors}
        if all(f.rule == "upload_scope" and f.line is None for f in result.errors):  # the whole file is not theirs to send
            click.echo("  Nothing in the file needs fixing: a colleague whose role uploads such files sends it.")
        elif rules == {"allocation_immutable"}:
            click.echo("  Leave the allocation as it was in the file, and tell the monitor: a wrong one is a protocol deviation.")
        else:
            click.echo("  Fix these lines and upload the whole file again.")
