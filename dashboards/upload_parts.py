"""Parts of the Upload page: the verdict on a file, its findings as a filterable table, the
corrections it would make, the outcome of a load, and the data dictionary for a first-time user."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboards import ui
from schemas import DOMAINS
from trial.ingest import ALREADY_LOADED, CHECKED, LOADED, REJECTED, UploadResult

GUESS = "guess"
LOADABLE = (CHECKED,)
FINDING_COLUMNS = {"line": "Line", "column": "Column", "value": "Value", "severity": "Severity", "message": "Problem"}
KIND_WORDS = {"code": "code", "text": "text", "int": "whole number", "decimal": "number", "date": "date (YYYY-MM-DD)"}


def domain_choices(allowed: frozenset[str] | None = None) -> dict[str, str]:
    """The domains to choose from (those ``allowed``, or all), after guessing from the header."""
    return {GUESS: "Guess from each file's header"} | {
        name: f"{name} — {d.description}" for name, d in DOMAINS.items() if allowed is None or name in allowed}


def verdict(result: UploadResult) -> tuple[str, str]:
    """An icon and one sentence on what will happen to the file."""
    warnings = f"; {len(result.warnings)} warning(s) to read below" if result.warnings else ""
    if result.status == CHECKED:
        parts = [f"{result.inserted:,} new row(s)", f"{result.corrected:,} corrected", f"{result.unchanged:,} unchanged"]
        return ":material/check_circle:", f"Ready to load: {', '.join(parts)}{warnings}."
    if result.status == ALREADY_LOADED:
        return ":material/info:", f"Already loaded as upload {result.previous_upload}: nothing to do."
    errors = len(result.errors)
    return ":material/cancel:", (f"Rejected: {errors:,} problem(s) to fix, listed below. Nothing from this file will load "
                                 "until they are fixed; then choose the corrected file again.")


def findings_frame(result: UploadResult) -> pd.DataFrame:
    rows = [{key: getattr(f, key) for key in FINDING_COLUMNS} for f in result.findings]
    frame = pd.DataFrame(rows, columns=list(FINDING_COLUMNS))
    frame["severity"] = frame["severity"].astype(str)
    frame["line"] = frame["line"].astype("Int64")
    return frame


def correction_frame(result: UploadResult) -> pd.DataFrame:
    return pd.DataFrame(
        [{"Line": c.line, "Record": c.key, "Column": c.column, "Before": c.old, "After": c.new} for c in result.changes]
    )


def show_findings(findings: pd.DataFrame, file_name: str) -> None:
    """The findings of one file, filterable by severity, column and text, with a CSV download."""
    st.markdown(f"**Findings** ({len(findings):,})")
    key = f"findings-{file_name}"
    left, middle, right = st.columns([1, 1, 2])
    severities = left.multiselect("Severity", sorted(findings.severity.unique()), key=f"{key}-severity",
                                  placeholder="All severities")
    columns = middle.multiselect("Column", sorted(findings.column.dropna().unique()), key=f"{key}-column",
                                 placeholder="All columns")
    text = right.text_input("Search the problems", key=f"{key}-text", placeholder="e.g. S01-004 or window")
    shown = findings
    if severities:
        shown = shown[shown.severity.isin(severities)]
    if columns:
        shown = shown[shown.column.isin(columns)]
    if text.strip():
        needle = text.strip().lower()
        haystack = shown.value.fillna("").str.lower() + " " + shown.message.str.lower()
        shown = shown[haystack.str.contains(needle, regex=False)]
    st.dataframe(shown.rename(columns=FINDING_COLUMNS), hide_index=True, width="stretch",
                 height=min(38 + 35 * max(len(shown), 1), 420),
                 column_config={"Problem": st.column_config.TextColumn(width="large")})
    stem = file_name.rsplit(".", 1)[0]
    ui.download_csv(findings.rename(columns=FINDING_COLUMNS), f"{stem}-findings.csv", "Download the findings (CSV)",
                    key=f"{key}-download")


def show_outcome(outcome: list | None) -> None:
    """What the last press of Load did (kept across the rerun that refreshes every page)."""
    if not outcome:
        return
    loaded = [o for o in outcome if o[1] == LOADED]
    lines = []
    for name, status, upload_id, inserted, corrected, unchanged in outcome:
        if status == LOADED:
            lines.append(f"- **{name}**: loaded as upload {upload_id}: {inserted:,} new, {corrected:,} corrected, "
                         f"{unchanged:,} unchanged row(s)")
        elif status == ALREADY_LOADED:
            lines.append(f"- **{name}**: already loaded; nothing changed")
        elif status == REJECTED:
            lines.append(f"- **{name}**: rejected when loading (the study changed meanwhile); choose it again to see why")
    (st.success if len(loaded) == len(outcome) else st.warning)(
        f"Loaded {len(loaded)} of {len(outcome)} file(s). Every page now shows the new data.\n\n" + "\n".join(lines)
    )


def show_dictionary() -> None:
    """What each file holds, for a coordinator choosing files for the first time."""
    st.markdown("#### What each file holds")
    st.caption("Load subjects first, then randomization, then the visit files; a batch is put in that order for you. "
               "Columns marked * are required. Dates are written YYYY-MM-DD.")
    rows = [
        {"File (domain)": name, "Holds": d.description, "One row per": ", ".join(d.key),
         "Columns": ", ".join(f"{c.name}{'*' if c.required else ''}" for c in d.columns)}
        for name, d in DOMAINS.items()
    ]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch",
                 column_config={"Columns": st.column_config.TextColumn(width="large")})
