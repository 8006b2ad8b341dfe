"""Every page of the dashboards: where it lives, who may open it and what it answers.

``app.py`` builds the navigation from this list, showing each person only the pages their roles
allow (a page left out of the navigation cannot be opened by its address either); the home page
uses it to say what each of those pages is for.
"""

from __future__ import annotations

from dataclasses import dataclass

from trial.governance.access import Permission, may
from trial.governance.users import User


@dataclass(frozen=True)
class PageSpec:
    path: str
    title: str
    icon: str
    group: str
    permissions: tuple[Permission, ...]  # any of them opens the page
    blurb: str


CATALOGUE = (
    PageSpec("views/upload.py", "Upload", ":material/upload_file:", "Sites", (Permission.UPLOAD,),
             "Send site CSV files: checked whole against the data dictionary, then loaded or rejected with a reason per line."),
    PageSpec("views/subject.py", "Subject profile", ":material/person_search:", "Sites", (Permission.VIEW_SUBJECTS,),
             "One subject's visits, assessments, adverse events and audit history."),
    PageSpec("views/queries.py", "Data queries", ":material/forum:", "Sites", (Permission.VIEW_QUERIES,),
             "Questions on single data points: monitors raise and close them, sites answer."),
    PageSpec("views/overview.py", "Study overview", ":material/monitoring:", "Monitoring", (Permission.VIEW_MONITORING,),
             "Enrolment, visit completion, windows, missing assessments and data quality by site."),
    PageSpec("views/tolerability.py", "Tolerability", ":material/healing:", "Monitoring", (Permission.VIEW_SAFETY,),
             "Adverse events and procedure tolerability."),
    PageSpec("views/efficacy.py", "Efficacy", ":material/trending_up:", "Analysis", (Permission.VIEW_EFFICACY,),
             "Hair counts and density over time, the primary endpoint and subgroups."),
    PageSpec("views/assessments.py", "Pull test & global assessment", ":material/fact_check:", "Analysis",
             (Permission.VIEW_EFFICACY,), "Pull-test positives and global photographic assessments."),
    PageSpec("views/reports.py", "Reports", ":material/description:", "Analysis", (Permission.BUILD_PACK,),
             "The end-of-study tables, listings and figures (HTML, DOCX, CSV)."),
    PageSpec("views/admin.py", "Administration", ":material/admin_panel_settings:", "Administration",
             (Permission.LOCK, Permission.READ_AUDIT, Permission.MANAGE_USERS),
             "Database lock with e-signature, the audit trail (verify, export) and accounts."),
)


def pages_for(user: User) -> list[PageSpec]:
    """The pages ``user`` may open, in navigation order."""
    return [spec for spec in CATALOGUE if any(may(user, p) for p in spec.permissions)]
