"""The leak probe on the command line (issue 11, acceptance 2): each blinded role and a site user,
logged in with ``trial login``, runs every command (those refused too: a refusal is an output),
uploads the crafted files every way (dry run, JSON, for real, with a reason), and reads back every
upload, finding, audit row and query. Everything printed and every file written is scanned for
the canaries of ``leak_probe``: zero hits. The statistician runs the same commands, and the same
scan finds every kind of canary in what the statistician receives.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from click.testing import CliRunner
from helpers import TEAM_PASSWORD
from leak_probe import ALL_KINDS, PROBED, Probe, scan, site_of

from trial.cli import main
from trial.ingest.editchecks import edit_checks
from trial.store import Store

pytestmark = pytest.mark.slow

FORMATS = ("text", "json", "csv")
MISSING = 999  # an upload and a query number that do not exist
TEMPLATE_PARTS = re.compile(r"styles|theme|fontTable|settings|numbering")  # a .docx's parts from its template, not data


@dataclass
class Session:
    """One person at their own terminal: a TRIAL_HOME of their own, logged in to their copy of the study."""

    db: str
    home: Path
    outputs: dict[str, str] = field(default_factory=dict)
    json_findings: list[dict] = field(default_factory=list)

    def __call__(self, *args, input: str | None = None) -> str:
        result = CliRunner().invoke(main, [str(a) for a in args], input=input, env={"TRIAL_HOME": str(self.home), "TRIAL_DB": str(self.db)})
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.output)
        assert "Traceback" not in result.output and "Unexpected error" not in result.output, (args, result.output)
        key = " ".join(str(a) for a in args)
        self.outputs[key if key not in self.outputs else f"{key} #{len(self.outputs)}"] = result.output
        return result.output

    def written(self, path: Path) -> None:
        """Every file under ``path`` (a .docx or .zip by its parts) as an output too."""
        for item in sorted(p for p in (path.rglob("*") if path.is_dir() else [path]) if p.is_file()):
            if zipfile.is_zipfile(item):
                with zipfile.ZipFile(item) as archive:
                    for part in archive.namelist():
                        if not TEMPLATE_PARTS.search(part):
                            self.outputs[f"{item.name}!{part}"] = archive.read(part).decode("utf-8", "replace")
            elif item.suffix not in (".png", ".pdf") and not item.name.endswith(".min.js"):  # pictures; Plotly itself
                self.outputs[item.name] = item.read_bytes().decode("utf-8", "replace")


@pytest.fixture(scope="module")
def studies(probe_study) -> dict[str, Probe]:
    return {name: probe_study(name) for name in ("open_label", "double_blind")}


def _study_copy(probe: Probe, who: str, folder: Path, cluster=None) -> tuple[str, str, Callable[[], object]]:
    """The probe study for one prober's run: a copy of its file, or (with a PostgreSQL ``cluster``) a
    database holding its rows and accounts, each account a role; (TRIAL_DB as ``who`` gives it, ``who``'s
    account name there, and how the test itself reads the whole study)."""
    if cluster is None:
        db = folder / "study.duckdb"
        shutil.copy(probe.path, db)
        return str(db), who, lambda: Store.open(db, read_only=True)
    from postgres import server_twin

    from trial.store.server import ServerStore

    with Store.open(probe.path, read_only=True) as store:
        owner, roles = server_twin(cluster, f"cli_{folder.parent.name}_{who}".lower(), store, TEAM_PASSWORD)
    return cluster.url(roles[who], TEAM_PASSWORD, owner.rsplit("/", 1)[1]), roles[who], lambda: ServerStore.open(owner)


def _run(probe: Probe, who: str, folder: Path, cluster=None) -> Session:
    """Every command ``who`` can think of, on a copy of the probe study (in a PostgreSQL database of the
    ``cluster`` given: there the URL's password signs in, and `trial login` says it is not needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    db, name, whole = _study_copy(probe, who, folder, cluster)
    home = folder / "home"
    login = CliRunner().invoke(main, ["login", "--db", db, "--user", name, "--password-stdin"], input=TEAM_PASSWORD + "\n",
                               env={"TRIAL_HOME": str(home)})
    assert login.exit_code == (0 if cluster is None else 2), login.output
    me = Session(db, home, {"login": login.output})
    files = folder / "files"
    files.mkdir()
    paths = []
    for name, data in probe.files[site_of(who)].items():
        (files / name).write_bytes(data)
        paths.append(files / name)

    # uploads, every way: a dry run (text, JSON, with a reason), for real (JSON), then with a reason
    # the files that would load with one (their corrections are printed)
    if not refused(me("load", *paths, "--dry-run")):
        me("load", *paths, "--dry-run", "--format", "json")
        with_reason = _json(me("load", *paths, "--dry-run", "--reason", "probe correction", "--format", "json"))
        me("load", *paths, "--format", "json")
        me("load", *[files / r["file"] for r in with_reason if r["status"] == "checked"], "--reason", "probe correction")
    for key, text in me.outputs.items():
        if key.startswith("load") and "json" in key:
            me.json_findings += [f for r in _json(text) for f in r.get("findings", [])]

    # what came of them, and of everyone else's uploads (and of one that does not exist)
    with whole() as store:
        upload_ids = store.query("SELECT upload_id FROM uploads ORDER BY 1").upload_id.tolist()
        query_ids = store.query("SELECT query_id FROM data_queries ORDER BY 1").query_id.tolist()
        subjects = store.query("SELECT site_id, min(subject_id) AS s FROM subjects GROUP BY 1").set_index("site_id").s
    for fmt in FORMATS:
        me("uploads", "--format", fmt, "--limit", 1000)
    may_read_raw = not refused(me("uploads", "raw", upload_ids[0]))
    for upload_id in [*upload_ids, MISSING]:
        for fmt in ("text", "json"):
            me("uploads", "show", upload_id, "--format", fmt)
        if may_read_raw or upload_id == MISSING:
            me("uploads", "raw", upload_id, "--out", folder / f"raw-{upload_id}.csv")
    me("uploads", "show", upload_ids[-1], "--format", "csv")
    if not refused(me("audit", "--format", "text")):
        for fmt in ("json", "csv"):
            me("audit", "--format", fmt)
        me("audit", "--verify")
        for table in ("randomization", "procedures", "adverse_events", "hair_counts"):
            me("audit", "--table", table, "--format", "json")
        for subject in subjects:
            me("audit", "--subject", subject, "--format", "json")
        me("audit", "--upload", upload_ids[-1], "--format", "json")

    # data queries: list, show each, and every step on each (a step the role may not take is
    # refused before the query is read: asked once, and of the number never used)
    if not refused(me("queries", "--format", "text")):
        for fmt in ("json", "csv"):
            me("queries", "--format", fmt)
        me("queries", "--status", "OPEN", "--format", "json")
        for subject in subjects:
            me("queries", "--subject", subject)
    steps = {step: not refused(me("queries", step, query_ids[0], "--text", f"probe {step}")) for step in ("answer", "reopen", "close")}
    may_see = not refused(me("queries", "show", query_ids[0]))
    for query_id in [*query_ids, MISSING]:
        for fmt in ("text", "json") if may_see or query_id == MISSING else ():
            me("queries", "show", query_id, "--format", fmt)
        for step, may in steps.items():
            if may or query_id == MISSING:
                me("queries", step, query_id, "--text", f"probe {step}")
    me("queries", "show", query_ids[0], "--format", "csv")
    for table, key, column in _query_points(probe):
        me("queries", "open", key.split(" / ")[0], "--table", table, "--key", key, "--column", column, "--text", "probe query")
    me("queries", "open", "S01-999", "--table", "hair_counts", "--key", "S01-999 / WEEK_4 / TARGET", "--column", "hair_count",
       "--text", "probe query")

    # the rest of the commands (the pack is the statistician's alone: for everyone else a refusal, and
    # the statistician's costs a quarter of a minute that the scan's proof does not need)
    if who != "stat":
        me("tables", "--out", folder / "pack")
    for written in [folder / "pack", *folder.glob("raw-*.csv")]:
        if written.exists():
            me.written(written)
    me("users")
    me("users", "add", "probe", "--role", "STATISTICIAN", "--password-stdin", input="probe password 123\n")
    me("users", "roles", name, "--role", "STATISTICIAN")
    me("lock", "--reason", "probe lock", "--password-stdin", input=TEAM_PASSWORD + "\n")
    me("load", paths[0])
    me("unlock", "--reason", "probe unlock", "--password-stdin", input=TEAM_PASSWORD + "\n")
    me("logout")
    me("uploads")  # after logging out
    return me


ROLE_REFUSALS = re.compile(r"^Error: \S+ \([A-Z_, ]+\) may not |^Error: Only (site staff|a monitor or a statistician) ")


def refused(text: str) -> bool:
    """Whether a command was refused for the acting account's roles (before it read anything)."""
    return bool(ROLE_REFUSALS.search(text))


def _json(text: str) -> list[dict]:
    start = text.find("[")
    return json.loads(text[start:]) if start >= 0 else []


def _query_points(probe: Probe) -> list[tuple[str, str, str]]:
    """Data points a monitor might query: the canaries' rows at each site, and what tells the arm."""
    points = []
    for site, treated in probe.treated.items():
        subject, seq = probe.ae_of[site]
        points += [("hair_counts", f"{treated} / WEEK_4 / TARGET", "hair_count"), ("randomization", treated, "arm"),
                   ("adverse_events", f"{subject} / {seq}", "term"), ("adverse_events", f"{subject} / {seq}", "pt"),
                   ("procedures", f"{treated} / 2023-01-01", "needle_mm"),
                   ("hair_counts", f"{treated} / WEEK_99 / TARGET", "hair_count")]  # no such record: the refusal lists theirs
    return points


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def runs(request, studies, tmp_path_factory):
    """Each prober's run of every command on one engine: the embedded file, or PostgreSQL (each command
    then signs in as the prober's role, and the database withholds what it must not print)."""
    folder = tmp_path_factory.mktemp(f"cli-runs-{request.param}")
    cluster = request.getfixturevalue("pg_cluster") if request.param == "postgresql" else None

    @functools.cache
    def run(study: str, who: str) -> Session:
        return _run(studies[study], who, folder / study / who, cluster)

    return run




@pytest.mark.parametrize(("study", "who"), PROBED)
def test_nothing_a_prober_receives_on_the_command_line_holds_what_they_may_not_learn(studies, runs, study, who):
    probe = studies[study]
    found = scan(runs(study, who).outputs, probe.forbidden(probe.kinds_for(who), probe.supplied_by(who)))
    assert not found.hits, f"{who} ({study}) learns:\n{found.report()}"


@pytest.fixture(scope="module")
def statisticians_canaries(studies, runs):
    """Every canary in what the statistician received (but what they wrote themself), scanned once."""

    @functools.cache
    def found(study: str):
        probe = studies[study]
        return scan(runs(study, "stat").outputs, probe.forbidden(ALL_KINDS, probe.supplied_by("stat")))

    return found


@pytest.mark.parametrize(("study", "who"), PROBED)
def test_the_same_scan_finds_every_kind_in_what_the_statistician_receives(studies, statisticians_canaries, study, who):
    """The scan of the test above, run on the statistician's outputs (without what either of them
    wrote in their own files), finds every kind of canary and every planted value."""
    probe = studies[study]
    kinds = probe.kinds_for(who)
    found = statisticians_canaries(study).among(probe.forbidden(kinds, probe.supplied_by(who, "stat")))
    assert found.kinds == kinds, (who, kinds - found.kinds)
    planted = {c.name for c in probe.forbidden(kinds) if c.name.startswith("planted")}
    assert planted <= found.names(), planted - found.names()


@pytest.mark.parametrize(("study", "who"), PROBED)
def test_an_upload_or_query_a_prober_may_not_see_answers_as_one_that_does_not_exist(runs, study, who):
    """Not only values: whether a number is someone else's upload or query must not show either.
    Every command on a number outside the prober's view says what it says of a number never used."""
    me = runs(study, who)
    listed = {"uploads": _listed(me, "uploads --format json --limit 1000", "upload_id"),
              "queries": _listed(me, "queries --format json", "query_id")}
    compared = 0
    for command, text in me.outputs.items():
        words = command.split()
        if words[0] not in listed or len(words) < 3 or not words[2].isdigit() or int(words[2]) in (MISSING, *listed[words[0]]):
            continue
        missing = " ".join([*words[:2], str(MISSING), *words[3:]]).replace(f"raw-{words[2]}.csv", f"raw-{MISSING}.csv")
        if missing not in me.outputs:
            continue  # asked of one number only (the CSV form of one query)
        assert text == me.outputs[missing].replace(str(MISSING), words[2]), (who, command, text, me.outputs[missing])
        compared += 1
    assert compared


def _listed(me: Session, command: str, column: str) -> set[int]:
    return {row[column] for row in _json(me.outputs.get(command, ""))}  # none, for a role refused the list


def test_a_site_users_copy_of_another_sites_file_is_checked_as_any_file_not_called_already_loaded(studies, runs):
    """The copy's bytes are the other site's file loaded by the statistician: "already loaded" would
    confirm every value in it (a way to test guesses of another site's values, one upload each)."""
    for who in ("sam", "eve"):
        [copy] = [r for r in _json(runs("open_label", who).outputs[_real_json_load(runs("open_label", who))]) if r["file"] == "probe-copy.csv"]
        assert copy["status"] == "rejected" and [f["rule"] for f in copy["findings"]] == ["upload_scope"], copy


def _real_json_load(me: Session) -> str:
    return next(k for k in me.outputs if k.startswith("load") and "--format json" in k and "--dry-run" not in k)


def test_the_crafted_files_provoke_every_kind_of_finding(studies, runs):
    """Every kind of finding is put before the probers: in what their own files provoke, or in the
    stored findings they read (subject_site, say, needs an uploader who sees every site)."""
    rules = {f["rule"] for study, who in PROBED for f in runs(study, who).json_findings}
    with Store.open(studies["open_label"].path, read_only=True) as store:
        rules |= set(store.query("SELECT DISTINCT rule FROM findings").rule)
    expected = {c.rule for c in edit_checks()} | {
        "empty_file", "no_rows", "duplicate_key", "correction_needs_reason", "allocation_immutable", "upload_scope",
        "key_outside_view", "unique_outside_view", "withheld_not_compared", "unknown_column", "missing_column",
        "date_format", "not_a_number", "below_minimum", "above_maximum", "not_allowed", "bad_format", "required"}
    assert expected <= rules, expected - rules

