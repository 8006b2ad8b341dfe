"""What an upload did, as the command line, the pages and tools receive it."""

from __future__ import annotations

from dataclasses import dataclass, field

from trial import findings as fd
from trial.ingest.changes import Change

LOADED, REJECTED, ALREADY_LOADED, CHECKED = "loaded", "rejected", "already loaded", "checked"


@dataclass
class UploadResult:
    file_name: str
    status: str
    domain: str | None = None
    upload_id: int | None = None
    sha256: str = ""
    size_bytes: int = 0
    rows_in_file: int = 0
    inserted: int = 0
    corrected: int = 0
    unchanged: int = 0
    findings: list[fd.Finding] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)  # the first corrected cells (all are audited)
    changes_not_listed: int = 0
    previous_upload: int | None = None

    @property
    def errors(self) -> list[fd.Finding]:
        return [f for f in self.findings if f.severity == fd.Severity.ERROR]

    @property
    def warnings(self) -> list[fd.Finding]:
        return [f for f in self.findings if f.severity == fd.Severity.WARNING]

    @property
    def error_count(self) -> int:
        """Errors in all, those not listed included."""
        return fd.counted(self.findings, fd.Severity.ERROR)

    @property
    def warning_count(self) -> int:
        return fd.counted(self.findings, fd.Severity.WARNING)

    @property
    def ok(self) -> bool:
        return self.status != REJECTED

    def as_dict(self) -> dict:
        return {
            "file": self.file_name,
            "status": self.status,
            "domain": self.domain,
            "upload_id": self.upload_id,
            "sha256": self.sha256,
            "size_bytes": self.size_bytes,
            "rows_in_file": self.rows_in_file,
            "inserted": self.inserted,
            "corrected": self.corrected,
            "unchanged": self.unchanged,
            "errors": self.error_count,
            "warnings": self.warning_count,
            "previous_upload": self.previous_upload,
            "findings": [f.as_dict() for f in self.findings],
            "corrections": [c.__dict__ for c in self.changes],
            "corrections_not_listed": self.changes_not_listed,
        }

