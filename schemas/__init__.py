"""The CSV contract: one pandera model per domain, and the registry that names their keys.

``DOMAINS`` lists the domains in loading order: a file may only refer to subjects (and
randomizations) that an earlier domain holds. ``schema_for`` adds the rules that depend on the
study (sites, arms, visits, regions, age limits, diagnoses) to a domain's model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, cached_property

import pandera.pandas as pa

from schemas._fields import KIND_CODE, KIND_DATE, KIND_DECIMAL, KIND_INT, KIND_TEXT, DomainModel  # noqa: F401 (re-exported)
from schemas.adverse_events import AdverseEvents
from schemas.disposition import Disposition
from schemas.global_assessments import GlobalAssessments
from schemas.hair_counts import HairCounts
from schemas.procedures import Procedures
from schemas.pull_tests import PullTests
from schemas.randomization import Randomization
from schemas.subjects import Subjects

__all__ = ["DOMAINS", "Column", "Domain", "domain_named", "schema_for"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # one of KIND_CODE, KIND_TEXT, KIND_INT, KIND_DECIMAL, KIND_DATE
    required: bool


@dataclass(frozen=True)
class Domain:
    name: str
    model: type[DomainModel]
    key: tuple[str, ...]
    description: str
    unique: tuple[str, ...] = ()  # columns no two records share (besides the key)

    @cached_property
    def columns(self) -> tuple[Column, ...]:
        schema = self.model.to_schema()
        return tuple(
            Column(name, col.metadata["kind"], not col.nullable) for name, col in schema.columns.items()
        )

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required(self) -> list[str]:
        return [c.name for c in self.columns if c.required]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def maximum(self, name: str):
        """The largest value the model allows in a column, or None when it sets no maximum."""
        for check in self.model.to_schema().columns[name].checks:
            if "max_value" in (check.statistics or {}):
                return check.statistics["max_value"]
        return None


DOMAINS: dict[str, Domain] = {
    d.name: d
    for d in (
        Domain("subjects", Subjects, ("subject_id",), "screening, consent and baseline characteristics"),
        Domain("randomization", Randomization, ("subject_id",), "arm assignment", unique=("randomization_number",)),
        Domain("hair_counts", HairCounts, ("subject_id", "visit", "region"), "hair counts (blinded evaluator)"),
        Domain("pull_tests", PullTests, ("subject_id", "visit", "region"), "pull tests"),
        Domain(
            "global_assessments",
            GlobalAssessments,
            ("subject_id", "visit", "assessor"),
            "investigator and patient global assessment",
        ),
        Domain("adverse_events", AdverseEvents, ("subject_id", "ae_seq"), "adverse events"),
        Domain("procedures", Procedures, ("subject_id", "session_date"), "microneedling sessions"),
        Domain("disposition", Disposition, ("subject_id",), "end of study per subject"),
    )
}


def domain_named(name: str) -> Domain:
    """The domain called ``name`` (case-insensitive); KeyError with the known names otherwise."""
    key = name.strip().lower()
    if key not in DOMAINS:
        raise KeyError(f"'{name}' is not a domain; the domains are {', '.join(DOMAINS)}")
    return DOMAINS[key]


@cache
def schema_for(domain: Domain, study) -> pa.DataFrameSchema:
    """The domain's schema with the study's own rules added (``study`` is a ``trial.study.Study``).

    Built once per domain and study; pandera schemas are not changed by validation."""
    schema = domain.model.to_schema()
    study_rules = {
        "site_id": [pa.Check.isin(study.site_ids)],
        "arm": [pa.Check.isin(study.arm_codes)],
        "visit": [pa.Check.isin(study.visit_codes)],
        "region": [pa.Check.isin(list(study.assessments.regions))],
        "age": [pa.Check.in_range(study.eligibility.min_age, study.eligibility.max_age)],
    }
    if domain.name == "subjects":
        study_rules["diagnosis"] = [pa.Check.isin(list(study.eligibility.diagnoses))]
    for name, checks in study_rules.items():
        if name in schema.columns:
            column = schema.columns[name]
            schema = schema.update_column(name, checks=[*column.checks, *checks])
    return schema

