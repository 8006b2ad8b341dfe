"""The leak probe (issue 11, acceptance 2): a study with planted canaries, files crafted to provoke
every kind of finding, warning and preview, and the scan for what a reader may not learn.

A **canary** is a value the scan can tell from anything else a reader may legitimately receive:

- *arm*: the arm codes and labels (the control's label is also the start of the study's title,
  which everyone may read: it counts only where the title does not go on);
- *withheld*: what the study withholds from a blinded reader: adverse-event verbatim terms and
  suspected causes, and the microneedling session log (a planted needle depth);
- *site S01* / *site S02*: each site's subject numbers, randomization numbers, evaluator ids and
  the values planted in its rows (a hair count, an evaluator id, a verbatim term, a needle depth).

Randomization numbers are not withheld from blinded readers: the number does not tell the arm (the
list that maps numbers to arms does, and it is withheld); they are another site's values, though.

The canaries are planted by the statistician (and, in the open-label study, by the unblinded site
staff) through the normal upload path: corrections (so the audit trail holds old and new values),
rejected files whose stored findings quote them, sessions of control-arm subjects (warnings that
name the arm), and data queries on them. What a prober wrote in their own files is theirs: a canary
that occurs in the prober's own bytes is not held against them (their file echoed back is no leak).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass, field
from pathlib import Path

from helpers import DOUBLE_BLIND, TEAM_PASSWORD, csv_bytes, team_store

from trial.governance.access import Access
from trial.governance.data_queries import answer_query, close_query, open_query
from trial.governance.unblinding import unblind
from trial.governance.users import account
from trial.ingest.upload import upload_bytes
from trial.store import Store

SUBJECTS = 220  # the smallest `scale` study with two sites (about 110 subjects each)
SITES = ("S01", "S02")
PROBERS = ("mona", "eve", "ada", "sam")  # the blinded roles and a site user (helpers.TEAM)
# who is probed in which study: in the double-blind study the site staff are blinded too (an
# evaluator, a monitor and an administrator are blinded in either)
PROBED = [("open_label", who) for who in PROBERS] + [("double_blind", "sam")]
ALL_KINDS = frozenset({"arm", "withheld", "site S01", "site S02"})
ARM_CODES = ("MINOX", "MINOX_MN")
TITLE_GOES_ON = " with or without"  # "Topical minoxidil 5 % with or without scalp microneedling…" is the title
CAUSES = ("MICRONEEDLING", "MINOXIDIL", "BOTH")  # suspected causes (OTHER is an ordinary word)
PLANTED = {  # site → the values planted in its rows
    "S01": {"hair_count": 1764, "evaluator_id": "EVS01CANARY", "term": "canary verbatim S01", "needle_mm": 2.15},
    "S02": {"hair_count": 1873, "evaluator_id": "EVS02CANARY", "term": "canary verbatim S02", "needle_mm": 2.35},
}
CORRECTION_REASON = "source data verification"
COPY = "probe-copy.csv"  # a prober's copy of the other site's file

HEADERS = {
    "subjects": "site_id,subject_id,screening_date,consent_date,age,sex,diagnosis,severity_scale,severity_grade,fitzpatrick,eligible",
    "randomization": "site_id,subject_id,randomization_date,arm,randomization_number,stratum",
    "hair_counts": "site_id,subject_id,visit,assessment_date,region,area_cm2,hair_count,terminal_count,vellus_count,"
                   "shaft_diameter_um,evaluator_id",
    "pull_tests": "site_id,subject_id,visit,assessment_date,region,hairs_grasped,hairs_extracted",
    "global_assessments": "site_id,subject_id,visit,assessment_date,assessor,score",
    "adverse_events": "site_id,subject_id,ae_seq,term,pt,soc,onset_date,resolution_date,severity,serious,relationship,"
                      "suspected_cause,action_taken,outcome",
    "procedures": "site_id,subject_id,session_date,device,needle_mm,passes,pain_vas,pinpoint_bleeding",
    "disposition": "site_id,subject_id,status,status_date,reason",
}


# --------------------------------------------------------------------------- the scan
@dataclass(frozen=True)
class Canary:
    kind: str  # "arm", "withheld", "site S01", "site S02"
    name: str
    literal: str  # the text itself; found where ``pattern`` matches from its first letter
    pattern: re.Pattern


def _canary(kind: str, name: str, value, *, not_followed_by: str | None = None) -> Canary:
    """A canary for ``value``: a word or number on its own (not inside a longer word or number)."""
    literal = str(value)
    edge = r"(?<![\d.])" if isinstance(value, (int, float)) else r"(?<![\w.])"
    tail = r"(?![\d])" if isinstance(value, (int, float)) else r"(?![\w])" if literal[-1].isalnum() else ""
    if not_followed_by:
        tail += f"(?!{re.escape(not_followed_by)})"
    return Canary(kind, name, literal, re.compile(edge + re.escape(literal) + tail))


def kinds_for(access: Access) -> set[str]:
    """The kinds of canary a reader with ``access`` may not learn."""
    kinds = {"arm", "withheld"} if access.blinded else set()
    if access.sites is not None:
        kinds |= {f"site {s}" for s in SITES if s not in access.sites}
    return kinds


@dataclass(frozen=True)
class Findings:
    """The canaries found in a set of outputs: ``hits[where]`` = [(canary, excerpt), …]."""

    hits: dict[str, list[tuple[Canary, str]]] = field(default_factory=dict)

    @property
    def kinds(self) -> set[str]:
        return {c.kind for found in self.hits.values() for c, _ in found}

    def names(self, kind: str | None = None) -> set[str]:
        return {c.name for found in self.hits.values() for c, _ in found if kind is None or c.kind == kind}

    def among(self, canaries: list[Canary]) -> Findings:
        """Only the hits of these canaries (a scan for all of them once, read for several readers)."""
        keep = set(canaries)
        return Findings({where: kept for where, found in self.hits.items() if (kept := [(c, e) for c, e in found if c in keep])})

    def report(self, most: int = 25) -> str:
        lines = [f"{where}: [{c.kind}] {c.name}: …{excerpt}…" for where, found in self.hits.items() for c, excerpt in found]
        return "\n".join(lines[:most]) + (f"\n… and {len(lines) - most} more" if len(lines) > most else "")


def scan(outputs: dict[str, str], canaries: list[Canary]) -> Findings:
    """Every canary found in every output (``where`` → text): each canary's literal text is looked
    for (a fast search), and each place found is kept if the canary's pattern matches there."""
    hits = {}
    for where, text in outputs.items():
        text = _public_removed(text)
        found = []
        for canary in canaries:
            start = text.find(canary.literal)
            while start >= 0:
                if canary.pattern.match(text, start):
                    found.append((canary, text[max(0, start - 60):start + len(canary.literal) + 60].replace("\n", " ")))
                start = text.find(canary.literal, start + 1)
        if found:
            hits[where] = found
    return Findings(hits)


# what every reader may read that holds a canary's letters: the study's title (it begins with the
# control arm's label), and the example subject numbers of the messages and forms ("e.g. S01-004")
_PUBLIC = re.compile(re.escape("Topical minoxidil 5 %" + TITLE_GOES_ON) + r"|(?:e\.g\.|the convention is) S01(?:-\d{3})?(?: or S01-\d{3})?")


# the random identifiers Streamlit gives elements and deferred downloads (32 hex digits, as in
# deferred_file_id: "d46170131a3f40f6a3ec4f8e33ea1873"): no data in them, but any number's digits
_RANDOM_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


# what a page may put between a label's letters without changing how it reads: a no-break space
# binds "5\u00a0%" (as a character, a JSON escape or an HTML entity), a word joiner or zero-width
# space keeps a link from forming; the scan reads through them, as the reader's eye does
_SPACES = re.compile(r"[\u00a0\u2007\u202f]|\\u00a0|\\u202f|&nbsp;|&#160;|&#xa0;", re.IGNORECASE)
_INVISIBLE = re.compile(r"[\u200b\u200c\u200d\u2060\ufeff]|\\u2060|\\u200b|&#8288;|&zwj;|&zwnj;", re.IGNORECASE)


def _public_removed(text: str) -> str:
    text = _INVISIBLE.sub("", _SPACES.sub(" ", text))
    return _RANDOM_ID.sub("(id)", _PUBLIC.sub("(public text)", text))


# --------------------------------------------------------------------------- the study
@dataclass
class Probe:
    """A probe study on disk: its facts (chosen subjects per site) and its canaries."""

    path: Path
    double_blind: bool
    control: dict[str, str] = field(default_factory=dict)  # site → a randomized control-arm subject
    treated: dict[str, str] = field(default_factory=dict)  # site → a randomized microneedling subject (the canaries' rows)
    unrandomized: dict[str, str] = field(default_factory=dict)  # site → eligible, not randomized (and {site}-902 too)
    screen_failure: dict[str, str] = field(default_factory=dict)
    ae_of: dict[str, tuple[str, int]] = field(default_factory=dict)  # site → the planted adverse event (subject, seq)
    canaries: list[Canary] = field(default_factory=list)
    files: dict[str, dict[str, bytes]] = field(default_factory=dict)  # site → the files crafted for a prober of that site
    site_files: dict[str, bytes] = field(default_factory=dict)  # site → the bytes of a file of its own rows, loaded

    def supplied(self, site: str) -> bytes:
        """What a prober of ``site`` wrote in their files: all of them but the copy of the other
        site's file (which it holds, but did not write: its values stay in the scan)."""
        return b"".join(data for name, data in self.files[site].items() if name != COPY)

    def kinds_for(self, who: str) -> set[str]:
        """The kinds of canary the account ``who`` may not learn in this study."""
        with Store.open(self.path, read_only=True) as store:
            return kinds_for(Access.of(account(store, who)))

    def supplied_by(self, *people: str) -> bytes:
        """What these people wrote in the files they send (see :func:`site_of`)."""
        return b"".join(self.supplied(site_of(who)) for who in people)

    def forbidden(self, kinds: set[str], supplied: bytes | str = b"") -> list[Canary]:
        """The canaries of ``kinds``, but for those found in what the reader supplied themself."""
        mine = supplied.decode("utf-8", "replace") if isinstance(supplied, bytes) else supplied
        return [c for c in self.canaries if c.kind in kinds and not c.pattern.search(mine)]


def build(folder: Path, *, double_blind: bool = False) -> Probe:
    """``folder/study.duckdb``: the team study (helpers.team_store) with the canaries planted."""
    with team_store(folder, subjects=SUBJECTS, blinded_roles=DOUBLE_BLIND if double_blind else None) as store:
        probe = Probe(folder / "study.duckdb", double_blind)
        _choose_subjects(store, probe)
        _plant(store, probe)
        probe.canaries = _canaries(store)
        probe.files = {site: crafted_files(store, probe, site) for site in SITES}
    return probe


def site_of(who: str) -> str:
    """The site whose crafted files ``who`` sends: their own; S01 for those of every site."""
    return "S02" if who == "eve" else "S01"


def _one(store: Store, sql: str, params: dict | None = None):
    rows = store.query(sql, params)
    assert not rows.empty, sql
    return rows.iloc[0]


def _choose_subjects(store: Store, probe: Probe) -> None:
    for site in SITES:
        with_counts = ("SELECT r.subject_id FROM randomization AS r WHERE site_id = $site AND arm = $arm AND EXISTS "
                       "(SELECT 1 FROM hair_counts AS h WHERE h.subject_id = r.subject_id AND visit = 'WEEK_4') "
                       "AND EXISTS (SELECT 1 FROM adverse_events AS a WHERE a.subject_id = r.subject_id) ORDER BY 1")
        probe.control[site] = _one(store, with_counts, {"site": site, "arm": "MINOX"}).subject_id
        probe.treated[site] = _one(store, with_counts, {"site": site, "arm": "MINOX_MN"}).subject_id
        never = "SELECT subject_id FROM subjects WHERE site_id = $site AND eligible = 'N' ORDER BY 1"
        probe.screen_failure[site] = _one(store, never, {"site": site}).subject_id
        event = _one(store, "SELECT subject_id, ae_seq FROM adverse_events WHERE subject_id = $s ORDER BY ae_seq",
                     {"s": probe.treated[site]})
        probe.ae_of[site] = (event.subject_id, int(event.ae_seq))


def row_of(store: Store, table: str, where: str, params: dict) -> dict:
    return _one(store, f"SELECT * FROM {table} WHERE {where}", params).to_dict()


def line(domain: str, row: dict, **changed) -> str:
    """One CSV line of ``domain`` from a stored row, with ``changed`` values."""
    row = dict(row, **changed)

    def cell(value):
        if value is None or value != value:  # None or NaN
            return ""
        if hasattr(value, "date"):
            return value.date().isoformat()
        return str(value)

    out = io.StringIO()
    csv.writer(out, lineterminator="").writerow([cell(row.get(c)) for c in HEADERS[domain].split(",")])
    return out.getvalue()


def _load(store: Store, who: str, domain: str, lines: list[str], name: str, *, expect: str, reason: str | None = None):
    scope = None
    if who != "stat":
        from trial.governance.access import UploadScope

        scope = UploadScope.of(account(store, who))
    result = upload_bytes(store, csv_bytes(HEADERS[domain], lines), name, user=who, reason=reason, scope=scope)
    assert result.status == expect, (name, result.status, [f.sentence for f in result.findings])
    return result


def _plant(store: Store, probe: Probe) -> None:
    """The canaries, planted through the normal upload path, and the findings and queries that quote them."""
    screened = [f"{site},{site}-{n},2023-03-02,2023-03-02,40,F,AGA,LUDWIG,II,III,Y" for site in SITES for n in (901, 902)]
    _load(store, "stat", "subjects", screened, "screened-late.csv", expect="loaded")  # eligible, not randomized
    for site in SITES:
        probe.unrandomized[site] = f"{site}-901"
    hair = {site: row_of(store, "hair_counts", "subject_id = $s AND visit = 'WEEK_4' AND region = 'TARGET'",
                         {"s": probe.treated[site]}) for site in SITES}
    for site in SITES:  # each site's canaries in a file of its own: corrections, so the trail holds old and new
        planted = PLANTED[site]
        canary = [line("hair_counts", hair[site], hair_count=planted["hair_count"], evaluator_id=planted["evaluator_id"])]
        _load(store, "stat", "hair_counts", canary, f"canary-hair-{site}.csv", expect="loaded", reason=CORRECTION_REASON)
        probe.site_files[site] = csv_bytes(HEADERS["hair_counts"], canary)
        subject, seq = probe.ae_of[site]
        event = row_of(store, "adverse_events", "subject_id = $s AND ae_seq = $q", {"s": subject, "q": seq})
        _load(store, "stat", "adverse_events", [line("adverse_events", event, term=planted["term"], suspected_cause="BOTH")],
              f"canary-ae-{site}.csv", expect="loaded", reason=CORRECTION_REASON)
        rand = row_of(store, "randomization", "subject_id = $s", {"s": probe.treated[site]})
        session = rand["randomization_date"] + dt.timedelta(days=200)  # after every scheduled session
        _load(store, "stat", "procedures", [f"{site},{probe.treated[site]},{session.date()},ROLLER,{planted['needle_mm']},12,4,N"],
              f"canary-session-{site}.csv", expect="loaded")

    # findings that quote the canaries, kept with their uploads for later readers
    for site in SITES:
        quoter = "sam" if site == "S01" and not probe.double_blind else "stat"  # the unblinded site staff, or the statistician
        planted = PLANTED[site]
        control = row_of(store, "randomization", "subject_id = $s", {"s": probe.control[site]})
        session = control["randomization_date"] + dt.timedelta(days=10)
        _load(store, quoter, "procedures", [f"{site},{probe.control[site]},{session.date()},ROLLER,1.5,10,3,N"],
              f"session-control-{site}.csv", expect="loaded")  # session_arm: "… is in arm MINOX"
        subject, seq = probe.ae_of[site]
        event = row_of(store, "adverse_events", "subject_id = $s AND ae_seq = $q", {"s": subject, "q": seq})
        _load(store, quoter, "adverse_events", [line("adverse_events", event, term="redness", suspected_cause="MINOXIDIL")],
              f"ae-no-reason-{site}.csv", expect="rejected")  # "… term = canary verbatim …", "suspected_cause = BOTH"
        treated = row_of(store, "randomization", "subject_id = $s", {"s": probe.treated[site]})
        _load(store, quoter, "randomization", [line("randomization", treated, arm="MINOX")],
              f"arm-flip-{site}.csv", expect="rejected")  # allocation_immutable: "… arm = MINOX_MN"
        _load(store, "stat", "hair_counts", [line("hair_counts", hair[site], hair_count=planted["hair_count"] + 1)],
              f"hair-no-reason-{site}.csv", expect="rejected")  # "… hair_count = 1873"
    # the evaluator of S02 quotes her own site's canary (a file S01 must not read)
    _load(store, "eve", "hair_counts", [line("hair_counts", hair["S02"], hair_count=PLANTED["S02"]["hair_count"] - 1,
                                             evaluator_id=PLANTED["S02"]["evaluator_id"])],
          "eve-no-reason.csv", expect="rejected")
    # one file with both sites' rows, loaded with warnings at each (visit_window)
    late = []
    for site in SITES:
        rand = row_of(store, "randomization", "subject_id = $s", {"s": probe.control[site]})
        week4 = row_of(store, "hair_counts", "subject_id = $s AND visit = 'WEEK_4' AND region = 'TARGET'", {"s": probe.control[site]})
        late.append(line("hair_counts", week4, assessment_date=rand["randomization_date"] + dt.timedelta(days=45)))
    _load(store, "stat", "hair_counts", late, "both-sites-late.csv", expect="loaded", reason="dates from the source")
    # a line claiming S01 for S02's canary row (rejected: subject_site, and the comparison quotes S02's
    # values): kept with site S01 on its line, a trap for S01's readers
    claimed = line("hair_counts", hair["S02"], site_id="S01", hair_count=PLANTED["S02"]["hair_count"] + 3)
    _load(store, "stat", "hair_counts", [claimed], "claimed-for-S01.csv", expect="rejected")

    _queries(store, probe)
    if probe.double_blind:  # the investigator learns one subject's arm; monitors are told, without it
        unblind(store, account(store, "sam"), probe.control["S01"], "severe scalp reaction", password=TEAM_PASSWORD)


def _queries(store: Store, probe: Probe) -> None:
    stat, sam, eve = (account(store, n) for n in ("stat", "sam", "eve"))
    opened = {}
    for site in SITES:
        treated = probe.treated[site]
        subject, seq = probe.ae_of[site]
        points = {
            "hair_count": ("hair_counts", f"{treated} / WEEK_4 / TARGET", "hair_count"),
            "evaluator": ("hair_counts", f"{treated} / WEEK_4 / TARGET", "evaluator_id"),
            "arm": ("randomization", treated, "arm"),
            "term": ("adverse_events", f"{subject} / {seq}", "term"),
            "cause": ("adverse_events", f"{subject} / {seq}", "suspected_cause"),
        }
        for what, (table, key, column) in points.items():
            opened[site, what] = open_query(store, stat, subject_id=key.split(" / ")[0], table_name=table, record_key=key,
                                            column_name=column, text=f"Please check this {column} against the source")
    answer_query(store, eve, opened["S02", "hair_count"], "Checked against the source: as entered")
    if not probe.double_blind:
        answer_query(store, sam, opened["S01", "term"], "Checked against the source: as entered")
    answer_query(store, sam, opened["S01", "evaluator"], "The evaluator signed the sheet")
    close_query(store, stat, opened["S01", "evaluator"], "Settled")


def _canaries(store: Store) -> list[Canary]:
    out = [_canary("arm", code, code) for code in ARM_CODES]
    title = store.study.study.title
    out += [_canary("arm", arm.label, arm.label, not_followed_by=TITLE_GOES_ON if title.startswith(arm.label) else None)
            for arm in store.study.arms]
    out += [_canary("withheld", cause, cause) for cause in CAUSES]
    coded = {pt.lower() for pt in store.query("SELECT pt FROM study_coding").pt}
    for term in store.query("SELECT DISTINCT term FROM adverse_events ORDER BY 1").term:
        if term.lower() not in coded:  # a verbatim term that is also a preferred term is not withheld (the PT shows)
            out.append(_canary("withheld", f"verbatim {term!r}", term))
    for site in SITES:
        planted = PLANTED[site]
        out.append(_canary("withheld", f"needle depth {planted['needle_mm']} (session log)", planted["needle_mm"]))
        kind = f"site {site}"
        out += [_canary(kind, f"planted {name} {value}", value) for name, value in planted.items()]
        facts = store.query("SELECT s.subject_id, r.randomization_number FROM subjects AS s LEFT JOIN randomization AS r "
                            "USING (subject_id) WHERE s.site_id = $site", {"site": site})
        out += [_canary(kind, f"subject {s}", s) for s in facts.subject_id]
        out += [_canary(kind, f"randomization number {n}", n) for n in facts.randomization_number.dropna()]
        evaluators = store.query("SELECT DISTINCT evaluator_id FROM hair_counts WHERE site_id = $site AND evaluator_id IS NOT NULL",
                                 {"site": site}).evaluator_id
        out += [_canary(kind, f"evaluator {e}", e) for e in evaluators if e != planted["evaluator_id"]]
    return out


# --------------------------------------------------------------------------- the crafted files
def crafted_files(store: Store, probe: Probe, site: str) -> dict[str, bytes]:
    """Files a prober of ``site`` sends, crafted to provoke every kind of finding, warning and
    correction preview: unreadable and garbled files, every cell and pandera rule, every edit check,
    duplicate keys, corrections, an arm change, rows of the other site, the other site's keys and
    randomization numbers, a subject of the other site claimed as the site's own, and a file of the
    other site byte for byte. Codes that tell the arm or are withheld are written in lower case (the
    reader takes codes in any case): the scan then still finds the stored, capitalised value."""
    other = next(s for s in SITES if s != site)
    control, treated, unrandomized = probe.control[site], probe.treated[site], probe.unrandomized[site]
    theirs = probe.treated[other]

    def stored(table: str, where: str, **params) -> dict:
        return row_of(store, table, where, params)

    rand = {s: stored("randomization", "subject_id = $s", s=s) for s in (control, treated, theirs)}

    def day(subject: str, days: int) -> str:
        return (rand[subject]["randomization_date"] + dt.timedelta(days=days)).date().isoformat()

    hair = stored("hair_counts", "subject_id = $s AND visit = 'WEEK_4' AND region = 'TARGET'", s=treated)
    their_hair = stored("hair_counts", "subject_id = $s AND visit = 'WEEK_4' AND region = 'TARGET'", s=theirs)
    pull = stored("pull_tests", "subject_id = $s ORDER BY visit, region", s=treated)
    glob = stored("global_assessments", "subject_id = $s ORDER BY visit, assessor", s=treated)
    session = stored("procedures", "subject_id = $s ORDER BY session_date", s=treated)
    subject, seq = probe.ae_of[site]
    event = stored("adverse_events", "subject_id = $s AND ae_seq = $q", s=subject, q=seq)
    their_subject, their_seq = probe.ae_of[other]
    their_event = stored("adverse_events", "subject_id = $s AND ae_seq = $q", s=their_subject, q=their_seq)
    person = stored("subjects", "subject_id = $s", s=control)
    their_person = stored("subjects", "subject_id = $s", s=theirs)
    disposition = stored("disposition", "subject_id = $s", s=treated)
    left = stored("disposition", "site_id = $site AND status = 'DISCONTINUED' ORDER BY subject_id", site=site)
    gone = (left["status_date"] + dt.timedelta(days=5)).date().isoformat()  # after the subject left the study
    their_number = rand[theirs]["randomization_number"]
    evaluator = f"EV-{site}"

    def file(domain: str, rows: list[str]) -> bytes:
        return csv_bytes(HEADERS[domain], rows)

    files = {
        "empty.csv": b"",
        "blank-lines.csv": b"\n\n \n",
        "not-utf8.csv": file("hair_counts", [f"{site},{treated},WEEK_8,{day(treated, 56)},TARGET,1,150,,,,"]) + b"\xff\xfe\n",
        "header-only.csv": file("hair_counts", []),
        "unknown-header.csv": b"patient,when,what\n1,2,3\n",
        "bad-header.csv": f"site_id,subject_id,visit,visit,assessment_date,colour\n{site},{treated},WEEK_8,WEEK_8,{day(treated, 56)},red\n"
                          .encode(),
        "ragged.csv": file("hair_counts", [f"{site},{treated},WEEK_8,{day(treated, 56)},TARGET,1,150,,,,{evaluator},extra",
                                           f'{site},{treated},WEEK_12,"{day(treated, 84)},TARGET,1,150']),
        "hair-cells.csv": file("hair_counts", [
            f"{site},{treated},WEEK_8,03/04/2023,TARGET,1,150,,,,{evaluator}",  # ambiguous date
            f"{site},{treated},WEEK_12,2099-01-01,FRONTAL,1,abc,,,,{evaluator}",  # future date, not a number
            f'{site},{treated},WEEK_12,2023-02-30,VERTEX,"1,5",-3,,,5,{evaluator}',  # no such date, decimal comma, below minimum
            f"{site},{treated},WEEK_24,{day(treated, 168)},OCCIPITAL,1,2500,12.5,,,{evaluator}",  # above maximum, not whole
            f"{site},bad_id!,WEEK_8,{day(treated, 56)},TARGET,1,150,,,,{evaluator}",  # bad identifier
            f"{site},{treated},WEEK_99,{day(treated, 56)},TARGET,0,#N/A,,,,{evaluator}",  # unknown visit, zero area, #N/A
            f"{site},{treated},WEEK_8,{day(treated, 56)},FRONTAL,1,100,90,20,,{evaluator}",  # terminal + vellus > count
            f"{site},{treated},WEEK_8,{day(treated, 56)},,1,,,,,{evaluator}",  # required cells empty
            f"{site},{treated},WEEK_8,yesterday,VERTEX,1,150,,,,{evaluator}",  # not a date at all
        ]),
        "hair-study.csv": file("hair_counts", [
            f"{site},{site}-999,BASELINE,2023-01-02,TARGET,1,150,,,,{evaluator}",  # subject_exists
            f"{site},{unrandomized},BASELINE,2023-03-03,TARGET,1,150,,,,{evaluator}",  # subject_randomized
            f"{site},{treated},WEEK_8,{day(treated, -3)},FRONTAL,1,150,,,,{evaluator}",  # assessment_before_randomization
            f"{site},{treated},WEEK_12,{day(treated, 120)},FRONTAL,1,150,,,,{evaluator}",  # visit_window (warning)
            f"{site},{treated},WEEK_24,{day(treated, 168)},FRONTAL,1,150,,,,{evaluator}",
            f"{site},{treated},WEEK_24,{day(treated, 168)},FRONTAL,1,151,,,,{evaluator}",  # duplicate_key
            line("hair_counts", their_hair, hair_count=200, evaluator_id="EV-X"),  # the other site's row: upload_scope
            line("hair_counts", their_hair, site_id=site, hair_count=200, evaluator_id="EV-X"),  # their subject claimed: key_outside_view
        ]),
        "hair-correction.csv": file("hair_counts", [line("hair_counts", hair, hair_count=PLANTED[site]["hair_count"] + 2,
                                                         evaluator_id=evaluator)]),  # corrections of the site's canaries
        "pull.csv": file("pull_tests", [
            line("pull_tests", pull, hairs_extracted=int(pull["hairs_extracted"]) + 1),  # a correction
            f"{site},{treated},WEEK_24,{day(treated, 168)},FRONTAL,50,60",  # extracted > grasped
            f"{site},{treated},WEEK_24,{day(treated, 168)},OCCIPITAL,10,1",  # grasped below the minimum
            f"{other},{theirs},WEEK_24,{day(theirs, 168)},FRONTAL,50,5",  # the other site's row
        ]),
        "global.csv": file("global_assessments", [
            line("global_assessments", glob, score=-int(glob["score"]) or 1),  # a correction
            f"{site},{treated},WEEK_24,{day(treated, 168)},INVESTIGATOR,5",  # above the maximum
            f"{site},{treated},WEEK_24,{day(treated, 168)},DOCTOR,1",  # not an assessor
            f"{site},{treated},WEEK_24,{day(treated, 168)},PATIENT,1",
            f"{site},{treated},WEEK_24,{day(treated, 168)},PATIENT,2",  # duplicate_key
            f"{site},{left['subject_id']},WEEK_24,{gone},INVESTIGATOR,1",  # assessment_after_discontinuation (warning)
        ]),
        "subjects.csv": file("subjects", [
            f"{site},{site}-950,2023-03-02,2023-03-02,33,M,AGA,NORWOOD,III,IV,Y",  # a new subject
            f"{site},ZZ-951,2023-03-02,2023-03-02,33,M,AGA,NORWOOD,III,IV,Y",  # subject_site_prefix (warning)
            line("subjects", their_person, site_id=site, age=int(their_person["age"]) + 1),  # their subject claimed: key_outside_view
            line("subjects", person, age=int(person["age"]) + 1),  # a correction
            f"{site},{site}-952,2023-03-01,2023-01-02,33,M,AGA,NORWOOD,IX,IV,Y",  # consent long before; grade not on scale
            f"{site},{site}-953,2099-03-01,2023-03-02,33,Q,AGA,,III,IV,Y",  # future; sex; grade without scale
            f"{site},{site}-954,2023-03-01,2023-03-02,33,M,AGA,NORWOOD,III,IV,Y",  # screened_before_consent (warning)
            line("subjects", their_person, age=int(their_person["age"]) + 1),  # the other site's row
        ]),
        "randomization.csv": file("randomization", [
            line("randomization", rand[control], arm="minox_mn"),  # an arm change: allocation_immutable
            f"{site},{probe.screen_failure[site]},2023-03-05,minox,,",  # subject_eligible
            f"{site},{unrandomized},2023-03-01,minox,{rand[control]['randomization_number']},",  # before consent; number taken here
            f"{site},{site}-902,2023-03-05,minox_mn,{their_number},",  # number taken at the other site: unique_outside_view
            f"{site},{site}-999,2023-03-05,minox,,",  # subject_exists
            line("randomization", rand[theirs], arm="minox"),  # the other site's row
        ]),
        "sessions.csv": file("procedures", [
            f"{site},{control},{day(control, 30)},ROLLER,1.5,10,3,N",  # session_arm (warning): a control subject's session
            f"{site},{treated},{day(treated, -5)},ROLLER,1.5,10,3,N",  # session_after_randomization
            f"{site},{treated},{day(treated, 201)},NEEDLE,3.0,0,11,X",  # not a device, above/below limits
            f"{site},{left['subject_id']},{gone},ROLLER,1.5,10,3,N",  # session_after_discontinuation (warning)
            line("procedures", session, pain_vas=(int(session["pain_vas"]) + 1) % 10),  # a correction
            f"{other},{theirs},{day(theirs, 201)},ROLLER,1.5,10,3,N",  # the other site's row
        ]),
        "adverse-events.csv": file("adverse_events", [
            line("adverse_events", event, term="probe term", suspected_cause="minoxidil", severity="SEVERE"),  # a correction
            f"{site},{control},9,headache,Headache,Nervous system disorders,2022-01-01,,MILD,N,UNLIKELY,minoxidil,NONE,RECOVERED",
            f"{site},{control},10,probe term,Alopecia flare,Skin and subcutaneous tissue disorders,{day(control, 20)},,MILD,N,"
            "POSSIBLE,,NONE,RECOVERED",  # pt_coded (warning)
            f"{site},{control},11,probe term,Pain,Skin and subcutaneous tissue disorders,{day(control, 20)},{day(control, 10)},"
            "MILD,N,POSSIBLE,,NONE,FATAL",  # soc_matches_pt (warning); resolved before onset; fatal but not serious
            line("adverse_events", their_event, site_id=site, term="probe term", suspected_cause="both", severity="SEVERE"),  # claimed
            line("adverse_events", their_event, term="probe term", suspected_cause="both", severity="SEVERE"),  # the other site's row
        ]),
        "disposition.csv": file("disposition", [
            line("disposition", disposition, status="DISCONTINUED", reason="OTHER"),  # a correction
            f"{site},{control},COMPLETED,2022-01-01,",  # status_after_randomization
            f"{site},{unrandomized},DISCONTINUED,2023-04-01,",  # subject_randomized; no reason
            f"{other},{theirs},COMPLETED,2023-09-01,",  # the other site's row
        ]),
        COPY.removeprefix("probe-"): probe.site_files[other],  # the other site's file, byte for byte (loaded by the statistician)
    }
    return {f"probe-{name}": data for name, data in files.items()}
