"""Building blocks for tests: real CSV bytes, a real DuckDB file, snapshots of the study tables."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

from schemas import DOMAINS
from trial.ingest.upload import upload_bytes, upload_paths
from trial.store import Store
from trial.study import builtin_study_text

SUBJECTS_HEADER = "site_id,subject_id,screening_date,consent_date,age,sex,diagnosis,severity_scale,severity_grade,fitzpatrick,eligible"
SUBJECTS_ROWS = [
    "S01,S01-001,2024-01-03,2024-01-03,28,M,AGA,NORWOOD,III,IV,Y",
    "S01,S01-002,2024-01-03,2024-01-03,31,M,AGA,NORWOOD,IV,III,Y",
    "S01,S01-003,2024-01-05,2024-01-05,26,F,AGA,LUDWIG,II,II,Y",
    "S01,S01-004,2024-01-05,2024-01-05,40,M,AGA,NORWOOD,IIIV,IV,Y",
    "S01,S01-005,2024-01-06,2024-01-06,52,M,AGA,NORWOOD,V,V,N",
    "S02,S02-001,2024-01-08,2024-01-08,35,F,TE,,,III,Y",
]
RANDOMIZATION_HEADER = "site_id,subject_id,randomization_date,arm,randomization_number,stratum"
RANDOMIZATION_ROWS = [
    "S01,S01-001,2024-01-10,MINOX,R001,",
    "S01,S01-002,2024-01-10,MINOX_MN,R002,",
    "S01,S01-003,2024-01-12,MINOX,R003,",
    "S02,S02-001,2024-01-15,MINOX_MN,R004,",
]
# S01-004 is eligible but not randomized; S01-005 is a screen failure.

HAIR_COUNTS_HEADER = "site_id,subject_id,visit,assessment_date,region,area_cm2,hair_count,terminal_count,vellus_count,shaft_diameter_um,evaluator_id"
HAIR_COUNTS_ROWS = [
    "S01,S01-001,BASELINE,2024-01-09,TARGET,1,120,100,15,55.5,EV1",
    "S01,S01-001,WEEK_4,2024-02-07,TARGET,1,130,110,15,56.0,EV1",
    "S01,S01-002,BASELINE,2024-01-10,TARGET,1,110,95,10,54.0,EV1",
    "S01,S01-002,WEEK_4,2024-02-08,TARGET,1,150,130,12,58.0,EV1",
]


def csv_bytes(header: str, rows: list[str], newline: str = "\n") -> bytes:
    return (newline.join([header, *rows]) + newline).encode("utf-8")


def new_store(path) -> Store:
    return Store.create(path, builtin_study_text("demo"), user="tester")


def load(store: Store, data: bytes, domain: str | None = None, name: str = "upload.csv", **options):
    options.setdefault("user", "tester")
    return upload_bytes(store, data, name, domain=domain, **options)


def seed(store: Store) -> None:
    """Subjects and randomizations the assessment files refer to."""
    for domain, header, rows in (
        ("subjects", SUBJECTS_HEADER, SUBJECTS_ROWS),
        ("randomization", RANDOMIZATION_HEADER, RANDOMIZATION_ROWS),
    ):
        result = load(store, csv_bytes(header, rows), domain, name=f"{domain}.csv")
        assert result.status == "loaded", [f.sentence for f in result.findings]


def snapshot(store: Store) -> dict[str, list[tuple]]:
    """Every study table's rows, sorted, to prove an upload changed nothing (or exactly what)."""
    out = {}
    cur = store.cursor()
    try:
        for name in DOMAINS:
            out[name] = sorted(cur.execute(f"SELECT * FROM {name}").fetchall(), key=repr)
    finally:
        cur.close()
    return out


def study_files(subjects: int, first: int = 1, site: str = "S01") -> tuple[bytes, bytes]:
    """Subjects and randomization files for ``subjects`` eligible subjects numbered from ``first``."""
    ids = [f"{site}-{n:04d}" for n in range(first, first + subjects)]
    subject_rows = [f"{site},{s},2024-01-03,2024-01-03,30,M,AGA,NORWOOD,III,IV,Y" for s in ids]
    arms = ("MINOX", "MINOX_MN")
    rand_rows = [f"{site},{s},2024-01-10,{arms[i % 2]},,," for i, s in enumerate(ids)]
    return csv_bytes(SUBJECTS_HEADER, subject_rows), csv_bytes(RANDOMIZATION_HEADER, rand_rows)


VISIT_DATES = {"BASELINE": "2024-01-09", "WEEK_4": "2024-02-07", "WEEK_8": "2024-03-06", "WEEK_12": "2024-04-03"}


def hair_count_file(subject_ids: list[str], site: str = "S01") -> bytes:
    """A valid hair_counts file: every subject at four visits in the TARGET region."""
    rows = [
        f"{site},{s},{visit},{date},TARGET,1,{100 + (i * 7 + j * 3) % 90},,,,EV1"
        for i, s in enumerate(subject_ids)
        for j, (visit, date) in enumerate(VISIT_DATES.items())
    ]
    return csv_bytes(HAIR_COUNTS_HEADER, rows)


DOUBLE_BLIND = ("ADMIN", "SITE_STAFF", "EVALUATOR", "MONITOR")  # everyone but the statistician


def with_blinding(study_text: str, blinded_roles) -> str:
    """The study text with its ``[blinding]`` roles replaced (e.g. :data:`DOUBLE_BLIND`)."""
    from trial.study import Blinding, parse_study, study_to_toml

    study = parse_study(study_text)
    return study_to_toml(study.model_copy(update={"blinding": Blinding(blinded_roles=list(blinded_roles))}))


def scenario_store(folder, scenario: str, *, seed: int, subjects: int | None = None, user: str = "t",
                   blinded_roles=None) -> Store:
    """``folder/study.duckdb`` holding a synthetic scenario, its files (in ``folder/files``) loaded
    through the normal upload path; returned open, read-write. ``blinded_roles`` replaces the
    study's (the demo study's are the evaluators', monitors' and administrators')."""
    from synthetic_data.scenarios import write_scenario

    files = write_scenario(scenario, folder / "files", seed=seed, subjects=subjects)
    text = (folder / "files" / "study.toml").read_text()
    if blinded_roles is not None:
        text = with_blinding(text, blinded_roles)
    store = Store.create(folder / "study.duckdb", text, user=user)
    results = upload_paths(store, files, user=user)
    assert all(r.status == "loaded" for r in results), [r.as_dict() for r in results if r.status != "loaded"]
    return store


TEAM_PASSWORD = "correct horse battery"
TEAM = {  # user name → (roles, site): an account for every role, at two sites
    "ada": (["ADMIN"], None),
    "stat": (["STATISTICIAN"], None),
    "mona": (["MONITOR"], None),
    "sam": (["SITE_STAFF"], "S01"),
    "eve": (["EVALUATOR"], "S02"),
}


def team_store(folder, *, subjects: int = 300, blinded_roles=None) -> Store:
    """``folder/study.duckdb``: the dhurat2013 protocol at two sites (the ``scale`` scenario), loaded,
    with the accounts of :data:`TEAM` (password :data:`TEAM_PASSWORD`); returned open, read-write.
    Open-label with a blinded evaluator, as the demo study, unless ``blinded_roles`` says otherwise."""
    from trial.governance.users import add_user

    store = scenario_store(folder, "scale", seed=5, subjects=subjects, blinded_roles=blinded_roles)
    for name, (roles, site) in TEAM.items():
        add_user(store, name, TEAM_PASSWORD, roles, site_id=site, by="setup")
    return store


def cli_login(db, user_name: str, home, password: str = TEAM_PASSWORD) -> dict[str, str]:
    """``trial login`` as ``user_name`` on ``db``, with its token kept under ``home`` (TRIAL_HOME);
    returns the environment that makes later commands act as that session."""
    from click.testing import CliRunner

    from trial.cli import main

    env = {"TRIAL_HOME": str(home)}
    result = CliRunner().invoke(main, ["login", "--db", str(db), "--user", user_name, "--password-stdin"], input=password + "\n", env=env)
    assert result.exit_code == 0, result.output
    return env


def run_as(db, user_name: str, homes, args, *, input: str | None = None, password: str = TEAM_PASSWORD):
    """``trial ARGS`` as ``user_name``, each person logged in from a TRIAL_HOME of their own
    (``homes/user_name``; logged in there on first use), as on their own computer."""
    from click.testing import CliRunner

    from trial.cli import main
    from trial.governance import session_file

    home = Path(homes) / user_name
    if session_file.load(home, db) is None:
        cli_login(db, user_name, home, password)
    return CliRunner().invoke(main, [str(a) for a in args], input=input, env={"TRIAL_HOME": str(home)})


APP = str(Path(__file__).resolve().parents[1] / "dashboards" / "app.py")
APP_TIMEOUT = 120  # seconds: a page's first run builds the ARD; under load that takes a while


def signed_in_app(token: str, page: str | None = None, **query):
    """The app (Streamlit's AppTest) as the account whose session ``token`` is, run on ``page``
    with ``query`` as its address's parameters; asserts that no run raised."""
    from streamlit.testing.v1 import AppTest  # only the page tests need Streamlit

    at = AppTest.from_file(APP, default_timeout=APP_TIMEOUT)
    at.session_state["session_token"] = token
    at.run()
    if page is not None:
        at.switch_page(page)
        for name, value in query.items():
            at.query_params[name] = value
        at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def ard_value(ard, **where):
    """The value of the one ARD row matching ``where`` (column=value pairs)."""
    chosen = ard
    for column, wanted in where.items():
        chosen = chosen[chosen[column] == wanted]
    assert len(chosen) == 1, (where, chosen)
    return chosen.value.iloc[0]


def plotly_charts(at) -> list[dict]:
    """The Plotly figures an AppTest run drew, as their JSON specs."""
    return [json.loads(element.proto.spec) for element in at.get("plotly_chart")]


def plotly_numbers(values) -> np.ndarray:
    """A Plotly JSON array: a plain list, or Plotly's typed array (dtype and base64 bytes)."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"])
    return np.asarray(values, dtype=float)
