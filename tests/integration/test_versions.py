"""The data version moves only with the study's data (issue 14): queries and accounts move the work
version, so a query opened or an account added leaves the ARD and a pack already built current, on
the embedded file and on PostgreSQL alike; a correction moves the data version and the pack goes
stale. The pages' caches key on both."""

from __future__ import annotations

import duckdb
from helpers import TEAM_PASSWORD
from postgres import connect_owner, server_twin

from trial.analysis import ard as ard_module
from trial.analysis.ard import ard_for
from trial.analysis.ard_inputs import load_inputs
from trial.governance import data_queries as dq
from trial.governance.lock import lock
from trial.governance.users import Role, User, account, add_user
from trial.reports.archive_zip import build_pack_archive, built_archive
from trial.store import Store
from trial.store.server import ServerStore
from trial.store.versions import WORK_TABLES

NAME = "versions"
MONITOR = User("monica", frozenset({Role.MONITOR}))


def _point(store) -> dict:
    subject, visit, region = store.query(
        "SELECT subject_id, visit, region FROM hair_counts ORDER BY subject_id, visit LIMIT 1").iloc[0]
    return {"subject_id": subject, "table_name": "hair_counts", "record_key": f"{subject} / {visit} / {region}",
            "column_name": "hair_count"}


def test_a_query_and_an_account_leave_the_data_version_the_ard_and_a_built_pack_as_they_were(team_db_copy, monkeypatch):
    loads = []
    monkeypatch.setattr(ard_module, "load_inputs", lambda store: loads.append(1) or load_inputs(store))
    with Store.open(team_db_copy) as store:
        data, work = store.versions()
        assert data == store.data_version() and data > 0
        ard = ard_for(store)
        archive = build_pack_archive(store)  # the ARD with its sensitivity analyses, from the same inputs
        assert len(loads) == 1
        query_id = dq.open_query(store, MONITOR, **_point(store), text="Is this count right?")
        assert store.versions() == (data, work + 1)
        dq.close_query(store, MONITOR, query_id, "Checked at the site.")
        add_user(store, "newcomer", TEAM_PASSWORD, ["MONITOR"], by="ada")
        assert store.versions() == (data, work + 3)
        assert ard_for(store).equals(ard) and len(loads) == 1  # nothing read again
        assert built_archive(store) is archive  # the pack built before is still this data's pack
        # what the pack shows changes: the lock (its header says Final) moves the data version
        lock(store, user="stat", reason="final data review complete")
        assert store.versions() == (data + 1, work + 3)
        assert built_archive(store) is None
        ard_for(store)
        assert len(loads) == 2


def test_a_sign_in_moves_neither_version(team_db_copy):
    from trial.governance.users import sign_in

    with Store.open(team_db_copy) as store:
        before = store.versions()
        sign_in(store, "stat", TEAM_PASSWORD)
        assert store.versions() == before


def test_a_file_written_before_the_work_version_gets_it_at_zero(team_db_copy):
    with Store.open(team_db_copy) as store:
        data = store.data_version()
    con = duckdb.connect(str(team_db_copy))
    con.execute("DELETE FROM meta WHERE key = 'work_version'")
    con.execute("UPDATE meta SET value = '10' WHERE key = 'schema_version'")
    con.close()
    with Store.open(team_db_copy) as store:
        assert store.versions() == (data, 0)
        dq.open_query(store, MONITOR, **_point(store), text="Is this count right?")
        assert store.versions() == (data, 1)


def test_on_postgresql_the_triggers_move_the_work_version_for_queries_and_the_data_version_for_data(pg_cluster, team_db):
    with Store.open(team_db, read_only=True) as store:
        owner_url, roles = server_twin(pg_cluster, NAME, store, TEAM_PASSWORD)
    with connect_owner((pg_cluster, NAME, owner_url)) as owner:
        assert owner.execute("SELECT trial_work_tables()").fetchone()[0] == list(WORK_TABLES)
    with ServerStore.open(pg_cluster.url(roles["mona"], TEAM_PASSWORD, NAME)) as server:
        monitor = account(server, roles["mona"])
        data, work = server.versions()
        assert data == server.data_version()
        dq.open_query(server, monitor, **_point(server), text="Is this count right?")
        after = server.versions()  # (a statement a table: the query's row and its first message)
        assert after[0] == data and after[1] > work
        with connect_owner((pg_cluster, NAME, owner_url)) as owner:
            owner.execute("UPDATE hair_counts SET hair_count = hair_count + 1 WHERE subject_id = %s AND visit = 'BASELINE'",
                          (_point(server)["subject_id"],))
        assert server.versions() == (data + 1, after[1])
