"""Identity on the command line, against the defects of issue 11: a name typed with --user (or
TRIAL_USER) was believed without a password, so anyone could build the unblinded pack, fetch raw
files, load corrections and read the trail as the statistician or site staff, a locked-out
account carried on, the trail credited whoever was typed, and `trial users` listed every account
to anyone. Emergency unblinding was not signed."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from helpers import TEAM_PASSWORD, cli_login

from trial.cli import main
from trial.errors import TrialError
from trial.governance.unblinding import unblind
from trial.governance.users import Role, SignInRefused, User, sign_in
from trial.store import Store

WRONG = "not the password at all"


@pytest.fixture
def db(team_db_copy):
    return team_db_copy


def _correction(db, folder):
    """A pull-test row of S01 already in the study, with one value changed: loading it is a correction."""
    with Store.open(db) as store:
        row = store.query("SELECT site_id, subject_id, visit, strftime(assessment_date, '%Y-%m-%d') AS d, region, hairs_grasped, "
                          "hairs_extracted FROM pull_tests WHERE site_id = 'S01' ORDER BY subject_id, visit LIMIT 1").iloc[0]
    path = folder / "pull-fix.csv"
    values = [*map(str, row.tolist()[:-1]), str(int(row.hairs_extracted) + 1)]
    path.write_text("site_id,subject_id,visit,assessment_date,region,hairs_grasped,hairs_extracted\n" + ",".join(values) + "\n")
    return path


def _commands(db, folder):
    """What the statistician (pack, raw file, trail) and site staff (correction) do, by account."""
    return {
        "pack": ("stat", ["tables", "--out", str(folder / "pack"), "--db", str(db)]),
        "raw file": ("stat", ["uploads", "raw", "1", "--out", str(folder / "raw.csv"), "--db", str(db)]),
        "correction": ("sam", ["load", str(_correction(db, folder)), "--reason", "CRF says so", "--db", str(db)]),
        "audit trail": ("stat", ["audit", "--format", "csv", "--db", str(db)]),
    }


def _unrecorded(db) -> int:
    """Exports and corrections in the trail (none may come from a refused command)."""
    with Store.open(db) as store:
        return store.scalar("SELECT count(*) FROM audit_trail WHERE action IN ('EXPORT', 'CORRECT')")


def _refused(result, sentence: str) -> None:
    assert result.exit_code == 2, result.output
    assert sentence in result.output and "Traceback" not in result.output, result.output


@pytest.mark.parametrize("what", ["pack", "raw file", "correction", "audit trail"])
def test_a_name_typed_without_logging_in_does_nothing(db, tmp_path, what):
    user, args = _commands(db, tmp_path)[what]
    before = _unrecorded(db)
    _refused(CliRunner().invoke(main, [*args, "--user", user]), f"{user} is not logged in to this study: "
                                                                  f"log in first with `trial login --user {user}`.")
    _refused(CliRunner().invoke(main, args, env={"TRIAL_USER": user}), f"{user} is not logged in to this study")
    assert _unrecorded(db) == before
    assert not (tmp_path / "pack").exists() and not (tmp_path / "raw.csv").exists()


@pytest.mark.parametrize("what", ["pack", "raw file", "correction", "audit trail"])
def test_a_locked_out_accounts_open_session_does_nothing(db, tmp_path, what):
    user, args = _commands(db, tmp_path)[what]
    env = cli_login(db, user, tmp_path / "home")
    with Store.open(db) as store:  # someone tries the password five times
        for _ in range(5):
            with pytest.raises(SignInRefused):
                sign_in(store, user, WRONG)
    before = _unrecorded(db)
    _refused(CliRunner().invoke(main, args, env=env), f"Your session as {user} has ended: the account was locked out")
    assert _unrecorded(db) == before
    assert not (tmp_path / "pack").exists() and not (tmp_path / "raw.csv").exists()


def test_the_trail_credits_the_account_logged_in_and_never_a_name_typed(db, tmp_path):
    commands = _commands(db, tmp_path)
    stat, sam = cli_login(db, "stat", tmp_path / "stat-home"), cli_login(db, "sam", tmp_path / "sam-home")
    assert CliRunner().invoke(main, commands["pack"][1], env=stat).exit_code == 0
    assert CliRunner().invoke(main, commands["raw file"][1], env=stat).exit_code == 0
    fixed = CliRunner().invoke(main, commands["correction"][1], env=sam)
    assert fixed.exit_code == 0 and "1 corrected" in fixed.output, fixed.output
    _refused(CliRunner().invoke(main, [*commands["audit trail"][1], "--user", "ada"], env=stat), "You are logged in as stat, not ada")
    _refused(CliRunner().invoke(main, [*commands["pack"][1], "--user", "stat"], env=sam), "You are logged in as sam, not stat")
    with Store.open(db) as store:
        done = store.query("SELECT user_name, action, new_value FROM audit_trail WHERE action IN ('EXPORT', 'CORRECT') "
                           "ORDER BY audit_id")
    assert done.values.tolist()[:2] == [["stat", "EXPORT", "end-of-study pack"], ["stat", "EXPORT", "raw file of upload 1"]]
    assert done.user_name.tolist()[2:] == ["sam"] * (len(done) - 2) and set(done.action[2:]) == {"CORRECT"}


def test_only_an_administrator_lists_or_changes_accounts(db, tmp_path):
    _refused(CliRunner().invoke(main, ["users", "--db", str(db)]), "Nobody is logged in to this study")
    sam = cli_login(db, "sam", tmp_path / "sam-home")
    for args in (["users"], ["users", "disable", "stat"], ["users", "roles", "sam", "--role", "STATISTICIAN"],
                 ["users", "password", "stat", "--password-stdin"]):
        refused = CliRunner().invoke(main, [*args, "--db", str(db)], input="a brand new password\n", env=sam)
        _refused(refused, "sam (SITE_STAFF) may not manage accounts: that needs the role ADMIN")
        assert "stat" not in refused.output.replace("may not", "")  # no account's name leaks into the refusal
    ada = cli_login(db, "ada", tmp_path / "ada-home")
    listed = CliRunner().invoke(main, ["users", "--db", str(db)], env=ada)
    assert listed.exit_code == 0 and {"ada", "stat", "mona", "sam", "eve"} <= set(listed.output.split())
    with Store.open(db) as store:
        assert store.query("SELECT roles FROM users WHERE user_name = 'sam'").roles.item().tolist() == ["SITE_STAFF"]


def test_an_administrator_changes_roles_and_site_and_it_applies_to_the_open_session(db, tmp_path):
    ada, sam = cli_login(db, "ada", tmp_path / "ada-home"), cli_login(db, "sam", tmp_path / "sam-home")
    _refused(CliRunner().invoke(main, ["users", "roles", "sam", "--role", "EVALUATOR", "--db", str(db)], env=ada),
             "EVALUATOR see one site: give it with --site.")
    moved = CliRunner().invoke(main, ["users", "roles", "sam", "--role", "SITE_STAFF", "--site", "S02", "--db", str(db)], env=ada)
    assert moved.exit_code == 0 and moved.output == "sam now holds SITE_STAFF, S02.\n"
    checked = CliRunner().invoke(main, ["load", str(_correction(db, tmp_path)), "--dry-run", "--db", str(db)], env=sam)
    assert checked.exit_code == 1 and "S01 is not your site: sam uploads rows of S02 only" in checked.output
    promoted = CliRunner().invoke(main, ["users", "roles", "sam", "--role", "statistician", "--db", str(db)], env=ada)
    assert promoted.exit_code == 0 and "STATISTICIAN, all sites" in promoted.output
    assert CliRunner().invoke(main, ["audit", "--verify", "--db", str(db)], env=sam).exit_code == 0  # at the next command
    _refused(CliRunner().invoke(main, ["users", "roles", "ada", "--role", "MONITOR", "--db", str(db)], env=ada),
             "ada is the only active administrator and cannot be without the ADMIN role")
    _refused(CliRunner().invoke(main, ["users", "disable", "ada", "--db", str(db)], env=ada),
             "ada is the only active administrator and cannot be disabled")
    with Store.open(db) as store:
        trail = store.query("SELECT user_name, old_value, new_value FROM audit_trail WHERE action = 'USER_ROLES' ORDER BY audit_id")
    assert trail.values.tolist() == [["ada", "SITE_STAFF S01", "SITE_STAFF S02"], ["ada", "SITE_STAFF S02", "STATISTICIAN all sites"]]


def test_account_names_are_plain_identifiers(db, tmp_path):
    ada = cli_login(db, "ada", tmp_path / "ada-home")
    for name in ("=HYPERLINK(1)", "@SUM(1)", "[x](http://e.example)", "two words", "-rm", ""):
        made = CliRunner().invoke(main, ["users", "add", "--role", "MONITOR", "--password-stdin", "--db", str(db), "--", name],
                                  input=TEAM_PASSWORD + "\n", env=ada)
        _refused(made, "An account name is 1 to 64 letters, digits and . _ - @ + (an e-mail address will do)")
    made = CliRunner().invoke(main, ["users", "add", "m.jones@site-1.example", "--role", "MONITOR", "--password-stdin",
                                     "--db", str(db)], input=TEAM_PASSWORD + "\n", env=ada)
    assert made.exit_code == 0, made.output


def test_emergency_unblinding_is_signed_with_the_password_and_its_meaning_recorded(db):
    with Store.open(db) as store:
        sam = sign_in(store, "sam", TEAM_PASSWORD)
        subject, arm = store.query("SELECT subject_id, arm FROM randomization WHERE site_id = 'S01' ORDER BY 1 LIMIT 1").iloc[0]
        with pytest.raises(TrialError, match=f"^To unblind {subject}, sam signs with their password.$"):
            unblind(store, sam, subject, "severe scalp reaction", password=None)
        with pytest.raises(SignInRefused, match="The name or the password is wrong."):
            unblind(store, sam, subject, "severe scalp reaction", password=WRONG)
        assert store.scalar("SELECT count(*) FROM unblindings") == 0
        label = unblind(store, sam, subject, "severe scalp reaction", password=TEAM_PASSWORD)
        assert label == next(a.label for a in store.study.arms if a.code == arm)
        trail = store.query("SELECT user_name, action, new_value, record_key, reason FROM audit_trail "
                            "WHERE action IN ('E_SIGNATURE', 'E_SIGNATURE_FAILED', 'UNBLIND') ORDER BY audit_id")
        assert trail.astype(object).where(trail.notna(), None).values.tolist() == [
            ["sam", "E_SIGNATURE_FAILED", f"unblind {subject}: severe scalp reaction", None, "wrong password"],
            ["sam", "E_SIGNATURE", f"unblind {subject}: severe scalp reaction", None, None],
            ["sam", "UNBLIND", None, subject, "severe scalp reaction"],
        ]


def test_a_signature_is_asked_only_for_an_unblinding_that_can_happen(db):
    """Another site's subject is refused before the password is checked: no signature is recorded for it."""
    with Store.open(db) as store:
        sam = sign_in(store, "sam", TEAM_PASSWORD)
        other = store.query("SELECT subject_id FROM randomization WHERE site_id = 'S02' LIMIT 1").subject_id.item()
        with pytest.raises(TrialError, match=f"{other} is not a subject of your site"):
            unblind(store, sam, other, "curious", password=TEAM_PASSWORD)
        assert store.scalar("SELECT count(*) FROM audit_trail WHERE action LIKE 'E_SIGNATURE%'") == 0


def test_in_a_study_without_accounts_nobody_signs_an_unblinding(seeded):
    sam = User("sam", frozenset({Role.SITE_STAFF}), "S01")
    arm = seeded.scalar("SELECT arm FROM randomization WHERE subject_id = 'S01-001'")
    assert unblind(seeded, sam, "S01-001", "severe scalp reaction", password=None) == next(
        a.label for a in seeded.study.arms if a.code == arm)
    assert seeded.scalar("SELECT count(*) FROM audit_trail WHERE action LIKE 'E_SIGNATURE%'") == 0
    assert seeded.scalar("SELECT count(*) FROM unblindings") == 1
