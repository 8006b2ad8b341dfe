"""The ``trial`` command line: thin commands, each calling one library function.

Exit codes: 0 done (or loaded), 1 a file was rejected, 2 usage or a problem that stopped the
command (no database, database in use, unreadable file). Errors are sentences, never tracebacks.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from trial import __version__
from trial.cli_common import (
    EXIT_REJECTED,
    TrialGroup,
    acting,
    acting_store,
    as_seen_by,
    db_option,
    emit,
    finishes_with,
    format_option,
    reports_errors,
    settings_of,
    user_option,
)
from trial.errors import TrialError

DEFAULT_PORT = 8501
MOST_FINDINGS_SHOWN = 50
PROGRESS_FROM_BYTES = 8 * 2**20  # below this a load takes well under a second


@click.group(cls=TrialGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="trial")
def main() -> None:
    """Clinical-trial data management: validated uploads, audit trail, reports."""


# --------------------------------------------------------------------------- init
@main.command()
@click.option(
    "--study",
    "study_file",
    default=None,
    help="A study definition TOML file, or a built-in name (demo, single_arm). Default: the demo study.",
)
@db_option
@click.option("--user", default=None, help="Who sets it up (default: $TRIAL_USER, else your login).")
@reports_errors
def init(study_file, db, user):
    """Create the database for a study."""
    from trial.store import Store
    from trial.study import BUILTIN_STUDIES, builtin_study_text, read_study_text

    settings = settings_of(db, user)
    if study_file is None or study_file in BUILTIN_STUDIES:
        name = study_file or "demo"
        text, source = builtin_study_text(name), f"built-in study '{name}'"
    else:
        path = Path(study_file)
        text, source = read_study_text(path), f"study definition {path}"
    with Store.create(settings.db_path, text, user=settings.user, source=source) as store:
        study = store.study
        click.echo(
            f"Created {settings.db_path} for study {study.study.id}: {len(study.arms)} arm(s), "
            f"{len(study.visits)} visits, {len(study.sites)} site(s)."
        )


# --------------------------------------------------------------------------- load
@main.command()
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
    from trial.access import Permission, UploadScope
    from trial.ingest import upload_paths
    from trial.store import Store

    if domain is not None:
        try:
            domain_named(domain)
        except KeyError as exc:
            raise click.BadParameter(exc.args[0], param_hint="--domain") from None
    settings = settings_of(db, user)
    progress = _progress_printer() if fmt == "text" and _total_size(files) >= PROGRESS_FROM_BYTES else None
    with Store.open(settings.db_path) as store:
        who = acting(store, settings, Permission.UPLOAD)
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
            _print_result(result, dry_run=dry_run)
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


def _print_result(result, most: int = MOST_FINDINGS_SHOWN, *, dry_run: bool = False) -> None:
    from trial.findings import NOT_LISTED
    from trial.ingest import ALREADY_LOADED, CHECKED, LOADED

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


# --------------------------------------------------------------------------- synth and demo
@main.command()
@click.option("--scenario", required=True, help="dhurat2013, kumar2018, starace2019 or scale.")
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the files.")
@click.option("--seed", default=1, show_default=True, help="The same seed writes the same bytes.")
@click.option("--subjects", type=click.IntRange(10, 100_000), default=None, help="Subjects to randomize (default: the paper's).")
@click.option("--dirty", type=click.FloatRange(0, 1), default=None, help="Inject faults into this share of data lines (manifest in DIR/manifest/).")
@reports_errors
def synth(scenario, out, seed, subjects, dirty):
    """Write a synthetic scenario's eight CSV files and its study.toml."""
    import numpy as np

    from synthetic_data.scenarios import SCENARIOS, write_scenario

    if scenario not in SCENARIOS:
        raise click.BadParameter(f"'{scenario}' is not a scenario; choose from {', '.join(SCENARIOS)}", param_hint="--scenario")
    if dirty is None:
        files = write_scenario(scenario, out, seed=seed, subjects=subjects)
        click.echo(f"Wrote {len(files)} files and study.toml for {scenario} (seed {seed}) into {out}.")
        return
    import tempfile

    from synthetic_data.dirty import inject_faults, write_manifest

    with tempfile.TemporaryDirectory() as clean:
        write_scenario(scenario, clean, seed=seed, subjects=subjects)
        faults = inject_faults(Path(clean), Path(out), dirty, np.random.default_rng(seed))
    # Not beside the data files: `trial load DIR/*.csv` must not upload the manifest.
    manifest = Path(out) / "manifest" / "faults.csv"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    write_manifest(faults, manifest)
    errors = sum(1 for f in faults if f.expected == "error")
    click.echo(f"Wrote {scenario} (seed {seed}) into {out}: {errors} findings to expect from injected faults; the manifest is {manifest}.")


@main.command()
@click.option("--scenario", default="dhurat2013", show_default=True, help="The scenario to load.")
@click.option("--seed", default=1, show_default=True, help="The scenario's seed.")
@click.option(
    "--db",
    "db",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("demo.duckdb"),
    show_default=True,
    help="Where to build the demo database (an existing demo database there is replaced).",
)
@click.option("--no-serve", is_flag=True, help="Build the database and stop instead of starting the dashboards.")
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="The port to serve the dashboards on.")
@reports_errors
def demo(scenario, seed, db, no_serve, port):
    """Synthesise a scenario, create its database and load every file through the normal upload path."""
    from synthetic_data.demo import build_demo, files_folder
    from synthetic_data.scenarios import SCENARIOS

    if scenario not in SCENARIOS:
        raise click.BadParameter(f"'{scenario}' is not a scenario; choose from {', '.join(SCENARIOS)}", param_hint="--scenario")
    results = build_demo(db, user=settings_of(db).user, scenario=scenario, seed=seed)
    finishes_with(EXIT_REJECTED if any(not r.ok for r in results) else 0)
    for result in results:
        _print_result(result, most=3)
    if any(not r.ok for r in results):
        sys.exit(EXIT_REJECTED)
    click.echo(f"\nThe {scenario} study is in {db}; its site files are in {files_folder(db)}/.")
    if no_serve:
        click.echo(f"Start the dashboards with: trial serve --db {db}")
        return
    _serve(db, port)


# --------------------------------------------------------------------------- serve
@main.command()
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="The port to serve the dashboards on.")
@click.option("--host", default="localhost", show_default=True,
              help="The address to listen on; 0.0.0.0 lets other machines in (put sign-in in front first).")
@db_option
@reports_errors
def serve(port, host, db):
    """Start the dashboards (Streamlit) on the database; Ctrl+C stops them."""
    path = settings_of(db).db_path
    if not path.is_file():
        raise TrialError(f"There is no database at {path}: create one with `trial init --db {path}`, "
                         "or build the demonstration study with `trial demo`.")
    _serve(path, port, host)


def _serve(db: Path, port: int, host: str = "localhost") -> None:
    """Replace this process with the Streamlit server on ``db`` (it opens the database read-write)."""
    from importlib.util import find_spec

    # located, not imported: the core never imports the dashboards (they import the core)
    app = Path(next(iter(find_spec("dashboards").submodule_search_locations))) / "app.py"
    click.echo(f"Serving the dashboards at http://{host}:{port} (Ctrl+C stops them).", err=True)
    sys.stdout.flush()
    os.environ["TRIAL_DB"] = str(Path(db).resolve())
    upload_mb = max(1, settings_of(db).upload_limit_bytes // 2**20)  # the Upload page's limit, not Streamlit's 200 MB
    os.execv(sys.executable, [
        sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port), "--server.address", host, "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--theme.base", "light", "--client.toolbarMode", "minimal",
        "--server.maxUploadSize", str(upload_mb),
    ])


# --------------------------------------------------------------------------- tables
@main.command()
@click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the pack.")
@click.option("--pdf", is_flag=True, help="Also convert the combined document to PDF (needs LibreOffice).")
@user_option
@db_option
@reports_errors
def tables(out, pdf, user, db):
    """Write the end-of-study pack: tables and listings as HTML, DOCX and CSV, figures, one combined DOCX, and the ARD."""
    from trial.access import Permission
    from trial.audit import record_export
    from trial.reports.pack import write_pack, write_pdf

    with acting_store(db, user, Permission.BUILD_PACK) as (store, who):
        written = write_pack(store, out)
        record_export(store, who.user_name, "end-of-study pack", f"{len(written)} files to {out}")
    click.echo(f"Wrote {len(written)} files to {out}: open {out}/index.html, or {out}/end-of-study-tables.docx.")
    if pdf:
        click.echo(f"Wrote {write_pdf(out / 'end-of-study-tables.docx')}.")


# --------------------------------------------------------------------------- uploads
@main.group(invoke_without_command=True)
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
    from trial.uploads import list_uploads

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
    from trial.uploads import upload_findings, upload_record

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
    from trial.access import Access, NotPermitted, Permission
    from trial.archive import raw_bytes
    from trial.audit import record_export

    with acting_store(db or ctx.obj["db"], user or ctx.obj["user"], Permission.READ_AUDIT) as (store, who):
        if not Access.of(who).full:  # a file holds every column and site it was sent with (trial.access withholds raw files)
            raise NotPermitted(f"{who.user_name} may not read raw files: the account is blinded, and a file holds what it is "
                               "blinded to (arms, sessions, verbatim terms); a statistician reads them.")
        name, data = raw_bytes(store, upload_id)
        record_export(store, who.user_name, f"raw file of upload {upload_id}", name)
    if out is None:
        sys.stdout.buffer.write(data)
    else:
        out.write_bytes(data)
        click.echo(f"Wrote {len(data)} bytes of {name} (upload {upload_id}) to {out}.", err=True)


# --------------------------------------------------------------------------- users
@main.group(invoke_without_command=True)
@user_option
@db_option
@click.pass_context
@reports_errors
def users(ctx, user, db):
    """Accounts (for an administrator): list them (default), add, disable, enable, set a password, set roles and site."""
    ctx.obj = {"db": db, "user": user}
    if ctx.invoked_subcommand is None:
        from trial.access import Permission
        from trial.users import list_users

        with acting_store(db, user, Permission.MANAGE_USERS, read_only=True) as (store, _):
            frame = list_users(store)
        if frame.empty:
            click.echo("No accounts yet. Add the first, an administrator: trial users add NAME --role ADMIN")
            return
        frame["roles"] = frame["roles"].map(lambda r: ",".join(r))
        emit(frame, "text")


def _admin_store(ctx, user, db=None):
    """The store, once the acting user may manage accounts (in a study without accounts yet,
    whoever adds the first, an ADMIN)."""
    from trial.access import Permission
    from trial.store import Store

    settings = settings_of(db or ctx.obj["db"], user or ctx.obj["user"])
    store = Store.open(settings.db_path)
    try:
        who = acting(store, settings, Permission.MANAGE_USERS)
    except TrialError:
        store.close()
        raise
    return store, who.user_name


def _new_password(password_stdin: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


@users.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="ADMIN, SITE_STAFF, EVALUATOR, MONITOR or STATISTICIAN; repeat for several.")
@click.option("--site", default=None, help="The site of a SITE_STAFF or EVALUATOR account.")
@click.option("--full-name", default=None, help="The person's name as shown in the dashboards.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@click.option("--user", default=None, help="Who adds it (an ADMIN; default: $TRIAL_USER, else the login name).")
@db_option
@click.pass_context
@reports_errors
def users_add(ctx, name, roles, site, full_name, password_stdin, user, db):
    """Add an account with its roles (and site, for site staff and evaluators)."""
    from trial.users import Role, add_user

    store, acting = _admin_store(ctx, user, db)
    with store:
        if not store.scalar("SELECT count(*) FROM users") and Role.ADMIN not in {r.upper() for r in roles}:
            raise TrialError("The first account must be an administrator (--role ADMIN), who then adds the others.")
        made = add_user(store, name, _new_password(password_stdin), roles, site_id=site, full_name=full_name, by=acting)
    click.echo(f"Added {made.user_name}: {', '.join(sorted(made.roles))}, {made.site_id or 'all sites'}"
               f"{', blinded' if made.blinded else ', unblinded'}.")


@users.command("password")
@click.argument("name")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input instead of asking.")
@click.option("--user", default=None, help="Who sets it (an ADMIN).")
@db_option
@click.pass_context
@reports_errors
def users_password(ctx, name, password_stdin, user, db):
    """Set an account's password (and lift a lock-out); the account's sessions end."""
    from trial.users import set_password

    store, acting = _admin_store(ctx, user, db)
    with store:
        set_password(store, name, _new_password(password_stdin), by=acting)
    click.echo(f"The password of {name} is set and any session of {name} has ended; {name} logs in again with it.")


@users.command("disable")
@click.argument("name")
@click.option("--user", default=None, help="Who disables it (an ADMIN).")
@db_option
@click.pass_context
@reports_errors
def users_disable(ctx, name, user, db):
    """Disable an account: it can no longer sign in, and its sessions end."""
    _set_active(ctx, name, user, db, active=False)


@users.command("enable")
@click.argument("name")
@click.option("--user", default=None, help="Who enables it (an ADMIN).")
@db_option
@click.pass_context
@reports_errors
def users_enable(ctx, name, user, db):
    """Enable a disabled account again."""
    _set_active(ctx, name, user, db, active=True)


def _set_active(ctx, name: str, user: str | None, db, *, active: bool) -> None:
    from trial.users import set_active

    store, acting = _admin_store(ctx, user, db)
    with store:
        set_active(store, name, active, by=acting)
    click.echo(f"{name} is enabled and may sign in again." if active
               else f"{name} is disabled: {name} can no longer sign in, and every session of {name} has ended.")


@users.command("roles")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="ADMIN, SITE_STAFF, EVALUATOR, MONITOR or STATISTICIAN; repeat for several. They replace the account's roles.")
@click.option("--site", default=None, help="The site of a SITE_STAFF or EVALUATOR account (default: all sites).")
@click.option("--user", default=None, help="Who changes them (an ADMIN).")
@db_option
@click.pass_context
@reports_errors
def users_roles(ctx, name, roles, site, user, db):
    """Give an account new roles and site, in place of the old ones (its sessions carry on with them)."""
    from trial.users import set_roles

    store, acting = _admin_store(ctx, user, db)
    with store:
        changed = set_roles(store, name, roles, site_id=site, by=acting)
    click.echo(f"{name} now holds {', '.join(sorted(changed.roles))}, {changed.site_id or 'all sites'}.")


# --------------------------------------------------------------------------- lock
_SIGN_HELP = "Read your password (the electronic signature) from standard input instead of asking."


def _signature(store, password_stdin: bool) -> str | None:
    """The signer's password, once the study has accounts (an open study has nobody to sign)."""
    from trial.users import has_accounts

    if not has_accounts(store):
        return None
    if password_stdin:
        return sys.stdin.readline().rstrip("\n")
    return click.prompt("Password (your electronic signature)", hide_input=True, err=True)


@main.command("lock")
@click.option("--reason", required=True, help="Why the database is locked (e.g. final data review complete).")
@click.option("--password-stdin", is_flag=True, help=_SIGN_HELP)
@user_option
@db_option
@reports_errors
def lock_command(reason, password_stdin, user, db):
    """Lock the database (a statistician or administrator, signing with their password):
    uploads and corrections are refused until it is unlocked."""
    from trial.lock import signed_lock

    with acting_store(db, user) as (store, who):
        click.echo(signed_lock(store, who, reason=reason, password=_signature(store, password_stdin)).sentence)


@main.command("unlock")
@click.option("--reason", required=True, help="Why the database is unlocked (e.g. query found after lock).")
@click.option("--password-stdin", is_flag=True, help=_SIGN_HELP)
@user_option
@db_option
@reports_errors
def unlock_command(reason, password_stdin, user, db):
    """Unlock a locked database (signed, with a reason kept in the audit trail)."""
    from trial.lock import signed_unlock

    with acting_store(db, user) as (store, who):
        signed_unlock(store, who, reason=reason, password=_signature(store, password_stdin))
        click.echo(f"The database is unlocked; uploads and corrections are accepted again (by {who.user_name}: {reason}).")


# --------------------------------------------------------------------------- audit
@main.command()
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
    from trial.access import Permission
    from trial.audit import audit_trail, record_export

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

    from trial.access import Permission
    from trial.integrity import anchor_of, check_anchor
    from trial.integrity import verify as verify_study

    if anchor is not None:
        check_anchor(anchor)  # a malformed anchor is refused before the database is read
    with acting_store(db, user, Permission.READ_AUDIT, read_only=True) as (store, who):
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


from trial.cli_login import login, logout
from trial.cli_queries import queries

main.add_command(login)
main.add_command(logout)
main.add_command(queries)

if __name__ == "__main__":
    main()
