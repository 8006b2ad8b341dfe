"""The CSV templates the Upload page offers: for each built-in study, every domain's template (the
data dictionary's header and one example row) loads, in domain order, with no finding at all, and
its header is the dictionary's columns in order."""

from __future__ import annotations

import pytest

from schemas import DOMAINS
from trial.ingest.templates import template_csv
from trial.ingest.upload import upload_bytes
from trial.store import Store
from trial.study import builtin_study_text, parse_study


@pytest.mark.parametrize("name", ["demo", "single_arm"])
def test_every_template_loads_with_no_finding(tmp_path, name):
    text = builtin_study_text(name)
    study = parse_study(text)
    with Store.create(tmp_path / "study.duckdb", text, user="t") as store:
        for domain in DOMAINS:
            data = template_csv(study, domain)
            header, example, *rest = data.decode("utf-8").splitlines()
            assert header.split(",") == DOMAINS[domain].column_names and not rest
            result = upload_bytes(store, data, f"{domain}-template.csv", user="t")
            assert (result.status, result.inserted, [f.sentence for f in result.findings]) == ("loaded", 1, []), domain


def test_a_blinded_readers_template_holds_nothing_withheld_from_them():
    study = parse_study(builtin_study_text("demo"))
    seen = dict(zip(*(line.split(",") for line in template_csv(study, "adverse_events", blinded=True).decode().splitlines()),
                    strict=True))
    assert seen["suspected_cause"] == "" and seen["term"] == seen["pt"] == study.coding[0].pt
    assert "MICRONEEDLING" in template_csv(study, "adverse_events").decode()  # the unblinded example names the cause
