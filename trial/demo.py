"""The demo: a fresh database for the demo study, loaded through the normal upload path."""

from __future__ import annotations

from pathlib import Path

from trial.errors import TrialError
from trial.ingest import UploadResult, upload_paths
from trial.store import Store
from trial.study import builtin_study_text

DEMO_MARK = "demo"


def build_demo(db_path: Path, data_folder: Path, *, user: str) -> list[UploadResult]:
    """Create (or re-create) a demo database at ``db_path`` and load every CSV file of ``data_folder``.

    An existing file is replaced only if it is itself a demo database, so a real study is never lost.
    """
    db_path = Path(db_path)
    if db_path.exists():
        with Store.open(db_path, read_only=True) as existing:
            is_demo = existing.scalar("SELECT value FROM meta WHERE key = 'origin'") == DEMO_MARK
        if not is_demo:
            raise TrialError(f"{db_path} holds a study that is not the demo; name another file with --db PATH.")
        db_path.unlink()
        Path(f"{db_path}.wal").unlink(missing_ok=True)
    files = sorted(Path(data_folder).glob("*.csv"))
    if not files:
        raise TrialError(f"there are no CSV files in {data_folder}")
    with Store.create(db_path, builtin_study_text("demo"), user=user, source="built-in study 'demo'") as store:
        with store.transaction() as cur:
            cur.execute("INSERT INTO meta VALUES ('origin', $mark)", {"mark": DEMO_MARK})
        return upload_paths(store, files, user=user)
