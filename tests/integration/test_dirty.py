"""Dirty mode: every fault the injector writes is reported where its manifest says, and nothing else is.

Clean sources: the example study, a bigger study made of the examples repeated under new subject
ids, and an awkward copy of the examples (CRLF line breaks, quoted commas and line breaks, no final
line break). Each is made dirty with several seeds and rates and loaded into a fresh demo-study
database through the normal upload path.
"""

from __future__ import annotations

import csv
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from synthetic_data import EXAMPLES
from synthetic_data.dirty import CLEAN_DOMAINS, inject_faults
from synthetic_data.faults import ACCEPTED, ERROR, FAULT_KINDS, read_manifest, write_manifest
from trial.ingest.upload import upload_bytes, upload_paths
from trial.store import Store
from trial.study import builtin_study_text

BIGGER_COPIES = 6


def _examples(folder: Path) -> Path:
    folder.mkdir()
    for path in EXAMPLES.glob("*.csv"):
        shutil.copyfile(path, folder / path.name)
    return folder


def _bigger(folder: Path) -> Path:
    """The example study repeated under new subject ids (S01-001 → S01-0001, S01-1001, …)."""
    folder.mkdir()
    for path in EXAMPLES.glob("*.csv"):
        header, *rows = path.read_text(encoding="utf-8").splitlines()
        out = [header]
        for copy in range(BIGGER_COPIES):
            for row in rows:
                row = re.sub(r"\b(S\d\d)-(\d{3})\b", rf"\g<1>-{copy}\g<2>", row)
                out.append(re.sub(r"\bR(\d{3})\b", rf"R{copy}\g<1>", row))
        (folder / path.name).write_text("\n".join(out) + "\n", encoding="utf-8")
    return folder


def _awkward(folder: Path) -> Path:
    """The examples with CRLF line breaks, quoted commas and line breaks, no final line break,
    a study definition and a file that is not a domain."""
    _examples(folder)
    ae = (folder / "adverse_events.csv").read_text(encoding="utf-8")
    ae = ae.replace("itchy scalp,Pruritus", '"itchy\nscalp",Pruritus', 1)
    ae = ae.replace("redness after session", '"redness, after session"')
    (folder / "adverse_events.csv").write_bytes(ae.replace("\n", "\r\n").encode("utf-8"))
    hc = (folder / "hair_counts.csv").read_text(encoding="utf-8")
    (folder / "hair_counts.csv").write_text(hc.rstrip("\n"), encoding="utf-8")
    (folder / "study.toml").write_text(builtin_study_text("demo"), encoding="utf-8")
    (folder / "README.txt").write_text("not a domain file\n", encoding="utf-8")
    return folder


SOURCES = {"examples": _examples, "bigger": _bigger, "awkward": _awkward}
# (source, rate, seed): together they exercise every fault kind (see test_the_cases_cover_every_kind).
CASES = [
    ("examples", 0.3, 1),
    ("examples", 0.3, 2),
    ("examples", 0.3, 3),
    ("examples", 0.05, 4),
    ("examples", 0.3, 4),
    ("bigger", 0.02, 5),
    ("bigger", 0.1, 6),
    ("bigger", 0.3, 7),
    ("awkward", 0.3, 8),
    ("awkward", 0.5, 9),
]


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("clean")
    return {name: make(root / name) for name, make in SOURCES.items()}


def _dirty(sources, tmp_path, source, rate, seed, name="dirty"):
    folder = tmp_path / name
    faults = inject_faults(sources[source], folder, rate, np.random.default_rng(seed))
    return folder, faults


def _cell(fault):
    return (fault.line, fault.column)


def _load_and_compare(folder: Path, faults, tmp_path) -> list:
    """Load a dirty folder into a fresh database of its study; every manifest record is reported
    where it says, and every finding has its record."""
    study = folder / "study.toml"
    study_text = study.read_text(encoding="utf-8") if study.exists() else builtin_study_text("demo")
    with Store.create(tmp_path / "study.duckdb", study_text, user="t") as store:
        results = upload_paths(store, sorted(folder.glob("*.csv")), user="t")
    assert {f.file for f in faults} <= {r.file_name for r in results}
    for result in results:
        mine = [f for f in faults if f.file == result.file_name]
        shown = [(f.sentence, f.rule) for f in result.findings]
        found = {(f.line, f.column, f.rule): f for f in result.findings}
        errors = [f for f in mine if f.expected == ERROR]
        for fault in [f for f in mine if f.expected != ACCEPTED]:
            assert (fault.line, fault.column, fault.rule) in found, (fault, shown)
            finding = found[(fault.line, fault.column, fault.rule)]
            if fault.rule == FAULT_KINDS.get(fault.kind, fault).rule and fault.rule not in ("duplicate_key", "encoding"):
                assert finding.value == fault.value, (fault, finding)
        assert result.status == ("rejected" if errors else "loaded"), (result.file_name, shown)
        accepted_lines = {f.line for f in mine if f.expected == ACCEPTED}
        assert not [f for f in result.findings if f.line in accepted_lines], (mine, shown)
        explained = {_cell(f) for f in mine if f.expected != ACCEPTED}
        unexplained = [f.sentence for f in result.findings if _cell(f) not in explained]
        assert not unexplained, (result.file_name, unexplained, mine)
    return results


@pytest.mark.parametrize(("source", "rate", "seed"), CASES)
def test_every_injected_fault_is_reported_and_nothing_else(sources, tmp_path, source, rate, seed):
    folder, faults = _dirty(sources, tmp_path, source, rate, seed)
    results = _load_and_compare(folder, faults, tmp_path)
    assert sorted(r.file_name for r in results) == sorted(p.name for p in sources[source].glob("*.csv"))


@pytest.mark.parametrize(("scenario", "rate", "seed"), [("dhurat2013", 0.03, 11), ("kumar2018", 0.05, 12), ("starace2019", 0.05, 13)])
def test_dirty_scenarios_match_their_manifest(tmp_path, scenario, rate, seed):
    from synthetic_data.scenarios import write_scenario

    write_scenario(scenario, tmp_path / "clean", seed=seed)
    faults = inject_faults(tmp_path / "clean", tmp_path / "dirty", rate, np.random.default_rng(seed))
    assert [f for f in faults if f.expected == ERROR], "the rate gave no fault to check"
    assert [f for f in faults if f.kind == "visit_outside_window"], "the scenario's own late visits are listed"
    _load_and_compare(tmp_path / "dirty", faults, tmp_path)


def test_the_cases_cover_every_kind(sources, tmp_path):
    seen, knock_on = set(), 0
    for i, (source, rate, seed) in enumerate(CASES):
        _, faults = _dirty(sources, tmp_path, source, rate, seed, name=f"case{i}")
        seen |= {f.kind for f in faults}
        knock_on += sum(f.kind == "negative_count" and f.rule != "below_minimum" for f in faults)
    assert seen == set(FAULT_KINDS)
    assert knock_on, "no negative count that also breaks a cross-column rule"


def test_same_seed_same_bytes_other_seed_other_bytes(sources, tmp_path):
    runs = {}
    for name, seed in (("a", 11), ("b", 11), ("c", 12)):
        folder, faults = _dirty(sources, tmp_path, "bigger", 0.05, seed, name=name)
        manifest = write_manifest(faults, tmp_path / f"{name}-manifest.csv")
        runs[name] = ({p.name: p.read_bytes() for p in sorted(folder.iterdir())}, manifest.read_bytes())
    assert runs["a"] == runs["b"]
    assert runs["a"][0] != runs["c"][0] and runs["a"][1] != runs["c"][1]


def _records(data: bytes) -> list[tuple[int, bytes]]:
    """(first line, raw bytes) of every CSV record, as the file holds it."""
    lines = data.splitlines(keepends=True)
    reader = csv.reader(line.decode("utf-8") for line in lines)
    out, start = [], 0
    for _ in reader:
        out.append((start + 1, b"".join(lines[start : reader.line_num])))
        start = reader.line_num
    return out


def test_clean_files_and_untouched_lines_are_kept_byte_for_byte(sources, tmp_path):
    source = sources["awkward"]
    for seed in (3, 4, 5):
        folder, faults = _dirty(sources, tmp_path, "awkward", 0.3, seed, name=f"dirty{seed}")
        for name in (*(f"{d}.csv" for d in CLEAN_DOMAINS), "study.toml", "README.txt"):
            assert (folder / name).read_bytes() == (source / name).read_bytes()
        whole_file = {f.file for f in faults if FAULT_KINDS[f.kind].scope == "file"}
        for path in sorted(source.glob("*.csv")):
            if path.name in whole_file:
                continue
            mine = [f for f in faults if f.file == path.name]
            copies = {f.line for f in mine if f.kind == "duplicate_key"}
            changed = {f.line for f in mine} - copies
            clean = _records(path.read_bytes())
            dirty = _records((folder / path.name).read_bytes())
            for i, (line, raw) in enumerate(dirty):
                if line in copies:  # a copy of the line before it
                    assert raw.rstrip(b"\r\n") == dirty[i - 1][1].rstrip(b"\r\n")
            kept = [(line, raw) for line, raw in dirty if line not in copies]
            assert len(kept) == len(clean)
            for (line, raw), (_, original) in zip(kept, clean, strict=True):
                if line in changed:
                    assert raw != original
                elif original is clean[-1][1]:  # a copy after the last line may add its line break
                    assert raw in (original, original + b"\n")
                else:
                    assert raw == original, (path.name, line)


def test_rate_zero_copies_everything_unchanged(sources, tmp_path):
    folder, faults = _dirty(sources, tmp_path, "awkward", 0.0, 1)
    assert faults == []
    for path in sorted(sources["awkward"].iterdir()):
        assert (folder / path.name).read_bytes() == path.read_bytes()


def test_manifest_round_trip(sources, tmp_path):
    _, faults = _dirty(sources, tmp_path, "examples", 0.5, 9)
    assert any(f.column is None for f in faults) or any(f.rule is None for f in faults)
    path = write_manifest(faults, tmp_path)
    assert path.name == "manifest.csv"
    assert read_manifest(path) == faults
    assert path.read_text(encoding="utf-8").splitlines()[0] == "file,line,column,kind,rule,expected,value"


def test_an_unreadable_onset_date_is_reported_once(sources, tmp_path):
    """An unreadable onset date is one finding, not also 'resolution before onset'."""
    with Store.create(tmp_path / "study.duckdb", builtin_study_text("demo"), user="t") as store:
        for name in CLEAN_DOMAINS:
            assert upload_bytes(store, (EXAMPLES / f"{name}.csv").read_bytes(), f"{name}.csv", user="t").ok
        ae = (EXAMPLES / "adverse_events.csv").read_text(encoding="utf-8")
        ae = ae.replace("2024-01-29,2024-01-30", "01/29/2024,2024-01-30")
        result = upload_bytes(store, ae.encode(), "adverse_events.csv", user="t", dry_run=True)
    assert [(f.line, f.column, f.rule) for f in result.findings] == [(3, "onset_date", "date_format")]
