"""`trial init`, `trial synth`, `trial demo` and `trial serve`: a study's database, synthetic files,
the demo, and the dashboards."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from trial.cli.common import (
    EXIT_REJECTED,
    db_option,
    finishes_with,
    reports_errors,
    settings_of,
)
from trial.cli.load import print_result
from trial.errors import TrialError

DEFAULT_PORT = 8501


# --------------------------------------------------------------------------- init
@click.command()
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

    settings = settings_of(db, user, on_server=True)
    if study_file is None or study_file in BUILTIN_STUDIES:
        name = study_file or "demo"
        text, source = builtin_study_text(name), f"built-in study '{name}'"
    else:
        path = Path(study_file)
        text, source = read_study_text(path), f"study definition {path}"
    if settings.db_url is not None:
        from trial.governance.access import database_boundary
        from trial.store.postgres import create_study

        study = create_study(settings.db_url, text, user=settings.user, boundary=database_boundary(), source=source)
    else:
        with Store.create(settings.db_path, text, user=settings.user, source=source) as store:
            study = store.study
    click.echo(f"Created {settings.db_shown} for study {study.study.id}: {len(study.arms)} arm(s), "
               f"{len(study.visits)} visits, {len(study.sites)} site(s).")


# --------------------------------------------------------------------------- synth and demo
@click.command()
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

    from synthetic_data.dirty import inject_faults
    from synthetic_data.faults import write_manifest

    with tempfile.TemporaryDirectory() as clean:
        write_scenario(scenario, clean, seed=seed, subjects=subjects)
        faults = inject_faults(Path(clean), Path(out), dirty, np.random.default_rng(seed))
    # Not beside the data files: `trial load DIR/*.csv` must not upload the manifest.
    manifest = Path(out) / "manifest" / "faults.csv"
    manifest.parent.mkdir(parents=True, exist_ok=True)
    write_manifest(faults, manifest)
    errors = sum(1 for f in faults if f.expected == "error")
    click.echo(f"Wrote {scenario} (seed {seed}) into {out}: {errors} findings to expect from injected faults; the manifest is {manifest}.")


@click.command()
@click.option("--scenario", default="dhurat2013", show_default=True, help="The scenario to load.")
@click.option("--seed", default=1, show_default=True, help="The scenario's seed.")
@click.option(
    "--db",
    "db",
    default="demo.duckdb",
    show_default=True,
    help="Where to build the demo database, a file (an existing demo database there is replaced).",
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
    settings = settings_of(db)  # the demo is an embedded study: a PostgreSQL URL is refused with a sentence
    db = settings.db_path
    results = build_demo(db, user=settings.user, scenario=scenario, seed=seed)
    finishes_with(EXIT_REJECTED if any(not r.ok for r in results) else 0)
    for result in results:
        print_result(result, most=3)
    if any(not r.ok for r in results):
        sys.exit(EXIT_REJECTED)
    click.echo(f"\nThe {scenario} study is in {db}; its site files are in {files_folder(db)}/.")
    if no_serve:
        click.echo(f"Start the dashboards with: trial serve --db {db}")
        return
    _serve(db, port)


# --------------------------------------------------------------------------- serve
@click.command()
@click.option("--port", default=DEFAULT_PORT, show_default=True, help="The port to serve the dashboards on.")
@click.option("--host", default="localhost", show_default=True,
              help="The address to listen on; 0.0.0.0 lets other machines in (put sign-in in front first).")
@db_option
@reports_errors
def serve(port, host, db):
    """Start the dashboards (Streamlit) on the database; Ctrl+C stops them."""
    settings = settings_of(db, on_server=True)
    if settings.db_url is not None:
        _check_owner(settings)
        _serve(settings.db_url, port, host)  # replaces this process
    path = settings.db_path
    if not path.is_file():
        raise TrialError(f"There is no database at {path}: create one with `trial init --db {path}`, "
                         "or build the demonstration study with `trial demo`.")
    _serve(path, port, host)


def _check_owner(settings) -> None:
    """Check that a PostgreSQL study's URL signs in as its owner: the dashboards act as each signed-in
    account's role (SET ROLE), which only the owner may, and never as the login's own."""
    from trial.store.server import ServerStore

    with ServerStore.open(settings.db_url, tables=("meta",)) as store:  # a study there, and who signs in
        if not store.is_owner:
            raise TrialError(f"{store.role} is an account, and the dashboards sign in as the study's owner (the user "
                             f"that ran `trial init`) to act as each account that signs in: serve with the owner's URL.")


def _serve(db: Path | str, port: int, host: str = "localhost") -> None:
    """Replace this process with the Streamlit server on ``db`` (a database file, opened read-write;
    or a PostgreSQL study's URL, given to it in its environment, never on its command line)."""
    from importlib.util import find_spec

    # located, not imported: the core never imports the dashboards (they import the core)
    app = Path(next(iter(find_spec("dashboards").submodule_search_locations))) / "app.py"
    click.echo(f"Serving the dashboards at http://{host}:{port} (Ctrl+C stops them).", err=True)
    sys.stdout.flush()
    os.environ["TRIAL_DB"] = db if isinstance(db, str) else str(Path(db).resolve())
    upload_mb = max(1, settings_of(db, on_server=True).upload_limit_bytes // 2**20)  # the Upload page's limit, not Streamlit's 200 MB
    os.execv(sys.executable, [
        sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port), "--server.address", host, "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--theme.base", "light", "--client.toolbarMode", "minimal",
        "--server.maxUploadSize", str(upload_mb),
    ])
