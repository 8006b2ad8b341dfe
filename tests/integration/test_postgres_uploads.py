"""Uploads on PostgreSQL, as each site's own role: the same study as the embedded store loading the
same files; rejected files change no study table; corrections keep the old value with their reason;
the database refuses what the account may not write, whoever sends it."""

from __future__ import annotations

import csv
import datetime as dt
import io

import psycopg
import pyarrow as pa
import pytest
from click.testing import CliRunner
from helpers import TEAM_PASSWORD
from postgres import connect_owner, server_twin

from schemas import DOMAINS, domain_named
from trial.analysis.ard import compute_ard
from trial.cli import main
from trial.governance.access import UploadScope
from trial.governance.users import account, add_user
from trial.ingest.upload import upload_paths
from trial.store import Store, copy_binary
from trial.store.audit import problems_in_chain
from trial.store.postgres import chain_head, chain_rows
from trial.store.server import ServerStore

NAME = "uploads"
PEOPLE = {"sam": (["SITE_STAFF"], "S01"), "sue": (["SITE_STAFF"], "S02"), "stat": (["STATISTICIAN"], None),
          "mona": (["MONITOR"], None)}


def _split_by_site(path, out) -> dict[str, object]:
    """``path`` (a CSV with site_id) as one file per site under ``out``: site → file."""
    rows = list(csv.reader(io.StringIO(path.read_text())))
    written = {}
    for site in sorted({r[0] for r in rows[1:]}):
        target = out / site / path.name
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", newline="") as fh:
            csv.writer(fh, lineterminator="\n").writerows([rows[0], *[r for r in rows[1:] if r[0] == site]])
        written[site] = target
    return written


@pytest.fixture(scope="module")
def loaded(pg_cluster, tmp_path_factory):
    """The scale scenario's files, each site's sent by its own site staff to an embedded study and to
    its PostgreSQL twin (made with the same accounts before any row): (embedded store path, cluster,
    account → role, owner's URL, the per-site files, the CLI's results)."""
    from synthetic_data.scenarios import write_scenario

    folder = tmp_path_factory.mktemp("pg-uploads")
    files = [f for f in write_scenario("scale", folder / "files", seed=5, subjects=300) if f.suffix == ".csv"]
    with Store.create(folder / "study.duckdb", (folder / "files" / "study.toml").read_text(), user="setup") as store:
        for name, (roles, site) in PEOPLE.items():
            add_user(store, name, TEAM_PASSWORD, roles, site_id=site, by="setup")
        owner, roles = server_twin(pg_cluster, NAME, store, TEAM_PASSWORD)
        per_site = {}
        for file in files:
            for site, part in _split_by_site(file, folder / "sites").items():
                per_site.setdefault(site, []).append(part)
        outputs = {}
        for site, person in (("S01", "sam"), ("S02", "sue")):
            who = account(store, person)
            results = upload_paths(store, per_site[site], user=person, scope=UploadScope.of(who))
            assert all(r.status == "loaded" for r in results), [r.as_dict() for r in results if r.status != "loaded"]
            done = CliRunner().invoke(main, ["load", *map(str, per_site[site]), "--db",
                                             pg_cluster.url(roles[person], TEAM_PASSWORD, NAME)])
            outputs[person] = done
    return folder / "study.duckdb", pg_cluster, roles, owner, per_site, outputs


def _url(loaded, person: str) -> str:
    return loaded[1].url(loaded[2][person], TEAM_PASSWORD, NAME)


def test_each_site_loads_every_file_and_says_so(loaded):
    for person, done in loaded[5].items():
        assert done.exit_code == 0, done.output
        assert done.output.count("loaded as upload") == len(DOMAINS), done.output


def test_the_study_on_postgresql_holds_exactly_the_rows_of_the_embedded_study(loaded):
    path, _, roles, owner_url, *_ = loaded
    with Store.open(path, read_only=True) as embedded, psycopg.connect(owner_url) as owner:
        for table, domain in DOMAINS.items():
            columns = ", ".join(domain.column_names)
            at_home = sorted(embedded.cursor().execute(f"SELECT {columns} FROM {table}").fetchall())
            on_server = sorted(owner.execute(f"SELECT {columns} FROM {table}").fetchall())
            assert len(on_server) > 0 and on_server == at_home, table
        uploads = "SELECT upload_id, file_name, sha256, domain, status, rows_in_file, rows_inserted, errors, warnings FROM uploads"
        mine = sorted(owner.execute(uploads).fetchall())
        assert mine == sorted(embedded.cursor().execute(uploads).fetchall())
        findings = "SELECT upload_id, line, column_name, rule, severity, message, site_id, subject_id FROM findings"
        assert sorted(map(str, owner.execute(findings).fetchall())) == sorted(map(str, embedded.cursor().execute(findings).fetchall()))
        senders = dict(owner.execute("SELECT domain || '@' || file_name, user_name FROM uploads WHERE upload_id = 1").fetchall())
        assert set(senders.values()) == {roles["sam"]}
        assert not list(problems_in_chain(chain_rows(owner), *chain_head(owner)))


def test_the_statisticians_numbers_are_the_embedded_ones(loaded):
    with ServerStore.open(_url(loaded, "stat")) as server, Store.open(loaded[0], read_only=True) as embedded:
        assert compute_ard(server).to_csv(index=False) == compute_ard(embedded).to_csv(index=False)


def test_every_uploads_rows_are_in_the_trail_under_the_senders_role(loaded):
    _, _, roles, owner_url, *_ = loaded
    with psycopg.connect(owner_url) as owner:
        rows = owner.execute("SELECT u.upload_id, u.user_name, u.rows_inserted, a.user_name, a.new_value FROM uploads AS u "
                             "JOIN audit_trail AS a ON a.upload_id = u.upload_id AND a.action = 'INSERT' ORDER BY 1").fetchall()
    assert len(rows) == 2 * len(DOMAINS)
    for _, sender, inserted, writer, text in rows:
        assert writer == sender and text.startswith(f"{inserted} rows from ")


def test_a_rejected_file_changes_no_study_table(loaded, tmp_path):
    _, _, _, owner_url, per_site, _ = loaded
    hair = next(p for p in per_site["S01"] if p.name == "hair_counts.csv")
    lines = hair.read_text().splitlines()
    bad = tmp_path / "hair_counts.csv"
    bad.write_text("\n".join([lines[0], lines[1].replace("BASELINE", "WEEK_99"), *lines[2:]]) + "\n")
    with psycopg.connect(owner_url) as owner:
        before = {t: owner.execute(f"SELECT count(*), sum(hashtext(t::text)) FROM {t} AS t").fetchone() for t in DOMAINS}
    done = CliRunner().invoke(main, ["load", str(bad), "--db", _url(loaded, "sam")])
    assert done.exit_code == 1 and "REJECTED" in done.output and "WEEK_99" in done.output, done.output
    with psycopg.connect(owner_url) as owner:
        assert {t: owner.execute(f"SELECT count(*), sum(hashtext(t::text)) FROM {t} AS t").fetchone() for t in DOMAINS} == before
        status, errors = owner.execute("SELECT status, errors FROM uploads ORDER BY upload_id DESC LIMIT 1").fetchone()
    assert (status, errors) == ("rejected", 1)


def test_a_correction_keeps_the_old_value_with_its_reason(loaded, tmp_path):
    _, _, roles, owner_url, per_site, _ = loaded
    hair = next(p for p in per_site["S02"] if p.name == "hair_counts.csv")
    header, first, *rest = hair.read_text().splitlines()
    cells = first.split(",")
    count_at = header.split(",").index("hair_count")
    old = cells[count_at]
    cells[count_at] = str(int(old) + 7)
    fixed = tmp_path / "hair_counts.csv"
    fixed.write_text("\n".join([header, ",".join(cells), *rest]) + "\n")
    sue = _url(loaded, "sue")
    without = CliRunner().invoke(main, ["load", str(fixed), "--db", sue])
    assert without.exit_code == 1 and "reason" in without.output
    done = CliRunner().invoke(main, ["load", str(fixed), "--db", sue, "--reason", "transcription error"])
    assert done.exit_code == 0 and "1 corrected" in done.output, done.output
    with psycopg.connect(owner_url) as owner:
        row = owner.execute("SELECT user_name, action, column_name, old_value, new_value, reason FROM audit_trail "
                            "WHERE action = 'CORRECT' ORDER BY audit_id DESC LIMIT 1").fetchone()
        now = owner.execute("SELECT hair_count FROM hair_counts WHERE subject_id = %s AND visit = %s AND region = %s",
                            (cells[1], cells[2], cells[4])).fetchone()[0]
    assert row == (roles["sue"], "CORRECT", "hair_count", old, str(int(old) + 7), "transcription error")
    assert now == int(old) + 7


def test_a_site_cannot_take_a_key_another_site_holds(loaded, tmp_path):
    """S01's subject sent again by S02 as its own, and S01's randomization number for an S02 subject:
    S02's role reads neither, yet each line is refused with the embedded store's sentence (the database
    answers which lines collide, never with what), the file is rejected whole and nothing changes."""
    _, _, _, owner_url, per_site, _ = loaded
    subjects = next(p for p in per_site["S01"] if p.name == "subjects.csv")
    header, first, *_ = subjects.read_text().splitlines()
    theirs = tmp_path / "subjects.csv"
    theirs.write_text(f"{header}\n{first.replace('S01,', 'S02,', 1)}\n")
    with psycopg.connect(owner_url) as owner:
        before = owner.execute("SELECT count(*) FROM subjects").fetchone()[0]
        s01_number, s01_subject = owner.execute("SELECT randomization_number, subject_id FROM randomization "
                                                "WHERE site_id = 'S01' ORDER BY 2 LIMIT 1").fetchone()
        s02 = owner.execute("SELECT * FROM randomization WHERE site_id = 'S02' ORDER BY subject_id LIMIT 1").fetchone()
        columns = [d.name for d in owner.execute("SELECT * FROM randomization LIMIT 0").description]
    done = CliRunner().invoke(main, ["load", str(theirs), "--db", _url(loaded, "sue"), "--format", "json"])
    [result] = _json(done.output)
    assert done.exit_code == 1 and result["status"] == "rejected", done.output
    assert [(f["line"], f["rule"]) for f in result["findings"]] == [(2, "key_outside_view")], done.output
    assert "(another site's)" in result["findings"][0]["message"]
    with psycopg.connect(owner_url) as owner:
        assert owner.execute("SELECT count(*) FROM subjects").fetchone()[0] == before

    row = dict(zip(columns, s02, strict=True))
    row["randomization_number"] = s01_number  # S01's number, claimed for an S02 subject (a correction needs a reason)
    fields = list(domain_named("randomization").column_names)
    randomization = tmp_path / "randomization.csv"
    randomization.write_text(",".join(fields) + "\n" + ",".join("" if row[c] is None else str(row[c]) for c in fields) + "\n")
    done = CliRunner().invoke(main, ["load", str(randomization), "--db", _url(loaded, "sue"), "--dry-run", "--format", "json"])
    [result] = _json(done.output)
    rules = [f["rule"] for f in result["findings"] if f["severity"] == "error"]
    assert "unique_outside_view" in rules and s01_subject not in done.output, done.output


def test_a_role_asks_the_database_only_of_the_tables_it_uploads_to(loaded):
    """trial_held_elsewhere answers a site's own upload tables only, and only by lines."""
    with psycopg.connect(_url(loaded, "mona"), autocommit=True) as mona, pytest.raises(psycopg.errors.InsufficientPrivilege):
        mona.execute("SELECT * FROM trial_held_elsewhere('subjects', '[]'::jsonb)")
    with psycopg.connect(_url(loaded, "sue"), autocommit=True) as sue:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sue.execute("SELECT * FROM trial_held_elsewhere('users', '[]'::jsonb)")
        first = sue.execute("SELECT min(subject_id) FROM subjects").fetchone()[0]
        s01 = per_site_first_subject(loaded)
        asked = '[{"_line": 2, "subject_id": "%s"}, {"_line": 3, "subject_id": "%s"}, {"_line": 4, "subject_id": "S09-999"}]' % (s01, first)
        assert sue.execute("SELECT line, column_name FROM trial_held_elsewhere('subjects', %s::jsonb) ORDER BY 1",
                           (asked,)).fetchall() == [(2, None), (3, None)]


def per_site_first_subject(loaded) -> str:
    subjects = next(p for p in loaded[4]["S01"] if p.name == "subjects.csv")
    return subjects.read_text().splitlines()[1].split(",")[1]


def _json(text: str) -> list[dict]:
    import json

    return json.loads(text[text.find("["):])


def test_the_database_refuses_a_sites_rows_from_another_sites_role(loaded):
    """Whatever client sends them: sam's role writes no S02 row, and changes none."""
    _, cluster, roles, owner_url, *_ = loaded
    with psycopg.connect(_url(loaded, "sam"), autocommit=True) as sam:
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            sam.execute("INSERT INTO disposition VALUES ('S02', 'S02-999', 'COMPLETED', '2025-03-01', NULL, 1, 1)")
        assert sam.execute("UPDATE hair_counts SET hair_count = 0 WHERE site_id = 'S02'").rowcount == 0
    with connect_owner((cluster, NAME, owner_url)) as owner:
        assert owner.execute("SELECT count(*) FROM hair_counts WHERE site_id = 'S02' AND hair_count = 0").fetchone()[0] == 0


def test_a_monitor_uploads_nothing(loaded, tmp_path):
    sam_file = next(p for p in loaded[4]["S01"] if p.name == "disposition.csv")
    done = CliRunner().invoke(main, ["load", str(sam_file), "--db", _url(loaded, "mona")])
    assert done.exit_code == 2 and "may not upload files" in done.output.replace("\n", " "), done.output


def test_a_query_is_raised_answered_and_closed_on_postgresql_each_step_by_its_own_role(loaded):
    """The monitor opens a query on an S01 value, S02's site staff can neither see nor answer it, S01's
    answers it, the monitor closes it: each row under its writer's role, each audited; site staff
    cannot raise one, by the command line or by writing the table themselves."""
    _, _, roles, owner_url, *_ = loaded
    with psycopg.connect(owner_url) as owner:
        subject = owner.execute("SELECT subject_id FROM subjects WHERE site_id = 'S01' ORDER BY subject_id LIMIT 1").fetchone()[0]
        since = owner.execute("SELECT max(audit_id) FROM audit_trail").fetchone()[0]

    def trial(person: str, *args: str):
        return CliRunner().invoke(main, ["queries", *args, "--db", _url(loaded, person)])

    opened = trial("mona", "open", subject, "--table", "subjects", "--key", subject, "--column", "age",
                   "--text", "Please confirm the age.")
    assert opened.exit_code == 0 and "Opened query" in opened.output, opened.output
    query_id = opened.output.split("Opened query ")[1].split()[0]
    other_site = trial("sue", "answer", query_id, "--text", "checked")
    assert other_site.exit_code == 2 and "Traceback" not in other_site.output and subject not in other_site.output, other_site.output
    refused = trial("sam", "open", subject, "--table", "subjects", "--key", subject, "--column", "sex", "--text", "x")
    assert refused.exit_code == 2 and "Traceback" not in refused.output, refused.output
    answered = trial("sam", "answer", query_id, "--text", "The age is right: checked against the source.")
    assert answered.exit_code == 0, answered.output
    closed = trial("mona", "close", query_id, "--text", "Thank you.")
    assert closed.exit_code == 0, closed.output
    with psycopg.connect(_url(loaded, "sam")) as sam, pytest.raises(psycopg.errors.InsufficientPrivilege):
        sam.execute("INSERT INTO data_queries (site_id, subject_id, table_name, record_key, column_name, status, opened_by, "
                    "opened_at) VALUES ('S01', %s, 'subjects', %s, 'age', 'OPEN', %s, now())", (subject, subject, roles["sam"]))
    with psycopg.connect(owner_url) as owner:
        assert owner.execute("SELECT status, opened_by FROM data_queries WHERE query_id = %s", (int(query_id),)).fetchone() == (
            "CLOSED", roles["mona"])
        steps = owner.execute("SELECT action, user_name FROM query_messages WHERE query_id = %s ORDER BY seq",
                              (int(query_id),)).fetchall()
        assert steps == [("OPEN", roles["mona"]), ("ANSWER", roles["sam"]), ("CLOSE", roles["mona"])]
        trail = owner.execute("SELECT user_name, action, table_name, column_name, new_value FROM audit_trail WHERE audit_id > %s "
                              "ORDER BY audit_id", (since,)).fetchall()
    assert (roles["mona"], "INSERT", "data_queries", None, "1 rows") in trail
    assert (roles["sam"], "CORRECT", "data_queries", "status", "ANSWERED") in trail
    assert (roles["mona"], "CORRECT", "data_queries", "status", "CLOSED") in trail
    assert not any(who == roles["sue"] for who, *_ in trail)


def test_every_column_an_upload_stages_has_a_binary_copy_encoding(loaded):
    """An upload's rows reach the database by binary COPY (trial/store/copy_binary.py), which encodes
    the types those tables use: a column of another type, added later, fails here first."""
    with psycopg.connect(loaded[3]) as con:
        kinds = con.execute("SELECT DISTINCT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attnum > 0 "
                            "AND NOT attisdropped AND attrelid = ANY (%s::regclass[])", (["findings", *DOMAINS],)).fetchall()
    assert {k for (k,) in kinds} <= copy_binary.ENCODED


def test_binary_copy_keeps_every_awkward_value(loaded):
    """Empty text is not missing; quotes, commas, line breaks and non-ASCII text, dates before
    PostgreSQL's epoch (2000) and at the ends of the calendar, the largest integers and infinities
    arrive as they were, each missing cell as NULL."""
    batch = pa.record_batch({
        "t": ["plain", None, "", 'a "quoted", comma\nand a line', "é" * 300 + " 漢字"],
        "n": [1, None, -5, 2**63 - 1, -(2**63)],
        "x": [1.5, None, -1e-300, float("inf"), float("-inf")],
        "d": pa.array([dt.date(2024, 2, 29), dt.date(1999, 12, 31), None, dt.date(1, 1, 1), dt.date(9999, 12, 31)], pa.date32()),
    })
    with psycopg.connect(loaded[3]) as con:
        con.execute("CREATE TEMP TABLE awkward (t text, n bigint, x double precision, d date)")
        with con.cursor().copy("COPY awkward FROM STDIN (FORMAT binary)") as copy:
            copy.write(copy_binary.HEADER)
            copy.write(copy_binary.rows(batch.slice(0, 2), ["text", "bigint", "double precision", "date"]))
            copy.write(copy_binary.rows(batch.slice(2), ["text", "bigint", "double precision", "date"]))
            copy.write(copy_binary.TRAILER)
        assert con.execute("SELECT * FROM awkward").fetchall() == list(zip(*(c.to_pylist() for c in batch.columns), strict=True))
    with pytest.raises(RuntimeError, match="no binary COPY encoding for boolean"):
        copy_binary.rows(pa.record_batch({"b": [True]}), ["boolean"])
