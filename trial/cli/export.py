"""`trial export sdtm`, `trial export adam` and `trial export odm`: the study in CDISC's standards."""

from __future__ import annotations

from pathlib import Path

import click

from trial.cli.common import (
    acting_store,
    db_option,
    reports_errors,
    user_option,
)


@click.group()
def export():
    """Export the study as CDISC datasets (an unblinded statistician)."""


def _datasets_command(kind: str, summary: str):
    """``trial export <kind>``: the datasets of one standard, to a folder, in the formats asked for."""

    @export.command(kind, help=summary)
    @click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the datasets.")
    @click.option("--format", "formats", type=click.Choice(["xpt", "json"]), multiple=True,
                  help="xpt (SAS transport v5) or json (Dataset-JSON 1.1); both when not given.")
    @user_option
    @db_option
    @reports_errors
    def command(out, formats, user, db):
        from trial.cdisc.export import FORMATS, export_cdisc
        from trial.governance.access import Permission

        with acting_store(db, user, Permission.EXPORT_CDISC) as (store, who):
            written = export_cdisc(store, who, kind, out, tuple(formats) or FORMATS)
        click.echo(f"Wrote {len(written)} files to {out}: {', '.join(p.name for p in written)}.")

    return command


sdtm = _datasets_command("sdtm", "Write the SDTM datasets (DM, DS, AE, PR, FA, XH, QS, SUPP--, TS, TE, TA, TV, TI), each as SAS "
                                 "XPT v5 and CDISC Dataset-JSON 1.1, with define.xml.")
adam = _datasets_command("adam", "Write ADSL, ADHC, ADPT, ADGA and ADAE, each as SAS XPT v5 and CDISC Dataset-JSON 1.1, with define.xml.")


@export.command("odm")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="The ODM file to write (.xml).")
@user_option
@db_option
@reports_errors
def odm(out, user, db):
    """Write the study as CDISC ODM 1.3.2: its metadata, and every record with its history as audit records."""
    from trial.cdisc.export import export_odm
    from trial.governance.access import Permission

    with acting_store(db, user, Permission.EXPORT_CDISC) as (store, who):
        written = export_odm(store, who, out)
    click.echo(f"Wrote {written}.")
