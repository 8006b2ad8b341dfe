"""Bad files, one fault each, in every domain: each is rejected whole with a finding that names the
file's own line, the column and the offending value in a sentence, and changes no study table.

Every case is real CSV bytes uploaded into a real DuckDB file (the ``seeded`` demo study: six
subjects screened, four randomized; see helpers.py). Good rows per domain are below; a case is a
good file with one cell (or one structural detail) made bad.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from click.testing import CliRunner

from helpers import (
    HAIR_COUNTS_HEADER,
    HAIR_COUNTS_ROWS,
    RANDOMIZATION_HEADER,
    SUBJECTS_HEADER,
    load,
    snapshot,
)
from schemas import DOMAINS
from trial.cli import main as trial_cli
from trial.store import Store

HEADERS = {
    "subjects": SUBJECTS_HEADER,
    "randomization": RANDOMIZATION_HEADER,
    "hair_counts": HAIR_COUNTS_HEADER,
    "pull_tests": "site_id,subject_id,visit,assessment_date,region,hairs_grasped,hairs_extracted",
    "global_assessments": "site_id,subject_id,visit,assessment_date,assessor,score",
    "adverse_events": "site_id,subject_id,ae_seq,term,pt,soc,onset_date,resolution_date,severity,serious,"
    "relationship,suspected_cause,action_taken,outcome",
    "procedures": "site_id,subject_id,session_date,device,needle_mm,passes,pain_vas,pinpoint_bleeding",
    "disposition": "site_id,subject_id,status,status_date,reason",
}

# Rows that load into the seeded study (test_the_good_rows_load proves it), two distinct keys each.
GOOD = {
    "subjects": [
        "S01,S01-006,2024-02-01,2024-02-01,45,F,AGA,LUDWIG,I,II,Y",
        "S02,S02-002,2024-02-03,2024-02-03,38,M,AGA,NORWOOD,IIIA,III,Y",
    ],
    "randomization": [
        "S01,S01-004,2024-01-20,MINOX_MN,R005,",
        "S01,S01-001,2024-01-10,MINOX,R001,",  # already in the study as it is: unchanged
    ],
    "hair_counts": HAIR_COUNTS_ROWS,
    "pull_tests": [
        "S01,S01-001,BASELINE,2024-01-09,TARGET,60,3",
        "S01,S01-001,WEEK_4,2024-02-07,TARGET,60,2",
    ],
    "global_assessments": [
        "S01,S01-001,WEEK_4,2024-02-07,INVESTIGATOR,1",
        "S01,S01-001,WEEK_4,2024-02-07,PATIENT,2",
    ],
    "adverse_events": [
        "S01,S01-002,1,scalp redness,Erythema,Skin and subcutaneous tissue disorders,2024-01-18,2024-01-20,"
        "MILD,N,POSSIBLE,MICRONEEDLING,NONE,RECOVERED",
        "S01,S01-002,2,headache,Headache,Nervous system disorders,2024-02-01,,MILD,N,UNLIKELY,MINOXIDIL,NONE,"
        "RECOVERING",
    ],
    "procedures": [
        "S01,S01-002,2024-01-17,ROLLER,1.5,4,3,Y",
        "S01,S01-002,2024-01-24,ROLLER,1.5,4,2,N",
    ],
    "disposition": [
        "S01,S01-001,COMPLETED,2024-07-01,",
        "S01,S01-002,DISCONTINUED,2024-03-01,LOST_TO_FOLLOW_UP",
    ],
}


def row(domain: str, base: int = 0, **cells: str) -> str:
    """Good row ``base`` of ``domain`` with some cells replaced (quote a value holding a comma yourself)."""
    values = dict(zip(HEADERS[domain].split(","), GOOD[domain][base].split(","), strict=True))
    assert set(cells) <= set(values), set(cells) - set(values)
    return ",".join({**values, **cells}.values())


def csv(domain: str, *rows: str, header: str | None = None, newline: str = "\n", encoding: str = "utf-8") -> bytes:
    """A file: the domain's header on line 1, then ``rows`` on lines 2, 3, … ("" is a blank line)."""
    lines = [HEADERS[domain] if header is None else header, *rows]
    return (newline.join(lines) + newline).encode(encoding)


def good(domain: str, line: int) -> str:
    """The good row placed on file line ``line`` (2, 3, …), each with its own key."""
    return GOOD[domain][line - 2]


class _Any:
    """Stands for a rule id or value the data dictionary does not fix (cases the core does not handle yet)."""

    def __eq__(self, other):
        return True

    def __repr__(self):
        return "ANY"


ANY = _Any()


@dataclass(frozen=True)
class Bad:
    domain: str | None  # as uploaded; None = told from the header
    data: bytes
    line: int | None
    column: str | None
    value: str | None
    rule: str
    says: tuple[str, ...] = ()  # words the message must hold besides the value
    first: bytes | None = None  # a good file of the same domain loaded before the bad one


def case(id_: str, domain, data, line, column, value, rule, says=(), first=None):
    return pytest.param(Bad(domain, data, line, column, value, rule, tuple(says), first), id=id_)


HC, PT, GA, AE = "hair_counts", "pull_tests", "global_assessments", "adverse_events"
SEMICOLONS = HEADERS["procedures"].replace(",", ";")
BOM = b"\xef\xbb\xbf"

CASES = [
    # ------------------------------------------------------------ bytes and structure
    case("encoding-latin1-e-acute-on-line-3", AE,
         csv(AE, good(AE, 2), row(AE, 1, term="eczéma"), encoding="latin-1"),
         3, None, "0xE9", "encoding", says=["UTF-8"]),
    case("encoding-utf16-file", "subjects",
         csv("subjects", good("subjects", 2), encoding="utf-16"),
         1, None, "0x00", "encoding", says=["UTF-8", "UTF-16"]),
    case("encoding-utf16-without-bom", "subjects",
         csv("subjects", good("subjects", 2), encoding="utf-16-le"),
         1, None, ANY, "encoding", says=["UTF-8"]),
    case("encoding-bom-with-bad-hair-count-on-line-3", HC,
         BOM + csv(HC, good(HC, 2), row(HC, 1, hair_count="-3")),
         3, "hair_count", "-3", "below_minimum", says=["below the minimum 0"]),
    case("empty-file-0-bytes", "disposition", b"", None, None, None, "empty_file", says=["empty"]),
    case("whitespace-only-file", "disposition", b"  \n\t\r\n \n", None, None, None, "empty_file", says=["empty"]),
    case("header-only-file", "disposition", csv("disposition"), None, None, None, "no_rows", says=["no data rows"]),
    case("semicolon-separated-single-column", "procedures",
         csv("procedures", good("procedures", 2).replace(",", ";"), header=SEMICOLONS),
         1, None, ";", "separator", says=["';'"]),
    case("too-many-values-on-line-3", HC,
         csv(HC, good(HC, 2), row(HC, 1) + ",extra"),
         3, None, "extra", "too_many_values", says=["11 columns"]),
    case("unclosed-quote-on-line-3-swallowing-the-rest", HC,
         csv(HC, good(HC, 2), row(HC, 1, evaluator_id='"EV1'), good(HC, 4), good(HC, 5)),
         3, None, ANY, ANY, says=["quote"]),
    case("row-with-too-few-values", HC,
         csv(HC, good(HC, 2), "S01,S01-001,WEEK_4,2024-02-07,TARGET"),
         3, "area_cm2", None, "required"),
    case("blank-line-before-header", "disposition",
         b"\n" + csv("disposition", good("disposition", 2)),
         2, None, None, "header_position", says=["line 1"]),
    # ------------------------------------------------------------ header
    case("header-missing-required-column", PT,
         b"site_id,subject_id,visit,assessment_date,region,hairs_grasped\nS01,S01-001,BASELINE,2024-01-09,TARGET,60\n",
         1, "hairs_extracted", None, "missing_column", says=["required", "missing"]),
    case("header-duplicated-column", GA,
         csv(GA, good(GA, 2) + ",1", header=HEADERS[GA] + ",score"),
         1, "score", "score", "duplicate_column", says=["twice"]),
    case("header-unknown-column-did-you-mean", HC,
         csv(HC, good(HC, 2), header=HEADERS[HC].replace("hair_count,", "hair_cout,")),
         1, "hair_cout", "hair_cout", "unknown_column", says=["did you mean hair_count"]),
    case("header-pull-tests-file-uploaded-as-hair-counts", HC,
         csv(PT, good(PT, 2)),
         1, None, None, "wrong_domain", says=["pull_tests", "hair_counts"]),
    case("header-matches-no-domain-and-no-domain-given", None,
         b"site_id,subject_id,visit,assessment_date,score\nS01,S01-001,WEEK_4,2024-02-07,1\n",
         1, None, None, "domain_unknown", says=["domain"]),
    # ------------------------------------------------------------ dates
    case("date-ambiguous-03/04/2024", HC,
         csv(HC, good(HC, 2), row(HC, 1, assessment_date="03/04/2024")),
         3, "assessment_date", "03/04/2024", "ambiguous_date", says=["ambiguous", "YYYY-MM-DD"]),
    case("date-2024-02-30", "randomization",
         csv("randomization", row("randomization", 0, randomization_date="2024-02-30")),
         2, "randomization_date", "2024-02-30", "invalid_date"),
    case("date-2024-1-5", AE,
         csv(AE, good(AE, 2), row(AE, 1, onset_date="2024-1-5")),
         3, "onset_date", "2024-1-5", "date_format", says=["YYYY-MM-DD"]),
    case("date-with-a-time", "procedures",
         csv("procedures", good("procedures", 2), row("procedures", 1, session_date="2024-01-24 10:30")),
         3, "session_date", "2024-01-24 10:30", "date_format", says=["YYYY-MM-DD"]),
    case("date-in-the-future", "disposition",
         csv("disposition", row("disposition", 0, status_date="2099-01-01")),
         2, "status_date", "2099-01-01", "not_in_future", says=["future"]),
    # ------------------------------------------------------------ the file's own line numbers
    case("lines-blank-lines-in-the-middle", HC,
         csv(HC, good(HC, 2), "", "   ", row(HC, 1, hair_count="2001")),
         5, "hair_count", "2001", "above_maximum", says=["maximum 2000"]),
    case("lines-quoted-line-break-before-the-bad-line", AE,
         csv(AE, row(AE, 0, term='"itchy,\nred scalp"'), row(AE, 1, severity="EXTREME")),
         4, "severity", "EXTREME", "not_allowed", says=["MILD"]),
    case("text-with-a-control-character", AE, csv(AE, row(AE, 0), row(AE, 1, term="itch\x0bing")),
         3, "term", "itch?ing", "control_character", says=["U+000B", "position 5"]),
    case("code-with-a-control-character", AE, csv(AE, row(AE, 0), row(AE, 1, severity="MI\x01LD")),
         3, "severity", "MI?LD", "control_character", says=["U+0001"]),
    case("lines-crlf-endings", HC,
         csv(HC, good(HC, 2), row(HC, 1, area_cm2="11"), newline="\r\n"),
         3, "area_cm2", "11", "above_maximum"),
    # ------------------------------------------------------------ hair_counts
    case("hair-count-negative", HC, csv(HC, good(HC, 2), row(HC, 1, hair_count="-3")),
         3, "hair_count", "-3", "below_minimum"),
    case("hair-count-above-2000", HC, csv(HC, good(HC, 2), row(HC, 1, hair_count="2001")),
         3, "hair_count", "2001", "above_maximum"),
    case("hair-count-12.5-not-whole", HC, csv(HC, good(HC, 2), row(HC, 1, hair_count="12.5")),
         3, "hair_count", "12.5", "not_whole_number", says=["whole number"]),
    case("hair-count-too-long-for-an-integer", HC,
         csv(HC, good(HC, 2), row(HC, 1, hair_count="99999999999999999999999")),
         3, "hair_count", "99999999999999999999999", ANY, says=["maximum 2000"]),
    case("area-decimal-comma-1,5", HC, csv(HC, good(HC, 2), row(HC, 1, area_cm2='"1,5"')),
         3, "area_cm2", "1,5", "decimal_comma", says=["1.5"]),
    case("hair-count-#N/A", HC, csv(HC, good(HC, 2), row(HC, 1, hair_count="#N/A")),
         3, "hair_count", "#N/A", "spreadsheet_error"),
    case("hair-count-not-a-number", HC, csv(HC, good(HC, 2), row(HC, 1, hair_count="many")),
         3, "hair_count", "many", "not_a_number"),
    case("area-0", HC, csv(HC, good(HC, 2), row(HC, 1, area_cm2="0")),
         3, "area_cm2", "0", "not_above_minimum"),
    case("area-11", HC, csv(HC, good(HC, 2), row(HC, 1, area_cm2="11")),
         3, "area_cm2", "11", "above_maximum", says=["10"]),
    case("terminal-plus-vellus-above-hair-count", HC,
         csv(HC, good(HC, 2), row(HC, 1, hair_count="100", terminal_count="90", vellus_count="20")),
         3, "terminal_count", "90", "parts_within_total", says=["20", "100"]),
    case("shaft-diameter-5", HC, csv(HC, good(HC, 2), row(HC, 1, shaft_diameter_um="5")),
         3, "shaft_diameter_um", "5", "below_minimum"),
    case("unknown-subject", HC, csv(HC, good(HC, 2), row(HC, 1, subject_id="S01-099")),
         3, "subject_id", "S01-099", "subject_exists"),
    case("wrong-site-for-subject", HC, csv(HC, good(HC, 2), row(HC, 1, site_id="S02")),
         3, "site_id", "S02", "subject_site", says=["S01-001", "S01"]),
    case("baseline-21-days-before-randomization", HC,
         csv(HC, good(HC, 3), row(HC, 0, assessment_date="2023-12-20")),
         3, "assessment_date", "2023-12-20", "assessment_before_randomization", says=["2024-01-10", "14 days"]),
    case("duplicate-key-inside-the-file", HC,
         csv(HC, good(HC, 2), good(HC, 3), row(HC, 0, hair_count="121")),
         4, "region", "S01-001 / BASELINE / TARGET", "duplicate_key", says=["line 2"]),
    case("unknown-visit", HC, csv(HC, good(HC, 2), row(HC, 1, visit="WEEK_5")),
         3, "visit", "WEEK_5", "not_allowed", says=["WEEK_4"]),
    # ------------------------------------------------------------ pull_tests
    case("hairs-extracted-above-grasped", PT, csv(PT, good(PT, 2), row(PT, 1, hairs_extracted="61")),
         3, "hairs_extracted", "61", "extracted_within_grasped", says=["60"]),
    case("hairs-grasped-10", PT, csv(PT, good(PT, 2), row(PT, 1, hairs_grasped="10", hairs_extracted="1")),
         3, "hairs_grasped", "10", "below_minimum", says=["20"]),
    case("subject-not-randomized-S01-004", PT, csv(PT, good(PT, 2), row(PT, 1, subject_id="S01-004")),
         3, "subject_id", "S01-004", "subject_randomized", says=["randomized"]),
    case("unknown-region", PT, csv(PT, good(PT, 2), row(PT, 1, region="SCALP")),
         3, "region", "SCALP", "not_allowed", says=["TARGET"]),
    # ------------------------------------------------------------ global_assessments
    case("score-5", GA, csv(GA, good(GA, 2), row(GA, 1, score="5")),
         3, "score", "5", "above_maximum", says=["3"]),
    case("week-4-assessment-before-randomization", GA,
         csv(GA, row(GA, 0, assessment_date="2024-01-08")),
         2, "assessment_date", "2024-01-08", "assessment_before_randomization", says=["2024-01-10", "BASELINE"]),
    case("required-score-left-empty", GA, csv(GA, good(GA, 2), row(GA, 1, score="")),
         3, "score", None, "required", says=["required", "empty"]),
    case("correction-against-the-database-without-reason", GA,
         csv(GA, good(GA, 2), row(GA, 1, score="3")),
         3, "score", "3", "correction_needs_reason", says=["2", "reason"],
         first=csv(GA, good(GA, 2), good(GA, 3))),
    case("correction-without-reason-of-a-cell-that-also-has-a-warning", GA,
         csv(GA, good(GA, 2), row(GA, 1, assessment_date="2024-03-01")),  # outside the WEEK_4 window
         3, "assessment_date", "2024-03-01", "correction_needs_reason", says=["2024-02-07", "reason"],
         first=csv(GA, good(GA, 2), good(GA, 3))),
    # ------------------------------------------------------------ adverse_events
    case("ae-resolved-before-onset", AE, csv(AE, row(AE, 0, resolution_date="2024-01-15")),
         2, "resolution_date", "2024-01-15", "resolved_after_onset", says=["2024-01-18"]),
    case("ae-onset-before-consent", AE, csv(AE, good(AE, 2), row(AE, 1, onset_date="2024-01-01")),
         3, "onset_date", "2024-01-01", "onset_after_consent", says=["2024-01-03", "consent"]),
    case("ae-fatal-but-not-serious", AE, csv(AE, good(AE, 2), row(AE, 1, outcome="FATAL")),
         3, "serious", "N", "fatal_is_serious", says=["FATAL"]),
    case("ae-seq-0", AE, csv(AE, good(AE, 2), row(AE, 1, ae_seq="0")),
         3, "ae_seq", "0", "below_minimum", says=["minimum 1"]),
    case("ae-duplicate-seq-inside-the-file", AE, csv(AE, good(AE, 2), row(AE, 1, ae_seq="1")),
         3, "ae_seq", "S01-002 / 1", "duplicate_key", says=["line 2"]),
    case("ae-correction-without-reason-to-an-uncoded-term", AE,
         csv(AE, good(AE, 2), row(AE, 1, pt="Alopecia")),
         3, "pt", "Alopecia", "correction_needs_reason", says=["Headache", "reason"],
         first=csv(AE, good(AE, 2), good(AE, 3))),
    # ------------------------------------------------------------ subjects
    case("grade-not-on-its-scale-ludwig-iv", "subjects",
         csv("subjects", good("subjects", 3), row("subjects", 0, severity_grade="IV")),
         3, "severity_grade", "IV", "grade_fits_scale", says=["LUDWIG"]),
    case("grade-without-scale", "subjects",
         csv("subjects", good("subjects", 3), row("subjects", 0, severity_scale="", severity_grade="III")),
         3, "severity_grade", "III", "grade_has_scale", says=["severity_scale"]),
    case("age-17", "subjects", csv("subjects", good("subjects", 3), row("subjects", 0, age="17")),
         3, "age", "17", "out_of_range", says=["18", "80"]),
    case("age-81", "subjects", csv("subjects", good("subjects", 3), row("subjects", 0, age="81")),
         3, "age", "81", "out_of_range", says=["18", "80"]),
    case("sex-X", "subjects", csv("subjects", good("subjects", 3), row("subjects", 0, sex="X")),
         3, "sex", "X", "not_allowed", says=["M, F"]),
    case("site-S09", "subjects",
         csv("subjects", good("subjects", 3), row("subjects", 0, site_id="S09", subject_id="S09-001")),
         3, "site_id", "S09", "not_allowed", says=["S01"]),
    case("consent-40-days-before-screening", "subjects",
         csv("subjects", good("subjects", 3), row("subjects", 0, consent_date="2023-12-23")),
         3, "consent_date", "2023-12-23", "consent_near_screening", says=["30 days", "2024-02-01"]),
    case("subject-id-with-a-space", "subjects",
         csv("subjects", good("subjects", 3), row("subjects", 0, subject_id="S01 006")),
         3, "subject_id", "S01 006", "bad_format"),
    # ------------------------------------------------------------ randomization
    case("screen-failure-randomized-S01-005", "randomization",
         csv("randomization", row("randomization", 0, subject_id="S01-005")),
         2, "subject_id", "S01-005", "subject_eligible", says=["screen failure"]),
    case("randomized-before-consent", "randomization",
         csv("randomization", good("randomization", 3), row("randomization", 0, randomization_date="2024-01-04")),
         3, "randomization_date", "2024-01-04", "randomized_after_consent", says=["2024-01-05"]),
    case("duplicate-randomization-number", "randomization",
         csv("randomization", row("randomization", 0, randomization_number="R001")),
         2, "randomization_number", "R001", "randomization_number_unique", says=["S01-001"]),
    case("unknown-arm", "randomization", csv("randomization", row("randomization", 0, arm="PLACEBO")),
         2, "arm", "PLACEBO", "not_allowed", says=["MINOX"]),
    case("randomizing-a-subject-never-screened", "randomization",
         csv("randomization", row("randomization", 0, subject_id="S01-050")),
         2, "subject_id", "S01-050", "subject_exists"),
    # ------------------------------------------------------------ procedures
    case("session-before-randomization", "procedures",
         csv("procedures", good("procedures", 3), row("procedures", 0, session_date="2024-01-05")),
         3, "session_date", "2024-01-05", "session_after_randomization", says=["2024-01-10"]),
    case("needle-3-mm", "procedures", csv("procedures", good("procedures", 2), row("procedures", 1, needle_mm="3")),
         3, "needle_mm", "3", "above_maximum", says=["2.5"]),
    case("pain-vas-11", "procedures", csv("procedures", good("procedures", 2), row("procedures", 1, pain_vas="11")),
         3, "pain_vas", "11", "above_maximum", says=["10"]),
    # ------------------------------------------------------------ disposition
    case("discontinued-without-reason", "disposition",
         csv("disposition", good("disposition", 2), row("disposition", 1, reason="")),
         3, "reason", None, "discontinued_has_reason", says=["DISCONTINUED"]),
    case("status-date-before-randomization", "disposition",
         csv("disposition", good("disposition", 3), row("disposition", 0, status_date="2024-01-05")),
         3, "status_date", "2024-01-05", "status_after_randomization", says=["2024-01-10"]),
    case("disposition-of-a-subject-not-randomized", "disposition",
         csv("disposition", row("disposition", 0, subject_id="S01-004")),
         2, "subject_id", "S01-004", "subject_randomized"),
]


# --------------------------------------------------------------------------- common assertions
def sentences(findings) -> list[str]:
    return [f"[{f.severity}/{f.rule}] {f.sentence}" for f in findings]


def assert_reported(result, line, column, value, rule, says=(), severity="error"):
    """The result holds a finding at (line, column) with that value and rule, told in a full sentence."""
    found = [f for f in result.findings if (f.line, f.column, f.severity) == (line, column, severity)]
    assert found, f"no {severity} at line {line}, column {column}: {sentences(result.findings)}"
    finding = next((f for f in found if rule is not ANY and f.rule == rule), found[0])
    assert (finding.value, finding.rule) == (value, rule), sentences(result.findings)
    if line is not None:
        assert f"line {line}" in finding.sentence, finding.sentence
    if column is not None:
        assert column in finding.sentence, finding.sentence
    if value is not None and value is not ANY:
        assert value in finding.sentence, finding.sentence
    for words in says:
        assert words in finding.message, finding.sentence
    return finding


def assert_logged_and_stored(store, result, line, column, value, rule, severity):
    """The upload is in the log with this finding, as monitors and `trial uploads show` read it."""
    logged = store.query("SELECT status, errors FROM uploads WHERE upload_id = $id", {"id": result.upload_id})
    assert logged.iloc[0].tolist() == [result.status, len(result.errors)]
    cur = store.cursor()
    try:
        stored = cur.execute(
            "SELECT line, column_name, value, rule FROM findings WHERE upload_id = $id AND severity = $severity",
            {"id": result.upload_id, "severity": severity},
        ).fetchall()
    finally:
        cur.close()
    assert (line, column, value, rule) in stored, stored


def rows_from(store, upload_id) -> dict[str, int]:
    return {t: store.scalar(f"SELECT count(*) FROM {t} WHERE upload_id = $id", {"id": upload_id}) for t in DOMAINS}


# --------------------------------------------------------------------------- the tests
@pytest.mark.parametrize("domain", list(GOOD))
def test_the_good_rows_load(seeded, domain):
    """The base of every case is clean: each case's only fault is the one it names."""
    result = load(seeded, csv(domain, *GOOD[domain]), domain)
    assert (result.status, result.errors, result.warnings) == ("loaded", [], []), sentences(result.findings)


@pytest.mark.parametrize("bad", CASES)
def test_a_bad_file_is_rejected_whole_with_a_sentence_naming_line_column_and_value(seeded, bad: Bad):
    if bad.first is not None:
        assert load(seeded, bad.first, bad.domain, name="first.csv").status == "loaded"
    before = snapshot(seeded)

    result = load(seeded, bad.data, bad.domain, name="bad.csv")

    assert result.status == "rejected", sentences(result.findings)
    assert_reported(result, bad.line, bad.column, bad.value, bad.rule, bad.says)
    assert snapshot(seeded) == before
    assert result.upload_id is not None, "a rejected file is still logged"
    assert_logged_and_stored(seeded, result, bad.line, bad.column, bad.value, bad.rule, "error")
    assert set(rows_from(seeded, result.upload_id).values()) == {0}


def test_every_domain_has_bad_files():
    assert set(DOMAINS) <= {p.values[0].domain for p in CASES}
    assert len({p.id for p in CASES}) == len(CASES) >= 45
    assert len({p.values[0].data for p in CASES}) == len(CASES), "every case is a distinct file"


WARNINGS = [
    pytest.param(GA, csv(GA, row(GA, 0, assessment_date="2024-03-01")),
                 2, "assessment_date", "2024-03-01", "visit_window", id="assessment-outside-its-visit-window"),
    pytest.param(AE, csv(AE, good(AE, 2), row(AE, 1, pt="Alopecia", soc="Other")),
                 3, "pt", "Alopecia", "pt_coded", id="ae-term-not-in-the-coding-list"),
    pytest.param(AE, csv(AE, good(AE, 2), row(AE, 1, soc="Skin and subcutaneous tissue disorders")),
                 3, "soc", "Skin and subcutaneous tissue disorders", "soc_matches_pt", id="ae-soc-not-that-of-its-pt"),
    pytest.param("procedures", csv("procedures", row("procedures", 0, subject_id="S01-001")),
                 2, "subject_id", "S01-001", "session_arm", id="session-for-a-subject-without-microneedling"),
    pytest.param("subjects", csv("subjects", row("subjects", 0, subject_id="S02-009")),
                 2, "subject_id", "S02-009", "subject_site_prefix", id="subject-id-not-starting-with-its-site"),
    pytest.param("subjects", csv("subjects", good("subjects", 2), row("subjects", 1, screening_date="2024-02-01")),
                 3, "screening_date", "2024-02-01", "screened_before_consent", id="screened-before-consent"),
]


DISCONTINUED = csv("disposition", row("disposition", 1))  # S01-002 left the study on 2024-03-01


@pytest.mark.parametrize(("domain", "data", "line", "column", "value", "rule", "says"), [
    pytest.param("procedures", csv("procedures", good("procedures", 2), row("procedures", 1, session_date="2024-03-05")),
                 3, "session_date", "2024-03-05", "session_after_discontinuation", ["2024-03-01"], id="session-after-discontinuation"),
    pytest.param(GA, csv(GA, row(GA, 0, subject_id="S01-002", visit="WEEK_12", assessment_date="2024-04-10")),
                 2, "assessment_date", "2024-04-10", "assessment_after_discontinuation", ["2024-03-01"],
                 id="assessment-after-discontinuation"),
])
def test_a_record_after_the_subject_left_the_study_is_a_warning(seeded, domain, data, line, column, value, rule, says):
    assert load(seeded, DISCONTINUED, "disposition", name="disposition.csv").status == "loaded"
    result = load(seeded, data, domain)
    assert result.status == "loaded", sentences(result.findings)
    assert_reported(result, line, column, value, rule, says, severity="warning")


def test_a_disposition_before_the_last_record_is_a_warning(seeded):
    assert load(seeded, csv("procedures", *GOOD["procedures"]), "procedures", name="procedures.csv").status == "loaded"
    result = load(seeded, csv("disposition", row("disposition", 1, status_date="2024-01-20")), "disposition")
    assert result.status == "loaded", sentences(result.findings)
    assert_reported(result, 2, "status_date", "2024-01-20", "disposition_before_last_record",
                    ["microneedling session", "2024-01-24"], severity="warning")


@pytest.mark.parametrize(("domain", "data", "line", "column", "value", "rule"), WARNINGS)
def test_a_warning_loads_the_file_and_is_kept_for_monitors(seeded, domain, data, line, column, value, rule):
    result = load(seeded, data, domain)

    assert result.status == "loaded", sentences(result.findings)
    assert result.errors == []
    assert_reported(result, line, column, value, rule, severity="warning")
    assert_logged_and_stored(seeded, result, line, column, value, rule, "warning")
    assert sum(rows_from(seeded, result.upload_id).values()) == result.inserted > 0


def test_every_bad_line_of_a_file_is_reported_at_its_own_line(seeded):
    """Five different faults on five lines, after blank lines and a quoted line break: five findings."""
    rows = [
        row(HC, 0, evaluator_id='"EV1\nsecond evaluator"'),  # lines 2-3
        "",  # line 4
        row(HC, 1, hair_count="-3", terminal_count="", vellus_count=""),  # line 5
        row(HC, 1, visit="WEEK_8", assessment_date="03/06/2024"),  # line 6
        "",  # line 7
        row(HC, 1, visit="WEEK_12", assessment_date="2024-04-03", subject_id="S01-099"),  # line 8
        row(HC, 1, visit="WEEK_24", assessment_date="2024-06-26", area_cm2="0"),  # line 9
        row(HC, 1, visit="WEEK_12", assessment_date="2024-04-03", region="SCALP"),  # line 10
    ]
    before = snapshot(seeded)

    result = load(seeded, csv(HC, *rows), HC)

    assert result.status == "rejected"
    expected = [
        (5, "hair_count", "-3", "below_minimum"),
        (6, "assessment_date", "03/06/2024", "ambiguous_date"),
        (8, "subject_id", "S01-099", "subject_exists"),
        (9, "area_cm2", "0", "not_above_minimum"),
        (10, "region", "SCALP", "not_allowed"),
    ]
    assert [(f.line, f.column, f.value, f.rule) for f in result.errors] == expected, sentences(result.findings)
    for line, column, value, rule in expected:
        assert_reported(result, line, column, value, rule)
    assert snapshot(seeded) == before
    assert seeded.scalar("SELECT errors FROM uploads WHERE upload_id = $id", {"id": result.upload_id}) == 5


# --------------------------------------------------------------------------- the command line
@pytest.fixture
def cli_db(tmp_path):
    """A database made by `trial init`, and a subjects file whose line 3 has an age of 17."""
    db = tmp_path / "cli.duckdb"
    made = CliRunner().invoke(trial_cli, ["init", "--db", str(db), "--user", "tester"])
    assert made.exit_code == 0, made.output
    bad = tmp_path / "subjects.csv"
    bad.write_bytes(csv("subjects", good("subjects", 2), row("subjects", 1, age="17")))
    return db, bad


def test_trial_load_prints_the_sentence_and_exits_1_for_a_bad_file(cli_db):
    db, bad = cli_db

    ran = CliRunner().invoke(trial_cli, ["load", str(bad), "--domain", "subjects", "--db", str(db), "--user", "tester"])

    assert ran.exit_code == 1, ran.output
    assert "REJECTED" in ran.stdout
    assert "line 3, age: 17 is outside the allowed range 18 to 80" in ran.stdout
    with Store.open(db, read_only=True) as store:
        assert store.scalar("SELECT count(*) FROM subjects") == 0
        assert store.scalar("SELECT status FROM uploads") == "rejected"


def test_trial_load_json_gives_the_findings_as_parseable_json(cli_db):
    db, bad = cli_db

    ran = CliRunner().invoke(trial_cli, ["load", str(bad), "--format", "json", "--db", str(db), "--user", "tester"])

    assert ran.exit_code == 1, ran.output
    [upload] = json.loads(ran.stdout)
    assert (upload["status"], upload["domain"], upload["errors"]) == ("rejected", "subjects", 1)
    [finding] = upload["findings"]
    assert {k: finding[k] for k in ("line", "column", "value", "rule", "severity")} == {
        "line": 3, "column": "age", "value": "17", "rule": "out_of_range", "severity": "error"
    }
    assert finding["sentence"].startswith("line 3, age: 17")
