"""Every CLI command acts as the logged-in account and obeys its roles: what a role may do works,
what it may not is refused with a sentence (exit 2), and a site user receives no other site's rows.
Each person logs in (`trial login`) from a TRIAL_HOME of their own, as on their own computer."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import run_as, scenario_store

from trial.cli import main
from trial.governance.users import add_user
from trial.store import Store

PASSWORD = "correct horse battery"


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cli-access")
    with scenario_store(folder, "scale", seed=9, subjects=300) as store:
        add_user(store, "ada", PASSWORD, ["ADMIN"], by="setup")
        add_user(store, "stat", PASSWORD, ["STATISTICIAN"], by="ada")
        add_user(store, "mona", PASSWORD, ["MONITOR"], by="ada")
        add_user(store, "sam", PASSWORD, ["SITE_STAFF"], site_id="S01", by="ada")
        add_user(store, "eve", PASSWORD, ["EVALUATOR"], site_id="S02", by="ada")
        add_user(store, "tina", PASSWORD, ["SITE_STAFF"], site_id="S02", by="ada")
    return folder / "study.duckdb"


def run(db, user: str, command: str, *args: str, stdin: str | None = None):
    """``trial COMMAND --db DB ARGS… --user USER``, logged in as USER (a group such as ``users`` takes --db first)."""
    return run_as(db, user, db.parent / "homes", [command, "--db", db, *args, "--user", user], input=stdin, password=PASSWORD)


def _exports(db) -> list[tuple[str, str]]:
    with Store.open(db) as store:
        return [tuple(r) for r in store.query("SELECT user_name, new_value FROM audit_trail WHERE action = 'EXPORT'").itertuples(index=False)]


@pytest.mark.parametrize(
    ("user", "args", "refusal"),
    [
        ("mona", ("load", "x.csv"), "mona (MONITOR) may not upload files"),
        ("ada", ("load", "x.csv"), "ada (ADMIN) may not upload files"),
        ("mona", ("tables", "--out", "pack"), "mona (MONITOR) may not build the end-of-study pack"),
        ("sam", ("tables", "--out", "pack"), "sam (SITE_STAFF) may not build the end-of-study pack"),
        ("sam", ("audit",), "sam (SITE_STAFF) may not read and export the whole audit trail"),
        ("mona", ("audit", "--format", "csv"), "mona (MONITOR) may not read and export the whole audit trail"),
        ("eve", ("uploads", "raw", "1"), "eve (EVALUATOR) may not read and export the whole audit trail"),
        ("sam", ("lock", "--reason", "done", "--password-stdin"), "sam (SITE_STAFF) may not lock or unlock the database"),
        ("mona", ("users", "add", "x", "--role", "MONITOR", "--password-stdin"), "mona (MONITOR) may not manage accounts"),
    ],
)
def test_a_role_is_refused_what_it_may_not_do(db, user, args, refusal):
    result = run(db, user, *args, stdin=PASSWORD + "\n")
    assert result.exit_code == 2, result.output
    assert refusal in result.output


def test_a_name_without_an_account_cannot_log_in_or_act(db, tmp_path):
    refused = CliRunner().invoke(main, ["login", "--db", str(db), "--user", "zed", "--password-stdin"], input=PASSWORD + "\n")
    assert refused.exit_code == 2 and "The name or the password is wrong." in refused.output
    acting = CliRunner().invoke(main, ["uploads", "--db", str(db), "--user", "zed"])
    assert acting.exit_code == 2 and "zed is not logged in to this study" in acting.output


def test_a_site_user_never_receives_another_sites_upload_or_its_findings(db, tmp_path):
    with Store.open(db) as store:
        theirs = store.query("SELECT subject_id FROM randomization WHERE site_id = 'S02' LIMIT 1").subject_id.item()
    bad = tmp_path / "pull-s02.csv"
    bad.write_text(f"site_id,subject_id,visit,assessment_date,region,hairs_grasped,hairs_extracted\nS02,{theirs},WEEK_99,2024-04-03,VERTEX,60,2\n")
    assert run(db, "tina", "load", str(bad)).exit_code == 1  # rejected: WEEK_99 is no visit
    listed = {who: run(db, who, "uploads", "--format", "csv").output for who in ("tina", "sam", "mona")}
    assert "pull-s02.csv" in listed["tina"] and "pull-s02.csv" in listed["mona"]
    assert "pull-s02.csv" not in listed["sam"] and "uploads.csv" not in listed["sam"]
    upload_id = next(line.split(",")[0] for line in listed["tina"].splitlines() if "pull-s02.csv" in line)
    assert "WEEK_99" in run(db, "tina", "uploads", "show", upload_id).output
    hidden = run(db, "sam", "uploads", "show", upload_id)
    assert hidden.exit_code == 2 and f"there is no upload {upload_id}" in hidden.output and theirs not in hidden.output


def test_site_staff_load_their_own_site_and_are_refused_another_sites_rows(db, tmp_path):
    with Store.open(db) as store:
        theirs = store.query("SELECT subject_id FROM randomization WHERE site_id = 'S02' LIMIT 1").subject_id.item()
    header = "site_id,subject_id,visit,assessment_date,region,hairs_grasped,hairs_extracted"
    other_site = tmp_path / "pull-s02.csv"
    other_site.write_text(f"{header}\nS02,{theirs},WEEK_12,2024-04-03,VERTEX,60,2\n")
    refused = run(db, "sam", "load", str(other_site))
    assert refused.exit_code == 1
    assert "line 2" in refused.output and "S02 is not your site: sam uploads rows of S01 only" in refused.output
    with Store.open(db) as store:  # a row S01 already holds: sent again, it loads (unchanged)
        row = store.query("SELECT site_id, subject_id, visit, strftime(assessment_date, '%Y-%m-%d') AS d, region, hairs_grasped, "
                          "hairs_extracted FROM pull_tests WHERE site_id = 'S01' LIMIT 1").iloc[0]
    own_site = tmp_path / "pull-s01.csv"
    own_site.write_text(f"{header}\n{','.join(map(str, row.tolist()))}\n")
    assert run(db, "sam", "load", str(own_site), "--dry-run").exit_code == 0


def test_the_pack_and_the_audit_trail_are_exported_by_their_roles_and_each_export_is_audited(db, tmp_path):
    assert run(db, "stat", "tables", "--out", str(tmp_path / "pack")).exit_code == 0
    trail = run(db, "ada", "audit", "--format", "csv")
    assert trail.exit_code == 0 and trail.output.startswith("audit_id,")
    exports = _exports(db)
    assert ("stat", "end-of-study pack") in exports and ("ada", "audit trail") in exports


def test_lock_needs_the_signers_password_refuses_uploads_and_unlock_is_audited(db, tmp_path):
    wrong = run(db, "stat", "lock", "--reason", "final review", "--password-stdin", stdin="not my password\n")
    assert wrong.exit_code == 2 and "wrong" in wrong.output
    locked = run(db, "stat", "lock", "--reason", "final review", "--password-stdin", stdin=PASSWORD + "\n")
    assert locked.exit_code == 0 and "locked" in locked.output
    data = tmp_path / "pull.csv"
    data.write_text("site_id,subject_id,visit,assessment_date,region,hairs_grasped,hairs_extracted\n")
    refused = run(db, "sam", "load", str(data))
    assert refused.exit_code == 2 and "locked" in refused.output
    unlocked = run(db, "ada", "unlock", "--reason", "late query", "--password-stdin", stdin=PASSWORD + "\n")
    assert unlocked.exit_code == 0
    with Store.open(db) as store:
        actions = store.query("SELECT user_name, action FROM audit_trail WHERE action IN ('LOCK', 'UNLOCK', 'E_SIGNATURE') "
                              "ORDER BY audit_id").itertuples(index=False)
        assert [tuple(a) for a in actions] == [("stat", "E_SIGNATURE"), ("stat", "LOCK"), ("ada", "E_SIGNATURE"), ("ada", "UNLOCK")]
