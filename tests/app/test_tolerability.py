"""The Tolerability page: guidance on an empty database; on the loaded dhurat2013 scenario the TEAE
counts, percentages, events and risk differences it shows equal the ARD's tables 14.3.1–14.3.4 as
the pack formats them; the listing holds the database's adverse events and its filters narrow it;
a single-arm study shows no risk difference."""

from __future__ import annotations

import base64
import json

import numpy as np
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from trial.reports.formats import fmt_ci, fmt_count_pct, fmt_mean_sd
from trial.reports.view import ArdView
from trial.store import Store

PAGE = "views/tolerability.py"
OVERVIEW = {"Any TEAE": "ANY", "Related TEAE": "RELATED", "Severe TEAE": "SEVERE", "Serious TEAE": "SERIOUS",
            "TEAE leading to withdrawal": "LEADING_TO_WITHDRAWAL"}
ARMS, CONTRAST = ("MINOX", "MINOX_MN"), "MINOX_MN-MINOX"


def on_tab(open_page, tab: str) -> AppTest:
    """The page with ``tab`` open (the tab is bound to ``?tab=``)."""
    at = open_page(PAGE)
    at.query_params["tab"] = tab
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def cells(view: ArdView, param: str, category: str, group: str) -> tuple[str, int]:
    get = lambda stat: view.get(param, stat, group=group, method="COUNT", category=category)
    return fmt_count_pct(get("count"), get("pct")), int(get("events"))


def risk_difference(view: ArdView, param: str, category: str) -> str:
    get = lambda stat: view.get(param, stat, group=CONTRAST, method="RISK_DIFF", category=category)
    return fmt_ci(get("diff"), get("ci_lower"), get("ci_upper"))


def array(value) -> list:
    """A Plotly JSON array: a list, or numbers packed as base64 (``{"dtype": "f8", "bdata": …}``)."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


def test_an_empty_database_gets_guidance(empty_app):
    at = empty_app(PAGE)
    assert at.title[0].value == "Tolerability"
    assert "Nothing to show yet" in at.info[0].value
    assert not at.dataframe and not at.metric


def test_the_headline_and_overview_equal_table_14_3_1(loaded_app, dhurat_db, ard_of):
    view = ArdView(ard_of(dhurat_db), "14.3.1")
    at = loaded_app(PAGE)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Any TEAE · Topical minoxidil 5 %"] == cells(view, "TEAE", "ANY", "MINOX")[0]
    assert metrics["Any TEAE · Minoxidil 5 % + microneedling"] == cells(view, "TEAE", "ANY", "MINOX_MN")[0]
    assert metrics["Any TEAE: risk difference, % (95 % CI)"] == risk_difference(view, "TEAE", "ANY")
    [overview] = [d.value for d in at.dataframe]
    assert list(overview["Subjects with"]) == list(OVERVIEW)
    for row in overview.itertuples(index=False):
        category = OVERVIEW[row[0]]
        values = dict(zip(overview.columns, row, strict=True))
        for arm in ARMS:
            assert (values[f"{arm}: n (%)"], values[f"{arm}: events"]) == cells(view, "TEAE", category, arm)
        assert values["Risk difference, % (95 % CI)"] == risk_difference(view, "TEAE", category)
    assert "Newcombe" in "\n".join(c.value for c in at.caption)  # the CI method is named
    # the published fact: most microneedled subjects had a (mild) TEAE, no serious one
    assert overview.loc[overview["Subjects with"] == "Serious TEAE", "MINOX_MN: n (%)"].item() == "0"


def test_a_phone_gets_the_overview_stacked_arm_by_arm_with_the_wide_tables_cells(loaded_app):
    """Both ways are sent (the screen's width keeps one): each arm's small table and the risk
    difference's hold exactly the wide table's cells, under the arm's heading."""
    at = loaded_app(PAGE)
    [wide] = [d.value for d in at.dataframe]
    stacked = [t.value for t in at.table]
    headings = [m.value for m in at.markdown if m.value.startswith("**") and m.value.endswith("**")]
    # each number keeps its unit on its line: "5\u00a0%" never wraps between the 5 and the %
    assert [h.split(" (N=")[0] for h in headings] == [
        "**Topical minoxidil 5\u00a0%", "**Minoxidil 5\u00a0% + microneedling",
        "**Minoxidil 5 % + microneedling − Topical minoxidil 5 %**"]
    assert len(stacked) == 3
    for arm, table in zip(ARMS, stacked, strict=False):
        assert list(table.columns) == ["Subjects with", "n (%)", "Events"]
        assert table["n (%)"].tolist() == wide[f"{arm}: n (%)"].tolist()
        assert table["Events"].tolist() == wide[f"{arm}: events"].tolist()
    assert stacked[2]["Risk difference, % (95 % CI)"].tolist() == wide["Risk difference, % (95 % CI)"].tolist()


def test_every_preferred_term_equals_table_14_3_2_grouped_by_system_organ_class(loaded_app, dhurat_db, ard_of):
    view = ArdView(ard_of(dhurat_db), "14.3.2")
    at = on_tab(loaded_app, "By preferred term")
    [terms] = [d.value for d in at.dataframe]
    categories = view.values("category", param="TEAE_PT")
    classes = view.values("category", param="TEAE_SOC")
    assert len(terms) == len(categories) + len(classes) and len(categories) > 3
    assert terms.columns[0] == "System organ class / preferred term"
    assert list(terms.columns[-2:]) == ["System organ class", "Preferred term"]
    by_pt = {c.split(";pt=")[1]: c for c in categories}
    for row in terms.to_dict("records"):
        param, category = (("TEAE_SOC", f"soc={row['System organ class']}") if row["Preferred term"] == "All terms"
                           else ("TEAE_PT", by_pt[row["Preferred term"]]))
        assert category.split(";pt=")[0].removeprefix("soc=") == row["System organ class"]
        shown = row["System organ class / preferred term"]  # the class itself, or its term indented under it
        assert shown == (row["System organ class"] if param == "TEAE_SOC" else "\u2003\u2003" + row["Preferred term"])
        for arm in ARMS:
            assert (row[f"{arm}: n (%)"], row[f"{arm}: events"]) == cells(view, param, category, arm)
        assert row["Risk difference, % (95 % CI)"] == risk_difference(view, param, category)
        assert row["All arms, %"] == round(view.get(param, "pct", group="TOTAL", method="COUNT", category=category), 1)
    # grouped as table 14.3.2: each class on its own row first, then its terms, most frequent first
    blocks = list(dict.fromkeys(terms["System organ class"]))
    assert len(blocks) == len(classes)
    class_rows = terms[terms["Preferred term"] == "All terms"]
    assert list(class_rows["System organ class"]) == blocks
    assert list(class_rows["All arms, %"]) == sorted(class_rows["All arms, %"], reverse=True)
    for soc in blocks:
        mine = terms[terms["System organ class"] == soc]
        assert mine.iloc[0]["Preferred term"] == "All terms"
        assert list(mine["All arms, %"].iloc[1:]) == sorted(mine["All arms, %"].iloc[1:], reverse=True)
    [chart] = at.get("plotly_chart")
    figure = chart.proto.spec
    assert "Risk difference" in figure and "Erythema" in figure


def test_severity_and_relationship_equal_table_14_3_3(loaded_app, dhurat_db, ard_of):
    view = ArdView(ard_of(dhurat_db), "14.3.3")
    at = on_tab(loaded_app, "Severity and relationship")
    tables = {d.value.columns[0]: d.value.set_index(d.value.columns[0]) for d in at.table}
    assert set(tables) == {"Maximum severity", "Strongest relationship"}
    for measure, param in (("Maximum severity", "TEAE_MAX_SEVERITY"), ("Strongest relationship", "TEAE_MAX_RELATIONSHIP")):
        table = tables[measure]
        for level in view.values("category", param=param):
            label = level.replace("_", " ").capitalize()
            for arm, column in zip(ARMS, table.columns, strict=True):
                expected = fmt_count_pct(view.get(param, "count", group=arm, method="COUNT", category=level),
                                         view.get(param, "pct", group=arm, method="COUNT", category=level))
                assert table.loc[label, column] == expected, (measure, label, arm)
    assert tables["Strongest relationship"].loc["Definite"].iloc[1] != "0"  # microneedling bleeds: definitely related


def test_the_listing_holds_every_event_and_the_filters_narrow_it(loaded_app, dhurat_db):
    with Store.open(dhurat_db) as store:
        events = store.query("SELECT e.subject_id, e.ae_seq, r.arm, e.severity FROM adverse_events e "
                             "JOIN randomization r USING (subject_id) ORDER BY e.site_id, e.subject_id, e.ae_seq")
    at = on_tab(loaded_app, "Listing")
    [listing] = [d.value for d in at.dataframe]
    assert len(listing) == min(50, len(events))  # the first page
    assert list(zip(listing.Subject, listing["No."], strict=True)) == list(zip(events.subject_id, events.ae_seq, strict=False))[:50]
    assert f"**{len(events):,}** of {len(events):,} events" in [m.value for m in at.markdown]
    at.multiselect(key="ae_filter_arm").set_value(["MINOX"]).run()
    [listing] = [d.value for d in at.dataframe]
    minox = events[events.arm == "MINOX"]
    assert set(listing.Arm) == {"Topical minoxidil 5 %"} and len(listing) == min(50, len(minox))
    assert f"**{len(minox):,}** of {len(events):,} events" in [m.value for m in at.markdown]
    at.multiselect(key="ae_filter_severity").set_value(["MODERATE"]).run()
    [listing] = [d.value for d in at.dataframe] or [pd.DataFrame(columns=["Severity"])]
    assert len(listing) == ((minox.severity == "MODERATE").sum())
    assert set(listing.Severity) <= {"MODERATE"}


def test_the_sessions_equal_table_14_3_4(loaded_app, dhurat_db, ard_of):
    view = ArdView(ard_of(dhurat_db), "14.3.4")
    at = on_tab(loaded_app, "Microneedling sessions")
    metrics = {m.label: m.value for m in at.metric}
    get = lambda param, stat, method="DESCRIPTIVE", category="": view.get(param, stat, group="MINOX_MN", method=method, category=category)
    assert metrics["Sessions"] == f"{int(get('NEEDLE_MM', 'n'))}"
    assert metrics["Pain VAS, mean (SD)"] == fmt_mean_sd(get("PAIN_VAS", "mean"), get("PAIN_VAS", "sd"))
    assert metrics["Pinpoint bleeding, n (%)"] == fmt_count_pct(get("PINPOINT_BLEEDING", "count", "COUNT"),
                                                                get("PINPOINT_BLEEDING", "pct", "COUNT"))
    charts = [c.proto.spec for c in at.get("plotly_chart")]
    assert len(charts) == 2 and "Session number" in charts[0]
    # the box of each session is drawn from the ARD's quartiles of that session
    [box] = json.loads(charts[0])["data"]
    sessions, q1, median, q3 = (array(box[k]) for k in ("x", "q1", "median", "q3"))
    for i, session in enumerate(sessions):
        category = f"session={session}"
        assert (q1[i], median[i], q3[i]) == tuple(get("PAIN_VAS_BY_SESSION", s, category=category) for s in ("q1", "median", "q3"))
    assert len(sessions) == 12  # the protocol's twelve weekly sessions


@pytest.mark.parametrize("tab", ["Overview", "By preferred term", "Microneedling sessions"])
def test_a_single_arm_study_shows_no_risk_difference(single_arm_app, tab):
    at = on_tab(single_arm_app, tab)
    assert not any("risk difference" in m.label.lower() for m in at.metric)
    for frame in (d.value for d in [*at.dataframe, *at.table]):
        assert not any("Risk difference" in c for c in frame.columns)
