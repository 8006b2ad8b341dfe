"""Run a domain's pandera schema on typed rows and turn its failure cases into findings.

The typed frame's index is the file line, so pandera's failure ``index`` *is* the line. Each
failure becomes one sentence: built-in checks by their name and statistics, custom checks by their
``error`` text, row rules (dataframe checks) by their template filled from that row.

Every rule looks at one row, so the rows are validated a slice at a time: pandera's table of
failure cases then stays small however bad the file, and only the failures the budget lists
become findings (the others are counted).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc

from schemas import Domain, schema_for
from trial import findings as fd
from trial.ingest.csvfile import LINE

_TEMPLATES = {
    "greater_than_or_equal_to": ("below_minimum", "{value} is below the minimum {min_value}"),
    "less_than_or_equal_to": ("above_maximum", "{value} is above the maximum {max_value}"),
    "greater_than": ("not_above_minimum", "{value} must be greater than {min_value}"),
    "less_than": ("not_below_maximum", "{value} must be less than {max_value}"),
    "in_range": ("out_of_range", "{value} is outside the allowed range {min_value} to {max_value}"),
    "isin": ("not_allowed", "{value} is not one of the allowed values: {allowed}"),
    "str_matches": ("bad_format", "{value} is not a valid identifier (letters and digits, e.g. S01 or S01-001)"),
}


_NANOSECONDS_END = pd.Timestamp.max.floor("D")
ROWS_PER_SLICE = 250_000


def _listing(values, most: int = 12) -> str:
    values = [str(v) for v in values]
    if len(values) <= most:
        return ", ".join(values)
    return ", ".join(values[:most]) + f", … ({len(values)} in all)"


def to_frame(typed: pa_arrow.Table) -> pd.DataFrame:
    """The typed rows as pandas, indexed by file line; dates as timestamps, integers nullable."""
    frame = typed.to_pandas(types_mapper={pa_arrow.int64(): pd.Int64Dtype()}.get, date_as_object=False)
    frame.index = frame.pop(LINE).astype("int64").to_numpy()
    for name in frame.columns:
        # pandera checks nanosecond dates faster; nanoseconds end in 2262, so a date like
        # 9999-12-31 (an error, reported as in the future) keeps its column in milliseconds.
        if frame[name].dtype.kind == "M" and not (frame[name] >= _NANOSECONDS_END).any():
            frame[name] = frame[name].astype("datetime64[ns]")
    return frame


def validate_rows(typed: pa_arrow.Table, domain: Domain, study, budget: fd.Budget | None = None,
                  unfit: dict[str, pa_arrow.Array] | None = None) -> list[fd.Finding]:
    """Findings for the typed rows (``_line`` holds each row's file line) that break the domain's
    rules. ``unfit``: for a column, the rows whose cell did not fit its kind (already reported; a
    required cell there is not reported as empty too)."""
    budget = budget or fd.Budget()
    schema = schema_for(domain, study)
    out: list[fd.Finding] = []
    for start in range(0, typed.num_rows, ROWS_PER_SLICE):
        part = typed.slice(start, ROWS_PER_SLICE)
        lines = part.column(LINE).combine_chunks()
        reported = {name: pc.filter(lines, rows.slice(start, ROWS_PER_SLICE).combine_chunks()).to_numpy()
                    for name, rows in (unfit or {}).items()}
        frame = to_frame(part)
        try:
            schema.validate(frame, lazy=True)
        except pa.errors.SchemaErrors as exc:
            out += _explain(exc.failure_cases, schema, frame, budget, reported)
    return out


def _explain(cases: pd.DataFrame, schema: pa.DataFrameSchema, frame: pd.DataFrame, budget: fd.Budget,
             reported: dict[str, np.ndarray]) -> list[fd.Finding]:
    out: list[fd.Finding] = []
    row_rule_cases = cases[cases["schema_context"] == "DataFrameSchema"]
    for check_number, group in row_rule_cases.groupby("check_number", dropna=True):
        check = schema.checks[int(check_number)]
        lines = sorted(set(group["index"].dropna().astype(int)))
        for line in lines[: budget.take(check.name, fd.Severity.ERROR, len(lines))]:
            row = frame.loc[line]
            values = {name: fd.show(row[name]) or "(empty)" for name in frame.columns}
            out.append(fd.error(line, check.title, row[check.title], check.name, check.error.format(**values)))
    column_cases = cases[cases["schema_context"] == "Column"]
    for (column, check_name, check_number), group in column_cases.groupby(["column", "check", "check_number"], dropna=False, sort=False):
        if group["index"].isna().any():
            raise RuntimeError(f"unexpected schema failure on {column}: {check_name}")
        if check_name == "not_nullable":
            rule, check = "required", None
            if column in reported:
                group = group[~group["index"].astype(int).isin(reported[column])]
        else:
            check = schema.columns[column].checks[int(check_number)]
            rule = _TEMPLATES[check.name][0] if check.name in _TEMPLATES else check.name
        for case in group.head(budget.take(rule, fd.Severity.ERROR, len(group))).itertuples(index=False):
            out.append(_column_finding(int(case.index), column, case.failure_case, rule, check))
    return out


def _column_finding(line: int, column: str, failure_case, rule: str, check) -> fd.Finding:
    if check is None:
        return fd.error(line, column, None, "required", f"{column} is required but the cell is empty")
    value = fd.show(failure_case)
    if check.name in _TEMPLATES:
        template = _TEMPLATES[check.name][1]
        stats = dict(check.statistics or {})
        if "allowed_values" in stats:
            stats["allowed"] = _listing(stats["allowed_values"])
        return fd.error(line, column, value, rule, template.format(value=value, **stats))
    return fd.error(line, column, value, check.name, (check.error or check.name).format(value=value))
