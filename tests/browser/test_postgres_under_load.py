"""Issue 13, acceptance 1: eight processes load 25 files each into one PostgreSQL study at once while
`trial serve` is connected, a person is signed in and moving between its pages, and a reader in a
process of its own reads the study: nothing refused, lost or doubled, uploads numbered without a gap,
the audit chain intact; the pages never fail and their data version only grows, to the study's own."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import psycopg
import pytest
from browsing import go, screenshot, serve, sign_in
from helpers import TEAM_PASSWORD, hair_count_file
from postgres import TRIAL, chain_intact, child_env, site_study

LOADERS, FILES_EACH = 8, 25
NAME = "many"

# A reader in its own process: the study as sam reads it, again and again until every upload is in.
_READER = """
import sys, time
from trial.store.server import ServerStore
url, expected = sys.argv[1], int(sys.argv[2])
reads, deadline = 0, time.monotonic() + 600
with ServerStore.open(url) as store:
    while time.monotonic() < deadline:
        store.data_version()
        seen = store.scalar("SELECT count(*) FROM uploads")
        store.scalar("SELECT count(*) FROM hair_counts")
        reads += 1
        if seen >= expected:
            break
        time.sleep(0.2)
print(reads)
"""


def _shown_version(page) -> int:
    found = re.search(r"data version (\d+)", page.locator('[data-testid="stSidebar"]').inner_text())
    assert found, "the sidebar names no data version"
    return int(found.group(1))


@pytest.mark.slow
def test_eight_loaders_and_a_reader_while_the_dashboards_serve_a_signed_in_person(browser, pg_cluster, tmp_path):
    url, owner_url = site_study(pg_cluster, tmp_path, NAME, LOADERS * FILES_EACH)
    batches = []
    for loader in range(LOADERS):
        paths = []
        for j in range(FILES_EACH):
            n = loader * FILES_EACH + j + 1
            path = tmp_path / f"loader{loader}" / f"hair_{n:04d}.csv"
            path.parent.mkdir(exist_ok=True)
            path.write_bytes(hair_count_file([f"S01-{n:04d}"]))
            paths.append(str(path))
        batches.append(paths)
    server, address = serve(owner_url, tmp_path / "server.log")
    try:
        page = sign_in(browser, address, f"{NAME}_sam", TEAM_PASSWORD)
        reader = subprocess.Popen([sys.executable, "-c", _READER, url, str(LOADERS * FILES_EACH + 2)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=child_env())
        loaders = [subprocess.Popen([*TRIAL, "load", *paths, "--format", "json", "--db", url], stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, text=True, env=child_env()) for paths in batches]
        versions, runs = [_shown_version(page)], 0
        while any(p.poll() is None for p in loaders) and runs < 200:  # the person moves between pages meanwhile
            go(page, f"{address}/{'overview' if runs % 2 == 0 else 'upload'}")
            assert page.locator('[data-testid="stException"]').count() == 0
            versions.append(_shown_version(page))
            runs += 1
        outputs = [p.communicate(timeout=900) for p in loaders]
        assert [p.returncode for p in loaders] == [0] * LOADERS, [err[-2000:] for _, err in outputs]
        results = [r for out, _ in outputs for r in json.loads(out)]
        assert [r["status"] for r in results] == ["loaded"] * (LOADERS * FILES_EACH)  # none refused
        reads, err = reader.communicate(timeout=900)
        assert reader.returncode == 0, err[-2000:]
        assert int(reads) > 0  # the reader read the study while the loaders wrote it, and never failed
        with psycopg.connect(owner_url) as owner:
            uploads = owner.execute("SELECT count(*), count(DISTINCT sha256), sum(rows_inserted) FROM uploads "
                                    "WHERE domain = 'hair_counts'").fetchone()
            assert uploads == (LOADERS * FILES_EACH, LOADERS * FILES_EACH, LOADERS * FILES_EACH * 4)  # none lost or doubled
            rows = owner.execute("SELECT count(*), count(DISTINCT (subject_id, visit, region)), count(DISTINCT upload_id) "
                                 "FROM hair_counts").fetchone()
            assert rows == (LOADERS * FILES_EACH * 4, LOADERS * FILES_EACH * 4, LOADERS * FILES_EACH)
            ids = [r[0] for r in owner.execute("SELECT upload_id FROM uploads ORDER BY upload_id")]
            assert ids == list(range(1, LOADERS * FILES_EACH + 3))  # numbered without gaps or repeats
            final = int(owner.execute("SELECT value FROM meta WHERE key = 'data_version'").fetchone()[0])
        chain_intact(owner_url)
        assert runs >= 3 and versions == sorted(versions), versions  # pages ran during the load; never went back
        go(page, f"{address}/overview")
        assert _shown_version(page) == final
        screenshot(page, "postgresql-after-eight-loaders")
        page.close()
    finally:
        server.terminate()
        server.wait(timeout=20)
