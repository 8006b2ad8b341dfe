"""The study definition: arms, visit schedule, regions, endpoint and coding list, read from TOML.

Everything that differs between studies lives in a study file (see ``trial/studies/``), so a new
study is declared, not programmed. ``load_study`` validates the file and names what is wrong.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Literal

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from trial.errors import StudyDefinitionError

BUILTIN_STUDIES = ("demo", "single_arm")
DIAGNOSES = ("AGA", "TE", "AA")
RoleName = Literal["ADMIN", "SITE_STAFF", "EVALUATOR", "MONITOR", "STATISTICIAN"]


def code_words(code: str) -> str:
    """A code as words: WITHDREW_CONSENT → Withdrew consent, MILD → Mild, WEEK_12 → Week 12."""
    return code.replace("_", " ").capitalize()


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class StudyInfo(_Strict):
    id: str = Field(min_length=1)
    title: str = Field(min_length=1)
    design: Literal["parallel", "single-arm"]
    baseline_lead_days: int = Field(default=14, ge=0, le=90)
    sponsor: str = ""  # printed in every page header of the pack
    ae_dictionary: str = ""  # the coding dictionary and version of the [[coding]] terms, e.g. "MedDRA 27.1"


class Eligibility(_Strict):
    min_age: int = Field(default=18, ge=0, le=120)
    max_age: int = Field(default=80, ge=0, le=120)
    diagnoses: tuple[Literal["AGA", "TE", "AA"], ...] = DIAGNOSES

    @model_validator(mode="after")
    def _ages_in_order(self) -> Eligibility:
        if self.min_age > self.max_age:
            raise ValueError(f"min_age {self.min_age} is above max_age {self.max_age}")
        return self


class Site(_Strict):
    id: str = Field(pattern=r"^[A-Z0-9]+$")
    name: str = ""
    target_enrolment: int = Field(default=0, ge=0)
    country: str = Field(default="", pattern=r"^([A-Z]{3})?$")  # ISO 3166-1 alpha-3 (SDTM's DM.COUNTRY); "" when not given


class Arm(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    label: str
    control: bool = False
    microneedling: bool = False


class Visit(_Strict):
    code: str = Field(pattern=r"^[A-Z0-9_]+$")
    day: int
    window: int = Field(default=0, ge=0)
    window_before: int | None = Field(default=None, ge=0)
    window_after: int | None = Field(default=None, ge=0)
    baseline: bool = False
    primary: bool = False

    @property
    def earliest_day(self) -> int:
        return self.day - (self.window if self.window_before is None else self.window_before)

    @property
    def latest_day(self) -> int:
        return self.day + (self.window if self.window_after is None else self.window_after)


class Assessments(_Strict):
    regions: tuple[str, ...] = Field(min_length=1)


class Endpoint(_Strict):
    parameter: Literal["HAIR_COUNT", "DENSITY"]
    measure: Literal["chg", "pchg"]
    region: str
    visit: str
    decimals: int = Field(default=2, ge=0, le=4)  # reporting precision of the primary endpoint
    # the multiple-imputation sensitivity analysis, pre-specified: the number of completed data
    # sets and the seed of their draws (the same seed gives the same numbers on any machine)
    mi_imputations: int = Field(default=20, ge=2, le=500)
    mi_seed: int = Field(default=20261203, ge=0)


class Procedures(_Strict):
    device: Literal["ROLLER", "PEN"]
    needle_mm: float = Field(ge=0.25, le=2.5)
    sessions: int = Field(ge=1)
    interval_days: int = Field(ge=1)


class PullTest(_Strict):
    positive_above_pct: float = Field(default=10, gt=0, lt=100)


class Blinding(_Strict):
    """Who may not learn a subject's arm: part of the design, not of the code.

    An open-label procedure with a blinded evaluator (Dhurat 2013, Kumar 2018) blinds the
    evaluators and the monitors, while the site staff who perform the sessions know the arm; a
    double-blind study blinds the site staff too. Without a ``[blinding]`` section everyone but a
    statistician is blinded. An account is blinded when every role it holds is blinded, and always
    when it holds EVALUATOR: whoever assesses the outcome never learns the arm.
    """

    blinded_roles: tuple[RoleName, ...] = ("ADMIN", "SITE_STAFF", "EVALUATOR", "MONITOR")

    @model_validator(mode="after")
    def _evaluators_blinded(self) -> Blinding:
        if "EVALUATOR" not in self.blinded_roles:
            raise ValueError("blinded_roles must include EVALUATOR: evaluators assess the outcome and never learn the arm")
        return self

    def blinds(self, roles) -> bool:
        """Whether an account holding ``roles`` is blinded."""
        return "EVALUATOR" in roles or all(role in self.blinded_roles for role in roles)


class CodedTerm(_Strict):
    pt: str = Field(min_length=1)
    soc: str = Field(min_length=1)


class Study(_Strict):
    """A validated study definition. Build one with :func:`load_study` or :func:`parse_study`."""

    study: StudyInfo
    eligibility: Eligibility = Eligibility()
    sites: tuple[Site, ...] = Field(min_length=1)
    arms: tuple[Arm, ...] = Field(min_length=1)
    visits: tuple[Visit, ...] = Field(min_length=2)
    assessments: Assessments
    endpoint: Endpoint
    procedures: Procedures | None = None
    pull_test: PullTest = PullTest()
    blinding: Blinding = Blinding()
    coding: tuple[CodedTerm, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> Study:
        for name, codes in (
            ("site", [s.id for s in self.sites]),
            ("arm", [a.code for a in self.arms]),
            ("visit", [v.code for v in self.visits]),
            ("region", list(self.assessments.regions)),
            ("coded term", [c.pt for c in self.coding]),
        ):
            repeated = sorted({c for c in codes if codes.count(c) > 1})
            if repeated:
                raise ValueError(f"{name} {', '.join(repeated)} is declared more than once")
        controls = [a.code for a in self.arms if a.control]
        if self.study.design == "parallel":
            if len(self.arms) < 2:
                raise ValueError("a parallel design needs at least two arms")
            if len(controls) != 1:
                raise ValueError(
                    f"a parallel design needs exactly one control arm (control = true); found {len(controls)}"
                )
        elif len(self.arms) != 1:
            raise ValueError(f"a single-arm design has one arm; found {len(self.arms)}")
        for flag in ("baseline", "primary"):
            flagged = [v.code for v in self.visits if getattr(v, flag)]
            if len(flagged) != 1:
                raise ValueError(f"exactly one visit must have {flag} = true; found {len(flagged)}")
        days = [v.day for v in self.visits]
        if days != sorted(days):
            raise ValueError("visits must be listed in order of their target day")
        if self.endpoint.visit not in self.visit_codes:
            raise ValueError(f"endpoint visit {self.endpoint.visit} is not one of the visits")
        if self.endpoint.region not in self.assessments.regions:
            raise ValueError(f"endpoint region {self.endpoint.region} is not one of the regions")
        if any(a.microneedling for a in self.arms) and self.procedures is None:
            raise ValueError("an arm has microneedling = true but there is no [procedures] section")
        return self

    @property
    def site_ids(self) -> list[str]:
        return [s.id for s in self.sites]

    @property
    def arm_codes(self) -> list[str]:
        return [a.code for a in self.arms]

    @property
    def visit_codes(self) -> list[str]:
        return [v.code for v in self.visits]

    @property
    def control_arm(self) -> Arm | None:
        return next((a for a in self.arms if a.control), None)

    @property
    def baseline_visit(self) -> Visit:
        return next(v for v in self.visits if v.baseline)

    @property
    def primary_visit(self) -> Visit:
        return next(v for v in self.visits if v.primary)


def parse_study(text: str, source: str = "study definition") -> Study:
    """Parse and validate a study definition given as TOML text.

    Raises
    ------
    StudyDefinitionError
        naming the file and the entry that is wrong.
    """
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise StudyDefinitionError(f"{source} is not valid TOML: {exc}") from None
    try:
        return Study.model_validate(raw)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            where = " → ".join(str(p) for p in err["loc"]) or "the file"
            problems.append(f"{where}: {err['msg']}")
        raise StudyDefinitionError(f"{source} has {len(problems)} problem(s): " + "; ".join(problems)) from None


def load_study(path: str | Path | None = None) -> Study:
    """Read a study definition: a TOML file path, a built-in name (``demo``), or the demo when None."""
    if path is None or str(path) in BUILTIN_STUDIES:
        name = "demo" if path is None else str(path)
        return parse_study(builtin_study_text(name), f"built-in study '{name}'")
    file = Path(path)
    return parse_study(read_study_text(file), f"study definition {file}")


def read_study_text(file: Path) -> str:
    """The text of a study definition file, or a sentence naming the file (and the line of a byte
    that is not UTF-8)."""
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise StudyDefinitionError(f"study definition {file} does not exist") from None
    except IsADirectoryError:
        raise StudyDefinitionError(f"study definition {file} is a folder, not a TOML file") from None
    except OSError as exc:
        raise StudyDefinitionError(f"study definition {file} cannot be read ({exc.strerror or exc})") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise StudyDefinitionError(
            f"study definition {file} is not UTF-8 text: byte 0x{data[exc.start]:02X} on line {line} cannot be read; "
            "save the file as UTF-8"
        ) from None


def builtin_study_text(name: str = "demo") -> str:
    return resources.files("trial.studies").joinpath(f"{name}.toml").read_text(encoding="utf-8")


def study_to_toml(study: Study, comment: str = "") -> str:
    """The study definition as TOML text that :func:`parse_study` reads back to an equal study
    (tomli-w escapes what a hand-written writer forgot: a newline in a title, control characters)."""
    header = "".join(f"# {row}\n" if row else "#\n" for row in comment.splitlines())
    body = tomli_w.dumps(study.model_dump(mode="python", exclude_none=True))
    return header + ("\n" if header else "") + body
