"""A study on PostgreSQL read as each account's own role: the same numbers as the embedded study
holding the same rows, computed on what the database lets that role select, and never more."""

from __future__ import annotations

import json
import shutil

import pytest
from click.testing import CliRunner
from helpers import TEAM, TEAM_PASSWORD, run_as
from postgres import connect_owner, server_twin

from trial.analysis.ard import compute_ard
from trial.cli import main
from trial.cli.common import as_seen_by
from trial.governance.access import SITE_TABLES
from trial.governance.database_roles import role_account
from trial.governance.users import account
from trial.store import Store
from trial.store.server import ServerStore

NAME = "reads"


@pytest.fixture(scope="module")
def twins(pg_cluster, team_db):
    """The team's embedded study and its PostgreSQL twin: (embedded path, cluster, account → role,
    the owner's URL)."""
    with Store.open(team_db, read_only=True) as store:
        owner, roles = server_twin(pg_cluster, NAME, store, TEAM_PASSWORD)
    return team_db, pg_cluster, roles, owner


def _url(twins, name: str, password: str = TEAM_PASSWORD) -> str:
    _, cluster, roles, _ = twins
    return cluster.url(roles[name], password, NAME)


@pytest.mark.parametrize("name", sorted(TEAM))
def test_every_account_gets_the_embedded_studys_numbers_from_what_its_role_reads(twins, name):
    path = twins[0]
    with ServerStore.open(_url(twins, name)) as server, Store.open(path, read_only=True) as embedded:
        on_server = compute_ard(as_seen_by(server, role_account(server, named=None)))
        at_home = compute_ard(as_seen_by(embedded, account(embedded, name)))
    assert len(on_server) > 100
    assert on_server.to_csv(index=False) == at_home.to_csv(index=False)


def test_a_site_roles_copy_holds_its_own_sites_rows_only(twins):
    with ServerStore.open(_url(twins, "sam")) as server:
        for table in SITE_TABLES:
            sites = set(server.query(f"SELECT DISTINCT site_id FROM {table}").site_id)
            assert sites <= {"S01"}, (table, sites)
        assert server.scalar("SELECT count(*) FROM subjects") > 0
        assert server.scalar("SELECT count(*) FROM audit_trail") == 0  # full access only, so far
    with ServerStore.open(_url(twins, "stat")) as server:
        assert set(server.query("SELECT DISTINCT site_id FROM subjects").site_id) == {"S01", "S02"}


def test_a_blinded_roles_copy_holds_no_arm_in_any_table(twins):
    """Every value of every table the monitor's copy holds, searched for the arms' codes and labels."""
    with ServerStore.open(_url(twins, "mona")) as server:
        arms = {code for code in server.query("SELECT arm FROM study_arms").arm}
        assert server.scalar("SELECT count(*) FROM randomization") > 0
        assert server.scalar("SELECT count(*) FROM randomization WHERE arm IS NOT NULL") == 0
        assert server.scalar("SELECT count(*) FROM procedures") == 0
        tables = server.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").table_name
        for table in tables:
            if table in ("study_arms", "meta"):  # the protocol's arms and the study file name them for everyone
                continue
            frame = server.query(f"SELECT * FROM {table}").astype(str)
            for arm in arms:
                assert not frame.isin([arm]).any().any(), (table, arm)


def test_the_evaluators_copy_holds_no_adverse_event_session_or_disposition(twins):
    with ServerStore.open(_url(twins, "eve")) as server:
        for table in ("adverse_events", "procedures", "disposition"):
            assert server.scalar(f"SELECT count(*) FROM {table}") == 0
        assert server.scalar("SELECT count(*) FROM hair_counts") > 0
        assert set(server.query("SELECT DISTINCT site_id FROM hair_counts").site_id) == {"S02"}


def test_the_pack_from_postgresql_is_the_embedded_pack(twins, tmp_path):
    path = twins[0]
    done = CliRunner().invoke(main, ["tables", "--out", str(tmp_path / "server"), "--db", _url(twins, "stat")])
    assert done.exit_code == 0, done.output
    copy = tmp_path / "study.duckdb"
    shutil.copy(path, copy)
    home = run_as(copy, "stat", tmp_path / "homes", ["tables", "--out", tmp_path / "embedded", "--db", copy])
    assert home.exit_code == 0, home.output
    assert (tmp_path / "server" / "ard.csv").read_bytes() == (tmp_path / "embedded" / "ard.csv").read_bytes()
    with ServerStore.open(_url(twins, "stat")) as server:
        last = server.query("SELECT user_name, action, new_value FROM audit_trail ORDER BY audit_id DESC LIMIT 1").iloc[0]
    assert (last.user_name, last.action, last.new_value) == (twins[2]["stat"], "EXPORT", "end-of-study pack")


def test_the_account_is_the_role_the_database_signed_in_never_a_name_given(twins):
    url = _url(twins, "sam")
    claimed = CliRunner().invoke(main, ["uploads", "--db", url, "--user", twins[2]["stat"]])
    assert claimed.exit_code == 2 and f"signs in as {twins[2]['sam']}, not {twins[2]['stat']}" in claimed.output
    wrong = CliRunner().invoke(main, ["uploads", "--db", _url(twins, "stat", password="guess")])
    assert wrong.exit_code == 2 and "password authentication failed" in wrong.output and "guess" not in wrong.output
    refused = CliRunner().invoke(main, ["tables", "--out", "x", "--db", url])
    assert refused.exit_code == 2 and "may not build the end-of-study pack" in refused.output.replace("\n", " ")


def test_the_owner_is_no_account(twins):
    done = CliRunner().invoke(main, ["uploads", "--db", twins[3]])
    assert done.exit_code == 2 and "is not an active account of the study" in done.output, done.output


def test_a_change_made_by_another_process_reaches_the_copy_at_the_next_read(twins):
    """The data version lives in the database: every process sees it move and reads again."""
    _, cluster, _, owner_url = twins
    with ServerStore.open(_url(twins, "stat")) as server:
        before = server.data_version()
        subject, count = server.query("SELECT subject_id, hair_count FROM hair_counts ORDER BY subject_id LIMIT 1").iloc[0]
        with connect_owner((cluster, NAME, owner_url)) as owner:
            owner.execute("UPDATE hair_counts SET hair_count = hair_count + 1 WHERE subject_id = %s AND visit = 'BASELINE'",
                          (subject,))
            owner.execute("UPDATE hair_counts SET hair_count = hair_count - 1 WHERE subject_id = %s AND visit = 'BASELINE'",
                          (subject,))
        assert server.data_version() == before + 2
        trail = server.query("SELECT action, user_name FROM audit_trail WHERE action = 'DIRECT_UPDATE'")
        assert len(trail) >= 2 and set(trail.user_name) == {f"{NAME}_owner"}


def test_verify_reports_a_change_made_outside_the_system(twins):
    """The owner's direct UPDATE of a study row (psql, no system write path): the trail has its row,
    and `trial audit --verify` names it as made outside the system; the chain itself still holds."""
    _, cluster, roles, owner_url = twins
    stat = _url(twins, "stat")
    before = CliRunner().invoke(main, ["audit", "--verify", "--db", stat, "--format", "json"])
    assert before.exit_code in (0, 1), before.output
    already = len([p for p in json.loads(before.output)["problems"] if "outside the system" in p])
    with connect_owner((cluster, NAME, owner_url)) as owner:
        subject = owner.execute("SELECT subject_id FROM subjects ORDER BY subject_id LIMIT 1").fetchone()[0]
        owner.execute("UPDATE subjects SET age = age + 1 WHERE subject_id = %s", (subject,))
    done = CliRunner().invoke(main, ["audit", "--verify", "--db", stat])
    assert done.exit_code == 1, done.output
    assert f"subjects {subject}: age changed outside the system, by {NAME}_owner" in done.output
    report = json.loads(CliRunner().invoke(main, ["audit", "--verify", "--db", stat, "--format", "json"]).output)
    assert len([p for p in report["problems"] if "outside the system" in p]) == already + 1
    assert not [p for p in report["problems"] if "chain" in p or "hash" in p]


def test_verify_on_postgresql_needs_full_access(twins):
    done = CliRunner().invoke(main, ["audit", "--verify", "--db", _url(twins, "ada")])
    assert done.exit_code == 2 and "full access only" in done.output, done.output
