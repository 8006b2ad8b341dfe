"""Who may see and do what: one user's access (sites, blinding, assessments only), the permissions
of each role, the columns withheld from the blinded, and what one user may upload.

:mod:`trial.governance.views` applies an :class:`Access` where data leave the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from schemas import DOMAINS
from trial.errors import TrialError
from trial.findings import Finding, Severity, error
from trial.governance.users import Role, User
from trial.study import Arm, Study

POOLED_ARM = Arm(code="ALL", label="All subjects (pooled)")
ASSESSMENT_DOMAINS = ("hair_counts", "pull_tests", "global_assessments")
ALLOCATION_DOMAINS = ("randomization", "procedures")  # their rows or files reveal the arm
WITHHELD_AE_COLUMNS = ("term", "suspected_cause")
# Data points that tell the arm (None: every column): a blinded user neither sees nor queries them.
REVEALS_ALLOCATION = {"procedures": None, "randomization": {"arm"}, "adverse_events": set(WITHHELD_AE_COLUMNS)}
SITE_TABLES = ("subjects", "randomization", "hair_counts", "pull_tests", "global_assessments",
                "adverse_events", "procedures", "disposition")


@dataclass(frozen=True)
class Access:
    """What one user may receive: the sites (None for all), whether blinded, whether assessments only."""

    sites: frozenset[str] | None = None
    blinded: bool = False
    assessments_only: bool = False

    @classmethod
    def of(cls, user: User) -> Access:
        return cls(sites=user.sites, blinded=user.blinded,
                   assessments_only=Role.EVALUATOR in user.roles and not user.has(Role.SITE_STAFF, Role.MONITOR, Role.STATISTICIAN))

    @property
    def full(self) -> bool:
        return self.sites is None and not self.blinded and not self.assessments_only

    @property
    def key(self) -> str:
        """A short text naming this access, for cache keys."""
        sites = "*" if self.sites is None else ",".join(sorted(self.sites))
        return f"sites={sites};blinded={int(self.blinded)};assessments={int(self.assessments_only)}"


FULL_ACCESS = Access()


class Permission(StrEnum):
    """What a person does with the system; :data:`ALLOWED` says which roles may."""

    UPLOAD = "upload files"
    VIEW_SUBJECTS = "see subject profiles"
    VIEW_MONITORING = "see the study overview"
    VIEW_SAFETY = "see tolerability"
    VIEW_EFFICACY = "see efficacy"
    BUILD_PACK = "build the end-of-study pack"
    EXPORT_CDISC = "export the CDISC datasets"
    LOCK = "lock or unlock the database"
    MANAGE_USERS = "manage accounts"
    READ_AUDIT = "read and export the whole audit trail"
    RAISE_QUERY = "open, close or re-open data queries"
    ANSWER_QUERY = "answer data queries"
    VIEW_QUERIES = "see data queries"
    UNBLIND = "unblind a subject in an emergency"


_R = Role
ALLOWED: dict[Permission, frozenset[Role]] = {
    Permission.UPLOAD: frozenset({_R.SITE_STAFF, _R.EVALUATOR}),
    Permission.VIEW_SUBJECTS: frozenset({_R.SITE_STAFF, _R.MONITOR, _R.STATISTICIAN}),
    Permission.VIEW_MONITORING: frozenset({_R.SITE_STAFF, _R.MONITOR, _R.STATISTICIAN, _R.ADMIN}),
    Permission.VIEW_SAFETY: frozenset({_R.SITE_STAFF, _R.MONITOR, _R.STATISTICIAN}),
    Permission.VIEW_EFFICACY: frozenset({_R.SITE_STAFF, _R.EVALUATOR, _R.MONITOR, _R.STATISTICIAN}),
    Permission.BUILD_PACK: frozenset({_R.STATISTICIAN}),
    Permission.EXPORT_CDISC: frozenset({_R.STATISTICIAN}),
    Permission.LOCK: frozenset({_R.STATISTICIAN, _R.ADMIN}),
    Permission.MANAGE_USERS: frozenset({_R.ADMIN}),
    Permission.READ_AUDIT: frozenset({_R.STATISTICIAN, _R.ADMIN}),
    Permission.RAISE_QUERY: frozenset({_R.MONITOR, _R.STATISTICIAN}),
    Permission.ANSWER_QUERY: frozenset({_R.SITE_STAFF, _R.EVALUATOR}),
    Permission.VIEW_QUERIES: frozenset({_R.SITE_STAFF, _R.EVALUATOR, _R.MONITOR, _R.STATISTICIAN}),
    Permission.UNBLIND: frozenset({_R.SITE_STAFF}),
}


class NotPermitted(TrialError):
    """The acting user's roles do not allow this."""


def may(user: User, permission: Permission) -> bool:
    return bool(user.roles & ALLOWED[permission])


def require(user: User, permission: Permission) -> None:
    """Raise :class:`NotPermitted` with a sentence unless ``user`` may do ``permission``."""
    if not may(user, permission):
        who = ", ".join(sorted(user.roles)) or "no role"
        needs = " or ".join(sorted(ALLOWED[permission]))
        raise NotPermitted(f"{user.user_name} ({who}) may not {permission.value}: that needs the role {needs}.")


def pooled_study(study: Study, access: Access) -> Study:
    """The study as this access sees it: its own sites; one pooled arm when blinded."""
    update = {}
    if access.sites is not None:
        update["sites"] = tuple(s for s in study.sites if s.id in access.sites)
    if access.blinded:
        update["arms"] = (POOLED_ARM,)
        update["study"] = study.study.model_copy(update={"design": "single-arm"})
    return study.model_copy(update=update) if update else study


def withheld_columns(access: Access, domain: str) -> frozenset[str]:
    """The columns of ``domain`` whose values this access may not read: neither shown to it nor
    compared with what it uploads (a comparison that answers "same" or "different" is a reading)."""
    if not access.blinded or domain not in REVEALS_ALLOCATION:
        return frozenset()
    columns = REVEALS_ALLOCATION[domain]
    return frozenset(DOMAINS[domain].column_names if columns is None else columns)


@dataclass(frozen=True)
class UploadScope:
    """What one user may upload, and the view their files are checked in: rows of their sites
    (None for any), files of these domains (None for any), compared with what ``access`` sees."""

    user_name: str
    sites: frozenset[str] | None = None
    domains: frozenset[str] | None = None
    access: Access = FULL_ACCESS
    why: str = ""  # why the domains are limited, for the refusal

    @classmethod
    def of(cls, user: User) -> UploadScope:
        access = Access.of(user)
        if Role.EVALUATOR in user.roles and not user.has(Role.SITE_STAFF):
            return cls(user.user_name, user.sites, frozenset(ASSESSMENT_DOMAINS), access, "evaluators upload assessments only")
        if access.blinded:
            open_domains = frozenset(DOMAINS) - set(ALLOCATION_DOMAINS)
            return cls(user.user_name, user.sites, open_domains, access,
                       "the account is blinded, and randomization and session files tell the arm: unblinded staff upload them")
        return cls(user.user_name, user.sites, None, access)

    def domain_refusal(self, domain: str) -> Finding | None:
        """The one finding for a file of a domain this user may not upload (checked before anything
        else, so that nothing of the file is compared with the study), or None."""
        if self.domains is None or domain in self.domains:
            return None
        allowed = ", ".join(d for d in DOMAINS if d in self.domains)
        return error(None, None, domain, "upload_scope",
                     f"{self.user_name} may not upload {domain} files ({self.why}); they upload {allowed} files")

    def site_refusals(self, cur: duckdb.DuckDBPyConnection, rows: str, budget) -> list[Finding]:
        """A finding for each line of ``rows`` (a table registered on ``cur``) of a site outside
        this scope, as many as ``budget`` (a :class:`trial.findings.Budget`) lists; the rest are counted."""
        if self.sites is None:
            return []
        outside = f"SELECT _line, site_id FROM {rows} WHERE site_id IS NOT NULL AND NOT list_contains($sites, site_id)"
        sites = {"sites": sorted(self.sites)}
        total = cur.execute(f"SELECT count(*) FROM ({outside})", sites).fetchall()[0][0]
        shown = budget.take("upload_scope", Severity.ERROR, total)
        found = cur.execute(f"{outside} ORDER BY _line LIMIT $most", sites | {"most": shown}).fetchall()
        mine = " and ".join(sorted(self.sites)) or "no site"
        return [error(line, "site_id", site, "upload_scope",
                      f"{site} is not your site: {self.user_name} uploads rows of {mine} only; the line was not compared with the study")
                for line, site in found]

    def in_scope(self, typed: pa.Table) -> pa.Table:
        """The rows of ``typed`` this user may upload: only these are compared with the study."""
        if self.sites is None:
            return typed
        return typed.filter(pc.is_in(typed["site_id"], value_set=pa.array(sorted(self.sites), pa.string())))


def database_boundary():
    """What a PostgreSQL study's database withholds, from this module's rules (the columns that tell
    the arm; the domains evaluators read): :class:`trial.store.postgres.Boundary`."""
    from trial.store.postgres import Boundary

    return Boundary({domain: None if columns is None else frozenset(columns) for domain, columns in REVEALS_ALLOCATION.items()},
                    frozenset(ASSESSMENT_DOMAINS))


DATABASE_ACTS = (Permission.LOCK, Permission.UNBLIND, Permission.RAISE_QUERY, Permission.ANSWER_QUERY)


def database_acts(user: User) -> tuple[str, ...]:
    """The permissions of ``user`` that write beside the data (the lock, an unblinding, queries), by
    name, as a PostgreSQL study's database is told them: its policies check each such row."""
    return tuple(p.name for p in DATABASE_ACTS if may(user, p))


def database_writes(user: User) -> tuple[str, ...]:
    """The domains ``user`` uploads, as a PostgreSQL study's database is told them (the account role's
    writes; rows of the account's sites only): none without the permission to upload."""
    if not may(user, Permission.UPLOAD):
        return ()
    scope = UploadScope.of(user)
    return tuple(d for d in DOMAINS if scope.domains is None or d in scope.domains)
