"""Run a domain's pandera schema on typed rows and turn its failure cases into findings.

The typed frame's index is the file line, so pandera's failure ``index`` *is* the line. Each
failure becomes one sentence: built-in checks by their name and statistics, custom checks by their
``error`` text, row rules (dataframe checks) by their template filled from that row.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow

from schemas import Domain, schema_for
from trial import findings as fd
from trial.csvfile import LINE

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


def validate_rows(frame: pd.DataFrame, domain: Domain, study) -> list[fd.Finding]:
    schema = schema_for(domain, study)
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        return _explain(exc.failure_cases, schema, frame)
    return []


def _explain(cases: pd.DataFrame, schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[fd.Finding]:
    out: list[fd.Finding] = []
    row_rule_cases = cases[cases["schema_context"] == "DataFrameSchema"]
    for check_number, group in row_rule_cases.groupby("check_number", dropna=True):
        check = schema.checks[int(check_number)]
        for line in sorted(set(group["index"].dropna().astype(int))):
            row = frame.loc[line]
            values = {name: fd.show(row[name]) or "(empty)" for name in frame.columns}
            out.append(fd.error(line, check.title, row[check.title], check.name, check.error.format(**values)))
    for case in cases[cases["schema_context"] == "Column"].itertuples(index=False):
        if pd.isna(case.index):
            raise RuntimeError(f"unexpected schema failure on {case.column}: {case.check}")
        line = int(case.index)
        if case.check == "not_nullable":
            out.append(fd.error(line, case.column, None, "required", f"{case.column} is required but the cell is empty"))
            continue
        check = schema.columns[case.column].checks[int(case.check_number)]
        value = fd.show(case.failure_case)
        if check.name in _TEMPLATES:
            rule, template = _TEMPLATES[check.name]
            stats = dict(check.statistics or {})
            if "allowed_values" in stats:
                stats["allowed"] = _listing(stats["allowed_values"])
            out.append(fd.error(line, case.column, value, rule, template.format(value=value, **stats)))
        else:
            out.append(fd.error(line, case.column, value, check.name, (check.error or check.name).format(value=value)))
    return out
