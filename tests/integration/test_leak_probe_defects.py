"""The leaks the leak probe found (issue 11, acceptance 2), one test each, on the probe's study.
Each failed on the code before its fix; the probe (test_leak_probe_*.py) finds them too."""

from __future__ import annotations

import json
import shutil

import pytest
from helpers import csv_bytes, run_as
from leak_probe import HEADERS, PLANTED

from trial.governance.access import UploadScope
from trial.governance.data_queries import QueryNotFound, answer_query, close_query, query_record, reopen_query
from trial.governance.users import account
from trial.ingest.upload import upload_bytes
from trial.store import Store


@pytest.fixture
def probe(probe_study, tmp_path):
    """A copy of the open-label probe study (canaries planted; see leak_probe.py), and its facts."""
    built = probe_study("open_label")
    db = tmp_path / "study.duckdb"
    shutil.copy(built.path, db)
    return db, built


def test_a_blinded_administrator_reads_the_audit_trail_without_what_they_are_blinded_to(probe, tmp_path):
    db, _ = probe
    homes = tmp_path / "homes"
    trail = run_as(db, "ada", homes, ["audit", "--format", "csv", "--db", db])
    assert trail.exit_code == 0, trail.output
    # the planted verbatim terms and suspected causes were corrections: old and new values in the trail
    assert PLANTED["S01"]["term"] not in trail.output and "MICRONEEDLING" not in trail.output
    assert ",procedures," not in trail.output and ",randomization," not in trail.output
    assert ",hair_counts," in trail.output  # what the administrator may read is there
    everything = run_as(db, "stat", homes, ["audit", "--format", "csv", "--db", db]).output
    assert PLANTED["S01"]["term"] in everything and "MICRONEEDLING" in everything and ",procedures," in everything


def test_a_blinded_administrator_may_not_fetch_a_raw_file(probe, tmp_path):
    db, _ = probe
    with Store.open(db, read_only=True) as store:
        randomization = int(store.scalar("SELECT upload_id FROM uploads WHERE file_name = 'randomization.csv'"))
    homes = tmp_path / "homes"
    refused = run_as(db, "ada", homes, ["uploads", "raw", randomization, "--db", db])
    assert refused.exit_code == 2 and "Error: ada may not read raw files: the account is blinded" in refused.output
    assert "MINOX" not in refused.output
    assert "MINOX_MN" in run_as(db, "stat", homes, ["uploads", "raw", randomization, "--db", db]).output


def test_a_query_outside_the_users_view_is_no_query_to_them_at_any_step(probe):
    db, built = probe
    with Store.open(db) as store:
        arm = int(store.scalar("SELECT query_id FROM data_queries WHERE column_name = 'arm' ORDER BY 1 LIMIT 1"))
        other_site = int(store.scalar("SELECT query_id FROM data_queries WHERE site_id = 'S01' AND table_name = 'hair_counts' "
                                      "ORDER BY 1 LIMIT 1"))
        before = store.query("SELECT query_id, status FROM data_queries ORDER BY 1")
        mona, eve = account(store, "mona"), account(store, "eve")
        for step in (lambda: close_query(store, mona, arm, "closed blind"), lambda: reopen_query(store, mona, arm, "again"),
                     lambda: answer_query(store, eve, other_site, "an answer from the other site")):
            with pytest.raises(QueryNotFound, match=r"^There is no query \d+; `trial queries` lists them\.$"):
                step()
        assert store.query("SELECT query_id, status FROM data_queries ORDER BY 1").equals(before)  # nothing was changed
        assert query_record(store, arm)["status"] == "OPEN"


def test_a_site_users_copy_of_another_sites_file_is_checked_as_any_file_not_called_already_loaded(probe):
    db, built = probe
    with Store.open(db) as store:
        sam = account(store, "sam")
        copy = upload_bytes(store, built.site_files["S02"], "copy.csv", user="sam", scope=UploadScope.of(sam))
        # "already loaded" would confirm every value of the file: a way to test guesses of S02's values
        assert copy.status == "rejected" and copy.previous_upload is None
        assert [f.rule for f in copy.findings] == ["upload_scope"]
        own = csv_bytes(HEADERS["subjects"], ["S01,S01-960,2023-03-01,2023-03-02,33,M,AGA,NORWOOD,III,IV,Y"])
        assert upload_bytes(store, own, "mine.csv", user="sam", scope=UploadScope.of(sam)).status == "loaded"
        again = upload_bytes(store, own, "mine-again.csv", user="sam", scope=UploadScope.of(sam))
        assert again.status == "already loaded"  # one's own file is still recognised


def test_a_blinded_reader_is_not_told_how_many_findings_a_session_or_randomization_file_had(probe, tmp_path):
    """The findings of such files are withheld from the blinded; their number told as much: one
    warning on a one-row session file is a session of a control-arm subject (session_arm)."""
    db, _ = probe
    homes = tmp_path / "homes"
    listed = {u["file_name"]: u for u in json.loads(run_as(db, "mona", homes, ["uploads", "--format", "json", "--db", db]).output)}
    session, flip = listed["session-control-S01.csv"], listed["arm-flip-S01.csv"]
    assert (session["errors"], session["warnings"], flip["errors"]) == (None, None, None)
    assert session["rows_in_file"] == 1 and listed["both-sites-late.csv"]["warnings"] == 2  # other files' counts stay
    full = {u["file_name"]: u for u in json.loads(run_as(db, "stat", homes, ["uploads", "--format", "json", "--db", db]).output)}
    assert (full["session-control-S01.csv"]["warnings"], full["arm-flip-S01.csv"]["errors"]) == (1, 1)
