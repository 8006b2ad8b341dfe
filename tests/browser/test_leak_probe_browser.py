"""The leak probe in a real browser (issue 11, acceptance 2): each blinded role and a site user
signs in, opens every page of their navigation, clicks every tab and every download, and the site
staff and the evaluator send the crafted files to the Upload page (its preview: verdicts, findings,
corrections, and the findings' downloads). The page content, the grids' cells and every download
are scanned for the canaries of ``leak_probe``: zero hits; the same scan of the statistician's
pages finds every kind. One server per study, for the whole session.
"""

from __future__ import annotations

import functools
import shutil

import pytest
from browsing import choose_files, everything, go, nav_paths, serve, settle, sign_in, visit_every_page
from helpers import TEAM_PASSWORD
from leak_probe import PROBED, scan, site_of

from trial.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def probe_servers(request, probe_study, tmp_path_factory):
    """``url_of(study)``: the dashboards on a copy of that probe study (uploads write to it), on each
    engine: the embedded file, or a PostgreSQL database holding its rows, each account a role (the
    server acts as each signed-in account's role); and the name each account signs in with."""
    cluster = request.getfixturevalue("pg_cluster") if request.param == "postgresql" else None
    started = {}

    def url_of(study: str) -> tuple[str, dict[str, str]]:
        if study not in started:
            folder = tmp_path_factory.mktemp(f"browser-{study}-{request.param}")
            if cluster is None:
                shutil.copy(probe_study(study).path, folder / "study.duckdb")
                started[study] = (*serve(folder / "study.duckdb", folder / "server.log"), {})
            else:
                from postgres import server_twin

                with Store.open(probe_study(study).path, read_only=True) as store:
                    owner, roles = server_twin(cluster, f"web_{study}", store, TEAM_PASSWORD)
                started[study] = (*serve(owner, folder / "server.log"), roles)
        _, url, names = started[study]
        return url, names

    yield url_of
    for process, *_ in started.values():
        process.terminate()
        process.wait(timeout=20)


@pytest.fixture(scope="module")
def walks(browser, probe_study, probe_servers):
    """``walk(study, who)``: everything ``who`` receives in the browser, page by page."""

    @functools.cache
    def walk(study: str, who: str) -> dict[str, str]:
        url, names = probe_servers(study)
        page = sign_in(browser, url, names.get(who, who), TEAM_PASSWORD)
        try:
            seen = visit_every_page(page, url, f"probe-{study}-{who}")
            if "upload" in nav_paths(page):
                go(page, f"{url}/upload")
                choose_files(page, list(probe_study(study).files[site_of(who)].items()))
                page.get_by_text("Rejected:").first.wait_for(timeout=120_000)
                settle(page, timeout=120_000)  # the first verdict shows while the batch's later files are still checked
                seen["upload preview"] = everything(page)
            return seen
        finally:
            page.close()

    return walk


@pytest.mark.parametrize(("study", "who"), PROBED)
def test_nothing_a_prober_receives_in_the_browser_holds_what_they_may_not_learn(probe_study, walks, study, who):
    probe = probe_study(study)
    seen = walks(study, who)
    found = scan(seen, probe.forbidden(probe.kinds_for(who), probe.supplied_by(who)))
    assert not found.hits, f"{who} ({study}) receives:\n{found.report()}"
    if who in ("sam", "eve"):
        assert "not your site" in seen["upload preview"]  # the crafted files were checked, line by line


@pytest.mark.parametrize(("study", "who"), PROBED)
def test_the_same_scan_finds_every_kind_in_the_statisticians_browser(probe_study, walks, study, who):
    probe = probe_study(study)
    kinds = probe.kinds_for(who)
    found = scan(walks(study, "stat"), probe.forbidden(kinds, probe.supplied_by(who, "stat")))
    assert found.kinds == kinds, (who, kinds - found.kinds)
