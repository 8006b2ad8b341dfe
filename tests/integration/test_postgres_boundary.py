"""The PostgreSQL study defends itself: connected directly (as psql would), a site's role reads its
own site's rows only, a blinded role cannot read the arm, nobody changes the audit trail, and a
change made outside the system is recorded as such, in a chain the system's own verifier checks."""

from __future__ import annotations

import itertools

import psycopg
import pytest
from psycopg import errors

from postgres import BOUNDARY, PASSWORD, connect_as, connect_owner, team_study
from trial.errors import DatabaseExists, TrialError
from trial.store.audit import problems_in_chain
from trial.store.postgres import chain_head, chain_rows, create_study
from trial.store.postgres_accounts import set_account_role
from trial.study import builtin_study_text

NASTY = 'quote " backslash \\ newline \n tab \t control \x01 accent é emoji 🧪'
_numbers = itertools.count(1)


@pytest.fixture(scope="module")
def study(pg_cluster):
    """The demo study on PostgreSQL with rows at two sites and five accounts (their blinding as ACCOUNTS says)."""
    name = f"boundary{next(_numbers)}"
    url = team_study(pg_cluster, name)
    return pg_cluster, name, url


def test_a_site_role_reads_its_own_site_only(study):
    with connect_as(study, "sam") as sam, connect_owner(study) as owner:
        for table in ("subjects", "randomization", "hair_counts", "adverse_events", "study_sites"):
            seen = sam.execute(f"SELECT site_id, count(*) FROM {table} GROUP BY site_id").fetchall()
            assert seen == owner.execute(f"SELECT site_id, count(*) FROM {table} WHERE site_id = 'S01' GROUP BY site_id").fetchall()
            assert seen, table
        # no way round the policy: another site asked by name gives nothing
        assert sam.execute("SELECT count(*) FROM subjects WHERE site_id = 'S02'").fetchone() == (0,)
        assert sam.execute("SELECT count(*) FROM hair_counts WHERE subject_id = 'S02-001'").fetchone() == (0,)
    with connect_as(study, "mona") as mona:
        assert dict(mona.execute("SELECT site_id, count(*) FROM subjects GROUP BY site_id").fetchall()) == {"S01": 4, "S02": 3}


@pytest.mark.parametrize("query", ["SELECT arm FROM randomization", "SELECT * FROM randomization",
                                   "SELECT count(*) FROM randomization WHERE arm = 'MINOX'",
                                   "SELECT * FROM procedures", "SELECT count(*) FROM procedures",
                                   "SELECT term FROM adverse_events", "SELECT suspected_cause FROM adverse_events"])
def test_a_blinded_role_cannot_read_what_tells_the_arm(study, query):
    with connect_as(study, "mona") as mona, pytest.raises(errors.InsufficientPrivilege):
        mona.execute(query)


def test_a_blinded_role_reads_the_rest_and_an_unblinded_one_the_arm(study):
    with connect_as(study, "mona") as mona:
        assert mona.execute("SELECT count(subject_id), count(randomization_date) FROM randomization").fetchone() == (7, 7)
        assert mona.execute("SELECT count(pt) FROM adverse_events").fetchone() == (7,)
    with connect_as(study, "stat") as stat:
        assert dict(stat.execute("SELECT arm, count(*) FROM randomization GROUP BY arm").fetchall()) == {"MINOX_MN": 4, "MINOX": 3}
        assert stat.execute("SELECT count(*) FROM procedures").fetchone() == (7,)


@pytest.mark.parametrize("table", ["adverse_events", "procedures", "disposition"])
def test_an_evaluator_reads_assessments_only(study, table):
    with connect_as(study, "eve") as eve:
        assert eve.execute("SELECT count(*) FROM hair_counts").fetchone() == (4,)
        with pytest.raises(errors.InsufficientPrivilege):
            eve.execute(f"SELECT count(site_id) FROM {table}")


@pytest.mark.parametrize("who", ["owner", "sam", "stat"])
@pytest.mark.parametrize("change", ["UPDATE audit_trail SET reason = 'nothing happened'",
                                    "DELETE FROM audit_trail WHERE action = 'INIT'", "TRUNCATE audit_trail"])
def test_nobody_changes_the_audit_trail(study, who, change):
    with (connect_owner(study) if who == "owner" else connect_as(study, who)) as con:
        with pytest.raises(errors.InsufficientPrivilege):
            con.execute(change)
    with connect_owner(study) as owner:
        assert list(problems_in_chain(chain_rows(owner), *chain_head(owner))) == []


def test_nobody_writes_the_trail_in_another_name_or_claims_another_role(study):
    with connect_as(study, "sam") as sam:
        with pytest.raises(errors.InsufficientPrivilege):
            sam.execute("SELECT trial_record('stat', 'LOCK', NULL, NULL, NULL, NULL, NULL, 'as stat', NULL)")
        with pytest.raises(errors.InsufficientPrivilege):
            sam.execute("SET ROLE stat")
        with pytest.raises(errors.InsufficientPrivilege):
            sam.execute("INSERT INTO audit_trail (audit_id, changed_at, user_name, action) VALUES (999, now(), 'stat', 'X')")


def test_a_direct_change_by_the_owner_is_recorded_outside_the_system(study):
    with connect_owner(study) as owner:
        before = owner.execute("SELECT hair_count FROM hair_counts WHERE subject_id = 'S02-002'").fetchone()[0]
        owner.execute("UPDATE hair_counts SET hair_count = hair_count + 40 WHERE subject_id = 'S02-002'")
        owner.execute("DELETE FROM adverse_events WHERE subject_id = 'S02-003'")
        rows = owner.execute("SELECT user_name, action, table_name, record_key, column_name, old_value, new_value "
                             "FROM audit_trail WHERE action LIKE 'DIRECT%' ORDER BY audit_id").fetchall()
        owner_name = owner.execute("SELECT current_user").fetchone()[0]
        assert rows[0] == (owner_name, "DIRECT_UPDATE", "hair_counts", "S02-002 / BASELINE / VERTEX", "hair_count",
                           str(before), str(before + 40))
        assert rows[1][:4] == (owner_name, "DIRECT_DELETE", "adverse_events", "S02-003 / 1")
        assert "pain during session" in rows[1][5]
        assert list(problems_in_chain(chain_rows(owner), *chain_head(owner))) == []
        with pytest.raises(errors.InsufficientPrivilege):
            owner.execute("TRUNCATE hair_counts")


def test_the_systems_own_writes_name_their_upload(study):
    with connect_owner(study) as owner:
        rows = owner.execute("SELECT action, table_name, new_value, upload_id FROM audit_trail "
                             "WHERE action = 'INSERT' AND table_name = 'subjects' ORDER BY audit_id").fetchall()
    assert rows == [("INSERT", "subjects", "4 rows from S01.csv", 14), ("INSERT", "subjects", "3 rows from S02.csv", 13)]


def test_the_chain_postgres_writes_is_the_chain_python_checks(study):
    """One verifier for both engines: rows hashed in PL/pgSQL, checked by trial.store.audit, text
    with every character JSON escapes included; then an owner who turns the trigger off to rewrite a
    row is found."""
    with connect_owner(study) as owner:
        owner.execute("SELECT trial_record('admin', 'NOTE', 'subjects', 'S01-001', NULL, NULL, %s, %s, NULL)", (NASTY, NASTY))
        assert list(problems_in_chain(chain_rows(owner), *chain_head(owner))) == []
        owner.execute("ALTER TABLE audit_trail DISABLE TRIGGER audit_trail_append_only")
        owner.execute("UPDATE audit_trail SET new_value = 'nothing' WHERE action = 'NOTE'")
        owner.execute("ALTER TABLE audit_trail ENABLE TRIGGER audit_trail_append_only")
        found = list(problems_in_chain(chain_rows(owner), *chain_head(owner)))
    assert len(found) == 1 and "its content was changed after it was written" in found[0]


def test_a_study_takes_over_no_role_it_did_not_make(study):
    with connect_owner(study) as owner:
        for taken in ("postgres", owner.execute("SELECT current_user").fetchone()[0]):
            with pytest.raises(TrialError, match="already a PostgreSQL role that is not an account of this study"):
                set_account_role(owner, taken, PASSWORD, site=None, blinded=False, assessments_only=False)


def test_a_disabled_account_cannot_log_in_and_a_password_is_never_stored_as_text(study):
    from trial.store.postgres_accounts import disable_account_role

    cluster, name, _ = study
    with connect_owner(study) as owner:
        set_account_role(owner, "gone", PASSWORD, site="S01", blinded=True, assessments_only=False)
    connect_as(study, "gone").close()
    with cluster.superuser() as root:
        stored = root.execute("SELECT rolpassword FROM pg_authid WHERE rolname = 'gone'").fetchone()[0]
    assert stored.startswith("SCRAM-SHA-256$") and PASSWORD not in stored
    with connect_owner(study) as owner:
        disable_account_role(owner, "gone")
    with pytest.raises(psycopg.OperationalError):
        connect_as(study, "gone")


def test_a_database_that_holds_a_study_is_not_made_again(study):
    with pytest.raises(DatabaseExists):
        create_study(study[2], builtin_study_text("demo"), user="admin", boundary=BOUNDARY)


def test_the_study_is_closed_to_roles_that_are_not_its_accounts(study):
    """Another study's account on the same cluster (or any other role) cannot even connect."""
    cluster, name, _ = study
    other_url, other_password = cluster.new_database(f"{name}_other")
    with cluster.superuser() as root:
        root.execute("CREATE ROLE stranger LOGIN PASSWORD 'stranger pw'")
    for user, password in (("stranger", "stranger pw"), (f"{name}_other_owner", other_password)):
        with pytest.raises(psycopg.OperationalError, match="permission denied"):
            psycopg.connect(cluster.url(user, password, name)).close()
