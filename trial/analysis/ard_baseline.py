"""ARD for section 14.1: disposition (14.1.1) and demographics and baseline (14.1.2)."""

from __future__ import annotations

from trial.analysis.ard_inputs import Inputs, Rows, TOTAL
from trial.analysis.stats import s_count, s_descriptive


def disposition(inputs: Inputs) -> list[dict]:
    rows = Rows("14.1.1", "ITT")
    adsl = inputs.adsl
    rows.add({"count": len(adsl)}, param="SCREENED", group=TOTAL, method="COUNT")
    rows.add({"count": int((~adsl.eligfl).sum())}, param="SCREEN_FAILURE", group=TOTAL, method="COUNT")
    itt = adsl[adsl.ittfl]
    big_n = inputs.big_n("ITT")
    for group in [*inputs.arms, TOTAL]:
        mine = itt if group == TOTAL else itt[itt.arm == group]
        n = big_n[group]
        rows.add({"count": len(mine)}, param="RANDOMIZED", group=group, method="COUNT")
        for status in ("COMPLETED", "DISCONTINUED"):
            rows.add(s_count(int((mine.eosstt == status).sum()), n), param=status, group=group, method="COUNT")
        for reason, count in mine[mine.eosstt == "DISCONTINUED"].dcsreas.value_counts().sort_index().items():
            rows.add(s_count(int(count), n), param="DISCONTINUED_REASON", category=str(reason), group=group, method="COUNT")
    return rows.rows


def demographics(inputs: Inputs) -> list[dict]:
    rows = Rows("14.1.2", "ITT")
    itt = inputs.adsl[inputs.adsl.ittfl].copy()
    itt["grade"] = itt.severity_scale.fillna("") + " " + itt.severity_grade.fillna("")
    endpoint = inputs.study.endpoint
    adhc = inputs.adhc
    base = adhc.loc[adhc.ablfl & (adhc.region == endpoint.region), ["arm", "param", "aval"]]
    big_n = inputs.big_n("ITT")
    for group in [*inputs.arms, TOTAL]:
        mine = itt if group == TOTAL else itt[itt.arm == group]
        rows.add(s_descriptive(mine.age), param="AGE", group=group)
        for param, column in (("SEX", "sex"), ("DIAGNOSIS", "diagnosis"), ("SEVERITY_GRADE", "grade"), ("FITZPATRICK", "fitzpatrick")):
            for level, count in mine[column].fillna("Missing").str.strip().replace("", "Missing").value_counts().sort_index().items():
                rows.add(s_count(int(count), big_n[group]), param=param, category=str(level), group=group, method="COUNT")
        mine_base = base if group == TOTAL else base[base.arm == group]
        for param in ("HAIR_COUNT", "DENSITY"):
            values = mine_base[mine_base.param == param].aval
            rows.add(s_descriptive(values), param=f"BASELINE_{param}", category=endpoint.region, group=group)
    return rows.rows


ANALYSES = (disposition, demographics)
