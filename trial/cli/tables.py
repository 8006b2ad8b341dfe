"""`trial tables`: the end-of-study pack."""

from __future__ import annotations

from pathlib import Path

import click

from trial.cli.common import (
    acting_store,
    db_option,
    reports_errors,
    user_option,
)


@click.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the pack.")
@click.option("--pdf", is_flag=True, help="Also convert the combined document to PDF (needs LibreOffice).")
@user_option
@db_option
@reports_errors
def tables(out, pdf, user, db):
    """Write the end-of-study pack: tables and listings as HTML, DOCX and CSV, figures, one combined DOCX, and the ARD."""
    from trial.governance.access import Permission
    from trial.reports.pack import write_pack
    from trial.reports.pdf import write_pdf
    from trial.governance.trail import record_export

    with acting_store(db, user, Permission.BUILD_PACK) as (store, who):
        written = write_pack(store, out)
        record_export(store, who.user_name, "end-of-study pack", f"{len(written)} files to {out}")
    click.echo(f"Wrote {len(written)} files to {out}: open {out}/index.html, or {out}/end-of-study-tables.docx.")
    if pdf:
        click.echo(f"Wrote {write_pdf(out / 'end-of-study-tables.docx')}.")
