"""The demo: a scenario written as site files, a fresh database for its study, and every file
loaded through the normal upload path, as a site would."""

from __future__ import annotations

from pathlib import Path

from synthetic_data.scenarios import write_scenario
from trial.errors import TrialError
from trial.ingest.result import UploadResult
from trial.ingest.upload import upload_paths
from trial.store import Store, audit, seals

DEMO_MARK = "demo"
DEFAULT_SCENARIO = "dhurat2013"


def build_demo(db_path: Path, *, user: str, scenario: str = DEFAULT_SCENARIO, seed: int = 1) -> list[UploadResult]:
    """Write ``scenario`` beside ``db_path`` (in ``<name>-files/``), create the database and load it.

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
    folder = files_folder(db_path)
    files = write_scenario(scenario, folder, seed=seed)
    study_file = folder / "study.toml"
    with Store.create(db_path, study_file.read_text(encoding="utf-8"), user=user, source=str(study_file)) as store:
        with store.transaction() as cur:
            cur.execute("INSERT INTO meta VALUES ('origin', $mark)", {"mark": DEMO_MARK})
            seals.added(cur, "meta", "t.key = 'origin'")
            audit.record(cur, [audit.Event(user, "DEMO", "meta", "origin", new_value=DEMO_MARK)])
        return upload_paths(store, files, user=user)


def files_folder(db_path: Path) -> Path:
    return db_path.with_name(f"{db_path.stem}-files")
