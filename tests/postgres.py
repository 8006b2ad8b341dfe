"""A throwaway PostgreSQL cluster for the tests: initdb in a temporary folder, a free port on
127.0.0.1, password (SCRAM) authentication, removed afterwards.

PostgreSQL refuses to run as root, so as root the folder is given to the ``postgres`` user and the
server runs as that user (``runuser``). Each study gets a database owned by an ordinary role with
CREATEROLE and nothing more, as a hosted PostgreSQL gives it: never the superuser.
"""

from __future__ import annotations

import datetime as dt
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from schemas import DOMAINS
from trial.governance.access import database_boundary

SUPERUSER = "postgres"


def server_programs() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: Debian keeps them under /usr/lib/postgresql/N/bin."""
    for folder in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    found = shutil.which("pg_ctl")
    return Path(found).resolve().parent if found and shutil.which("initdb") else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Cluster:
    folder: Path
    port: int
    password: str  # the superuser's: only the fixtures use it, to make owners and their databases
    programs: Path
    _runs_as: list[str]

    @classmethod
    def start(cls) -> Cluster:
        programs = server_programs()
        if programs is None:
            raise RuntimeError("PostgreSQL's initdb and pg_ctl are not installed (apt-get install -y postgresql)")
        folder = Path(tempfile.mkdtemp(prefix="trial-pg-"))
        runs_as = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(folder, account.pw_uid, account.pw_gid)
            runs_as = ["runuser", "-u", "postgres", "--"]
        password = secrets.token_urlsafe(16)
        secret = folder / "superuser.pw"
        secret.write_text(password + "\n")
        if runs_as:
            os.chown(secret, pwd.getpwnam("postgres").pw_uid, -1)
        secret.chmod(0o600)
        cluster = cls(folder, _free_port(), password, programs, runs_as)
        cluster._run("initdb", "-D", str(folder / "data"), "-U", SUPERUSER, "--auth=scram-sha-256",
                     f"--pwfile={secret}", "-E", "UTF8", "--no-locale", "--no-instructions")
        secret.unlink()
        options = (f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        cluster._run("pg_ctl", "-D", str(folder / "data"), "-l", str(folder / "server.log"), "-o", options, "-w", "start")
        return cluster

    def _run(self, program: str, *args: str) -> None:
        done = subprocess.run([*self._runs_as, str(self.programs / program), *args], capture_output=True, text=True)
        if done.returncode:
            raise RuntimeError(f"{program} failed: {done.stderr or done.stdout}")

    def url(self, user: str, password: str, database: str) -> str:
        return f"postgresql://{quote(user, safe='')}:{quote(password, safe='')}@127.0.0.1:{self.port}/{quote(database, safe='')}"

    def superuser(self, database: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(self.url(SUPERUSER, self.password, database), autocommit=True)

    def new_database(self, name: str) -> tuple[str, str]:
        """A new, empty database ``name`` owned by its own role ``<name>_owner`` (LOGIN CREATEROLE, not
        a superuser). Returns the owner's URL and password."""
        owner, password = f"{name}_owner", secrets.token_urlsafe(12)
        with self.superuser() as con:
            con.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEROLE PASSWORD {}").format(sql.Identifier(owner), sql.Literal(password)))
            con.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(owner)))
        return self.url(owner, password, name), password

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)



# ---- a study's accounts and rows, as the PostgreSQL tests use them
BOUNDARY = database_boundary()
PASSWORD = "correct horse battery"
# account → (site, blinded, assessments only)
ACCOUNTS = {"sam": ("S01", True, False), "sue": ("S02", True, False), "eve": ("S01", True, True),
            "mona": (None, True, False), "stat": (None, False, False)}


def site_rows(site: str, n: int) -> dict[str, list[tuple]]:
    day = dt.date(2025, 1, 6)
    subjects = [f"{site}-{i:03d}" for i in range(1, n + 1)]
    return {
        "subjects": [(site, s, day, day, 30 + i, "M", "AGA", "NORWOOD", "III", "IV", "Y", 1, i)
                     for i, s in enumerate(subjects, 1)],
        "randomization": [(site, s, day, "MINOX_MN" if i % 2 else "MINOX", f"R{site}{i}", None, 2, i)
                          for i, s in enumerate(subjects, 1)],
        "hair_counts": [(site, s, "BASELINE", day, "VERTEX", 1.0, 150 + i, None, None, None, "EV-1", 3, i)
                        for i, s in enumerate(subjects, 1)],
        "adverse_events": [(site, s, 1, "pain during session", "Pain", "General disorders", day, None, "MILD", "N",
                            "RELATED", "MICRONEEDLING", None, "RECOVERED", 4, i) for i, s in enumerate(subjects, 1)],
        "procedures": [(site, s, day, "ROLLER", 1.5, 4, 3, "Y", 5, i) for i, s in enumerate(subjects, 1)],
    }


def system_writes(con: psycopg.Connection, rows: dict[str, list[tuple]], upload_id: int, file: str) -> None:
    """Rows written as the system's write path does: in bulk (COPY, one statement a table) inside a
    transaction that names its upload."""
    with con.transaction():
        con.execute("SELECT set_config('trial.context', %s, true)",
                    (f'{{"upload_id": {upload_id}, "file": "{file}", "reason": null}}',))
        for table, values in rows.items():
            with con.cursor().copy(f"COPY {table} FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)


def team_study(cluster: Cluster, name: str, accounts: dict = ACCOUNTS) -> str:
    """A new database ``name`` holding the demo study with ``accounts`` (name → site, blinded,
    assessments only; roles are the cluster's, so each study's names differ) and rows at S01 (4
    subjects) and S02 (3), written as the system writes them; the owner's URL."""
    from trial.store.postgres import create_study
    from trial.store.postgres_accounts import set_account_role
    from trial.study import builtin_study_text

    url, _ = cluster.new_database(name)
    create_study(url, builtin_study_text("demo"), user="admin", boundary=BOUNDARY)
    with psycopg.connect(url, autocommit=True) as con:
        for account, (site, blinded, assessments_only) in accounts.items():
            set_account_role(con, account, PASSWORD, site=site, blinded=blinded, assessments_only=assessments_only)
        for site, n in (("S01", 4), ("S02", 3)):
            system_writes(con, site_rows(site, n), upload_id=10 + n, file=f"{site}.csv")
    return url


def connect_as(study: tuple[Cluster, str, str], account: str) -> psycopg.Connection:
    """A connection to ``study`` (cluster, database name, owner's URL) as ``account``'s own role."""
    cluster, name, _ = study
    return psycopg.connect(cluster.url(account, PASSWORD, name), autocommit=True)


def connect_owner(study: tuple[Cluster, str, str]) -> psycopg.Connection:
    return psycopg.connect(study[2], autocommit=True)


# ---- a PostgreSQL study holding what an embedded one holds
TWIN_TABLES = ("uploads", "upload_files", "findings", *DOMAINS, "data_queries", "query_messages", "unblindings", "lock_history")


def server_twin(cluster: Cluster, name: str, store, password: str, *, prefix: str | None = None) -> tuple[str, dict[str, str]]:
    """A new database ``name`` holding ``store``'s study: its definition, every row of its data
    tables, uploads and findings (written as the system writes them: COPY, in transactions that name
    the upload) and each of its accounts, as an account row and a role (of the account's access)
    with ``password``. Each account's role is prefixed with ``prefix`` (default ``name_``: roles are
    the cluster's); the owner's URL and the map account → role. The same rows as the embedded study,
    exactly, in a fraction of the time of loading its files again."""
    from trial.governance.access import Access, database_acts, database_writes
    from trial.governance.users import account
    from trial.store.postgres import create_study
    from trial.store.postgres_accounts import set_account_role

    url, _ = cluster.new_database(name)
    text = store.scalar("SELECT value FROM meta WHERE key = 'study_toml'")
    create_study(url, text, user="admin", boundary=BOUNDARY)
    accounts = [r[0] for r in store.cursor().execute("SELECT user_name FROM users").fetchall()]
    roles = {user_name: f"{name}_{user_name}" if prefix is None else f"{prefix}{user_name}" for user_name in accounts}
    with psycopg.connect(url, autocommit=True) as con, con.transaction():
        con.execute("SELECT set_config('trial.context', %s, true)", ('{"upload_id": null, "file": "twin", "reason": null}',))
        for table in TWIN_TABLES:
            frame = store.query(f"SELECT * FROM {table}")
            if frame.empty:
                continue
            columns = list(frame.columns)
            # who sent, raised or wrote a row: the account's role here (the policies know accounts by their roles)
            named = [i for i, c in enumerate(columns) if c in ("user_name", "opened_by")]
            with con.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in store.cursor().execute(f"SELECT {', '.join(columns)} FROM {table}").fetchall():
                    copy.write_row([roles.get(v, v) if i in named else v for i, v in enumerate(row)])
        for user_name, hash_, roles_, site, full_name, created in store.cursor().execute(
                "SELECT user_name, password_hash, roles, site_id, full_name, created_at FROM users").fetchall():
            role = roles[user_name]
            who = account(store, user_name)
            access = Access.of(who)
            set_account_role(con, role, password, site=site, blinded=access.blinded, assessments_only=access.assessments_only,
                             writes=database_writes(who), acts=database_acts(who))
            con.execute("INSERT INTO users (user_name, full_name, password_hash, roles, site_id, created_at) "
                        "VALUES (%s, %s, %s, %s, %s, %s)", (role, full_name, hash_, roles_, site, created))
    return url, roles


TRIAL = [sys.executable, "-m", "trial.cli"]


def site_study(cluster: Cluster, folder: Path, name: str, subjects: int) -> tuple[str, str]:
    """A PostgreSQL study with ``subjects`` subjects at S01, randomized, loaded by its site staff
    account ``sam`` (role ``<name>_sam``) with ``trial load``; (sam's URL, the owner's URL)."""
    from helpers import TEAM_PASSWORD, study_files

    from trial.governance.users import add_user
    from trial.store import Store
    from trial.study import builtin_study_text

    with Store.create(folder / "empty.duckdb", builtin_study_text("demo"), user="setup") as empty:
        add_user(empty, "sam", TEAM_PASSWORD, ["SITE_STAFF"], site_id="S01", by="setup")
        owner, roles = server_twin(cluster, name, empty, TEAM_PASSWORD)
    url = cluster.url(roles["sam"], TEAM_PASSWORD, name)
    for kind, data in zip(("subjects", "randomization"), study_files(subjects), strict=True):
        (folder / f"{kind}.csv").write_bytes(data)
    done = subprocess.run([*TRIAL, "load", str(folder / "subjects.csv"), str(folder / "randomization.csv"), "--db", url],
                          capture_output=True, text=True, env=child_env())
    assert done.returncode == 0, done.stdout + done.stderr
    return url, owner


def child_env() -> dict[str, str]:
    """The environment of a command run in its own process: this checkout's code."""
    return dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))


def chain_intact(owner_url: str) -> None:
    from trial.store.audit import problems_in_chain
    from trial.store.postgres import chain_head, chain_rows

    with psycopg.connect(owner_url) as owner:
        assert not list(problems_in_chain(chain_rows(owner), *chain_head(owner)))
