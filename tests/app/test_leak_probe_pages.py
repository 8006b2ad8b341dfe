"""The leak probe on the pages, in AppTest (issue 11, acceptance 2): each blinded role and a site
user, signed in, opens every page their navigation holds, every tab of it, the subject profile of
the canaries' subjects (and of another site's, by address), every data query, and the Upload page
fed the crafted files (the preview, its findings and corrections, then the load). Every element's
text, every table's cells, every chart's data, every option of every list and every download is
scanned for the canaries of ``leak_probe``: zero hits; the same scan of the statistician's pages
finds every kind.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import streamlit as st
from helpers import APP, TEAM_PASSWORD
from leak_probe import PROBED, Probe, scan, site_of
from streamlit.delta_generator import DeltaGenerator
from streamlit.testing.v1 import AppTest

from dashboards.catalogue import pages_for
from trial.governance.access import Access
from trial.governance.views import scoped
from trial.governance.data_queries import query_list
from trial.governance.users import account, start_session
from trial.store import Store

pytestmark = pytest.mark.slow

TIMEOUT = 180
TOLERABILITY_TABS = ("Overview", "By preferred term", "Severity and relationship", "Listing", "Microneedling sessions")


@pytest.fixture(scope="module")
def studies(probe_study) -> dict[str, Probe]:
    return {name: probe_study(name) for name in ("open_label", "double_blind")}


class Downloads:
    """What every download button of a run would give: Streamlit makes a deferred download's bytes
    only when a browser asks, which AppTest never does, so the button's data is taken as it is made."""

    def __init__(self, monkeypatch):
        self.made: list[tuple[str, bytes]] = []
        original = DeltaGenerator.download_button

        def download_button(dg, label, data, *args, **kwargs):
            made = data() if callable(data) else data
            self.made.append((str(label), made.encode() if isinstance(made, str) else bytes(made)))
            return original(dg, label, data, *args, **kwargs)

        monkeypatch.setattr(DeltaGenerator, "download_button", download_button)
        monkeypatch.setattr(st, "download_button", functools.partial(download_button, st._main))

    def take(self) -> list[tuple[str, bytes]]:
        made, self.made = self.made, []
        return made


def _everything(at: AppTest) -> str:
    """Every element of the page as the browser would receive it: its protobuf (text, options,
    chart specifications, table bytes) and each table's cells."""
    parts = []

    def walk(node) -> None:
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        value = getattr(node, "value", None) if getattr(node, "type", "") in ("dataframe", "table") else None
        if value is not None:
            parts.append(value.to_csv())
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at._tree)
    return "\n".join(parts)


def _study_copy(probe: Probe, who: str, folder: Path, cluster=None) -> tuple[str, object, Callable[[], object]]:
    """The probe study for one prober's run: a copy of its file, or (with a PostgreSQL ``cluster``)
    a database holding its rows and accounts, each account a role; (TRIAL_DB, ``who``'s account there,
    and how the system opens it)."""
    folder.mkdir(parents=True, exist_ok=True)
    if cluster is None:
        db = folder / "study.duckdb"
        shutil.copy(probe.path, db)
        with Store.open(db) as store:
            return str(db), account(store, who), lambda: Store.open(db)
    from postgres import server_twin

    from trial.store.server import ServerStore

    with Store.open(probe.path, read_only=True) as store:
        url, roles = server_twin(cluster, f"probe_{folder.parent.name}_{who}".lower(), store, TEAM_PASSWORD)
    with ServerStore.for_sign_in(url) as accounts:
        return url, account(accounts, roles[who]), lambda: ServerStore.for_sign_in(url)


def _run(probe: Probe, who: str, folder: Path, monkeypatch, cluster=None) -> dict[str, str]:
    """Every page ``who`` may open, as they would open it, on a copy of the probe study (in a
    PostgreSQL database of the ``cluster`` given)."""
    where, user, opened = _study_copy(probe, who, folder, cluster)
    with opened() as store:
        token = start_session(store, user)
    with (Store.open(where) if cluster is None else _owner(where)) as store:
        every_query = store.query("SELECT query_id FROM data_queries ORDER BY 1").query_id.tolist()
        theirs = query_list(scoped(store, Access.of(user))).query_id.tolist()
    # each query not theirs, by its address (a number typed or linked), and one of theirs (the
    # list already shows theirs; one shows the history and the value now)
    query_ids = [q for q in every_query if q not in theirs] + theirs[:1]
    monkeypatch.setenv("TRIAL_DB", where)
    downloads = Downloads(monkeypatch)
    seen: dict[str, str] = {}

    def page(path: str | None, label: str, **params) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=TIMEOUT)
        at.session_state["session_token"] = token
        for name, value in params.items():
            at.query_params[name] = value
        at.run()
        if path is not None:
            at.switch_page(path).run()
        keep(at, label)
        return at

    def keep(at: AppTest, label: str) -> None:
        assert not at.exception, (who, label, [e.message for e in at.exception])
        seen[label] = _everything(at)
        for number, (name, data) in enumerate(downloads.take()):
            seen[f"{label} ↓ {number} {name}"] = data.decode("utf-8", "replace")

    page(None, "home")
    site = site_of(who)
    for spec in pages_for(user):
        name = Path(spec.path).stem
        if name == "subject":
            for subject in {probe.treated[s] for s in probe.treated} | {probe.control[site]}:
                page(spec.path, f"subject {subject}", subject=subject)
        elif name == "tolerability":
            for tab in TOLERABILITY_TABS:
                page(spec.path, f"tolerability {tab}", tab=tab)
        elif name == "queries":
            page(spec.path, "queries")
            for query_id in query_ids:
                page(spec.path, f"query {query_id}", query=str(query_id))
        elif name == "overview":
            at = page(spec.path, "overview")
            listed = [g for g in at.button_group if g.key == "findings_status"]
            # on PostgreSQL a site's account reads the uploads its site's accounts sent, and the probe
            # study's were loaded by its set-up user before any account: a site there lists none
            assert listed or (cluster is not None and user.site_id is not None), (who, "no findings listed")
            if listed:
                listed[0].set_value("all").run()
                keep(at, "overview, every finding")
        elif name == "upload":
            at = page(spec.path, "upload")
            picker = at.get("file_uploader")[0]
            for file_name, data in probe.files[site].items():
                picker.upload(file_name, data, "text/csv")
            picker.run()
            keep(at, "upload preview")
            for reason in (t for t in at.text_area if t.label.startswith("Reason")):
                reason.input("probe correction").run()
            load = [b for b in at.button if b.label.startswith("Load ")]
            if load:
                load[0].click().run()
                keep(at, "upload loaded")
        elif name == "admin":
            at = page(spec.path, "admin")
            next(b for b in at.button if b.label == "Verify").click().run()
            keep(at, "admin, verified")
        else:
            page(spec.path, name)
    return seen


def _owner(url: str):
    from trial.store.server import ServerStore

    return ServerStore.open(url)


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def runs(request, studies, tmp_path_factory):
    """Each prober's run of every page on one engine: the embedded file, or PostgreSQL (the app then
    acts as the prober's role, and the database withholds what the pages must not show)."""
    folder = tmp_path_factory.mktemp(f"page-runs-{request.param}")
    cluster = request.getfixturevalue("pg_cluster") if request.param == "postgresql" else None

    @functools.cache
    def run(study: str, who: str) -> dict[str, str]:
        with pytest.MonkeyPatch.context() as monkeypatch:
            return _run(studies[study], who, folder / study / who, monkeypatch, cluster)

    return run


@pytest.mark.parametrize(("study", "who"), PROBED)
def test_no_page_a_prober_opens_holds_what_they_may_not_learn(studies, runs, study, who):
    probe = studies[study]
    seen = runs(study, who)
    found = scan(seen, probe.forbidden(probe.kinds_for(who), probe.supplied_by(who)))
    assert not found.hits, f"{who} ({study}) sees:\n{found.report()}"
    assert any(label.startswith(("upload", "subject", "overview", "admin")) for label in seen)


@pytest.mark.parametrize(("study", "who"), PROBED)
def test_the_same_scan_finds_every_kind_on_the_statisticians_pages(studies, runs, study, who):
    probe = studies[study]
    kinds = probe.kinds_for(who)
    found = scan(runs(study, "stat"), probe.forbidden(kinds, probe.supplied_by(who, "stat")))
    assert found.kinds == kinds, (who, kinds - found.kinds)


def test_a_blinded_administrators_audit_trail_leaves_out_what_they_are_blinded_to(studies, tmp_path, monkeypatch):
    """The Administration page showed (and exported) the whole trail to a blinded administrator:
    the verbatim terms and suspected causes corrected, the sessions and the randomization rows."""
    seen = _run(studies["open_label"], "ada", tmp_path, monkeypatch)
    trail = seen["admin"] + "".join(text for label, text in seen.items() if "Export the whole trail" in label)
    assert "Export the whole trail" in " ".join(seen) and "Old value" in trail
    assert "canary verbatim" not in trail and "MICRONEEDLING" not in trail and "procedures" not in trail
