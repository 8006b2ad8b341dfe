"""Figures of the pack and the dashboards as Plotly figures, built from the ARD (and, for individual
changes, from the analysis rows): pure builders, no files (``pack_figures`` numbers and writes them)."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from trial.reports.formats import visit_label
from trial.reports.view import ArdView

PALETTE = ["#4C78A8", "#F58518", "#54A24B", "#B279A2"]
MOST_BARS = 2000  # above this many subjects the individual changes are drawn as sorted lines
LAYOUT = {"template": "simple_white", "font": {"family": "Arial, sans-serif", "size": 13}, "margin": {"l": 70, "r": 30, "t": 70, "b": 60}}


def arm_colours(study) -> dict[str, str]:
    return {a.code: PALETTE[i % len(PALETTE)] for i, a in enumerate(study.arms)}


def mean_change_by_visit(ard: pd.DataFrame, study, *, param: str | None = None, measure: str | None = None,
                         region: str | None = None) -> go.Figure:
    """Mean change (or % change) from baseline by visit, 95 % CI, one line per arm (table 14.2.2).

    ``param`` (``HAIR_COUNT``, ``DENSITY``), ``measure`` (``chg``, ``pchg``) and ``region`` default to
    the study's primary endpoint, which is the pack's figure; the dashboards pass other choices.
    """
    e = study.endpoint
    param, measure, region = param or e.parameter, measure or e.measure, region or e.region
    statistic = f"{param}_{measure.upper()}"
    view = ArdView(ard, "14.2.2")
    colours = arm_colours(study)
    fig = go.Figure()
    for arm in study.arms:
        visits = [v for v in study.visit_codes if view.get(statistic, "mean", group=arm.code, category=region, visit=v) is not None]
        mean, low, high = ([view.get(statistic, stat, group=arm.code, category=region, visit=v) for v in visits]
                           for stat in ("mean", "ci_lower", "ci_upper"))
        n = [view.get(statistic, "n", group=arm.code, category=region, visit=v) for v in visits]
        fig.add_trace(go.Scatter(
            x=[visit_label(v) for v in visits], y=mean, name=arm.label, mode="lines+markers", line={"color": colours[arm.code]},
            error_y={"type": "data", "symmetric": False, "array": [h - m for h, m in zip(high, mean, strict=True)],
                     "arrayminus": [m - lo for m, lo in zip(mean, low, strict=True)]},
            customdata=list(zip(low, high, n, strict=True)),
            hovertemplate="%{x}: %{y:.1f} (95 % CI %{customdata[0]:.1f} to %{customdata[1]:.1f}), n=%{customdata[2]:.0f}",
        ))
    what = "% change" if measure == "pchg" else "Change"
    fig.update_layout(title=f"{what} from baseline in {param.replace('_', ' ').lower()}, {region.lower()} (mean, 95 % CI)",
                      yaxis_title=what, xaxis_title="Visit", legend={"orientation": "h", "y": -0.2}, **LAYOUT)
    fig.add_hline(y=0, line={"color": "#999", "width": 1})
    return fig


def individual_changes(adhc: pd.DataFrame, study, *, param: str | None = None, measure: str | None = None,
                       region: str | None = None, visit: str | None = None) -> go.Figure:
    """Each subject's change at a visit, sorted (a waterfall), coloured by arm.

    ``param``, ``measure``, ``region`` and ``visit`` default to the primary endpoint. Above
    ``MOST_BARS`` subjects each arm's sorted values are drawn as a line of at most ``MOST_BARS``
    evenly spaced points (first and last kept), which looks the same and stays quick to draw.
    """
    e = study.endpoint
    param, measure, region, visit = param or e.parameter, measure or e.measure, region or e.region, visit or e.visit
    rows = adhc[(adhc.param == param) & (adhc.region == region) & (adhc.avisit == visit) & adhc[measure].notna()]
    rows = rows.sort_values(measure, ascending=False).reset_index(drop=True)
    colours = arm_colours(study)
    labels = {a.code: a.label for a in study.arms}
    fig = go.Figure()
    arms = [a.code for a in study.arms if a.code in set(rows.arm)]  # the study's order, as in every other figure
    if len(rows) <= MOST_BARS:  # a waterfall: one bar per subject
        for arm in arms:
            mine = rows[rows.arm == arm]
            fig.add_trace(go.Bar(x=mine.index, y=mine[measure], name=labels.get(arm, arm), marker_color=colours.get(arm),
                                 hovertext=mine.subject_id, hovertemplate="%{hovertext}: %{y:.1f}<extra></extra>"))
        x_title = "Subjects, ordered by their change"
    else:  # thousands of bars are unreadable (and slow to draw): each arm's sorted values as one line
        for arm in arms:
            mine = rows[rows.arm == arm]
            values = mine[measure].sort_values(ascending=False).to_numpy()
            keep = np.unique(np.linspace(0, len(values) - 1, min(len(values), MOST_BARS)).round().astype(int))
            share = (keep + 0.5) / len(values) * 100
            fig.add_trace(go.Scatter(x=share, y=values[keep], mode="lines", name=labels.get(arm, arm), line={"color": colours.get(arm)}))
        x_title = "Subjects of the arm, ordered by their change (%)"
    what = "% change" if measure == "pchg" else "change"
    fig.update_layout(title=f"Individual {what} at {visit_label(visit)}, {region.lower()}", yaxis_title=what.capitalize(),
                      xaxis={"title": x_title, "showticklabels": len(rows) > MOST_BARS}, bargap=0.1,
                      legend={"orientation": "h", "y": -0.15}, **LAYOUT)
    return fig


def ae_incidence(ard: pd.DataFrame, study, *, top: int | None = None, order: str = "incidence", title: str | None = None,
                 panel_titles: tuple[str, str] | None = None, layout: dict | None = None) -> go.Figure:
    """Incidence of each preferred term by arm (left) and the risk difference with 95 % CI (right).

    Parameters
    ----------
    ard, study
        The analysis results dataset (table 14.3.2 is read) and the study (arms, control arm).
    top
        Only the ``top`` most frequent terms (all arms together); all terms when None (the pack).
    order
        ``"incidence"`` (most frequent at the top, the pack's order) or ``"risk_difference"``
        (largest excess in the test arm at the top; incidence when the study has no control arm).
    title, panel_titles, layout
        The figure's title, the titles of its two panels (incidence, risk difference), and layout
        settings replacing the pack's (the dashboards pass their own look); the pack's when None.
    """
    view = ArdView(ard, "14.3.2")
    pts = view.frame[(view.frame.param == "TEAE_PT") & (view.frame.stat == "count") & (view.frame.group == "TOTAL")]
    if top is not None:
        pts = pts.sort_values(["value", "category"], ascending=[False, True]).head(top)
    order_terms = pts.sort_values("value").category.tolist()  # most frequent at the top
    colours = arm_colours(study)
    contrast = None
    control = study.control_arm
    if control is not None:
        test = next(a for a in study.arms if not a.control)
        contrast = f"{test.code}-{control.code}"
    if contrast and order == "risk_difference":
        diff_of = {c: view.get("TEAE_PT", "diff", group=contrast, method="RISK_DIFF", category=c) for c in order_terms}
        order_terms = sorted(order_terms, key=lambda c: (diff_of[c] is not None, diff_of[c] or 0.0))  # largest at the top
    # Plotly reads <a href>, <b>… in its text as markup: a term as uploaded is escaped to show as written
    names = [html.escape(c.split(";pt=")[1], quote=False) for c in order_terms]
    incidence_title, difference_title = panel_titles or ("Subjects with the event (%)", "Risk difference, % (95 % CI)")
    fig = make_subplots(rows=1, cols=2 if contrast else 1, shared_yaxes=True, column_widths=[0.55, 0.45] if contrast else None,
                        horizontal_spacing=0.04,
                        subplot_titles=[incidence_title, *([difference_title] if contrast else [])])
    for arm in study.arms:
        count = [view.get("TEAE_PT", "count", group=arm.code, method="COUNT", category=c) or 0 for c in order_terms]
        pct = [view.get("TEAE_PT", "pct", group=arm.code, method="COUNT", category=c) or 0 for c in order_terms]
        fig.add_trace(go.Scatter(x=pct, y=names, mode="markers", name=arm.label, marker={"color": colours[arm.code], "size": 10},
                                 customdata=count, hovertemplate="%{y}: %{customdata:.0f} (%{x:.1f} %)<extra>" + arm.label + "</extra>"),
                      1, 1)
    if contrast:
        get = lambda stat: [view.get("TEAE_PT", stat, group=contrast, method="RISK_DIFF", category=c) for c in order_terms]
        diff, low, high = get("diff"), get("ci_lower"), get("ci_upper")
        fig.add_trace(go.Scatter(
            x=diff, y=names, mode="markers", name=f"{test.label} − {control.label}", marker={"color": "#333", "size": 9},
            error_x={"type": "data", "symmetric": False, "array": [h - d for h, d in zip(high, diff, strict=True)],
                     "arrayminus": [d - lo for d, lo in zip(diff, low, strict=True)]},
            customdata=list(zip(low, high, strict=True)),
            hovertemplate="%{y}: %{x:.1f} (%{customdata[0]:.1f}, %{customdata[1]:.1f})<extra>risk difference</extra>",
        ), 1, 2)
        fig.add_vline(x=0, line={"color": "#999", "width": 1}, row=1, col=2)
    own = {"title": title or "Treatment-emergent adverse events by preferred term", "height": max(420, 60 + 32 * len(names)),
           "legend": {"orientation": "h", "y": -0.12}}
    fig.update_layout(**(own | (LAYOUT if layout is None else layout)))
    return fig


def consort(ard: pd.DataFrame, study) -> go.Figure:
    """A CONSORT flow diagram drawn from the disposition counts (table 14.1.1)."""
    view = ArdView(ard, "14.1.1")
    count = lambda param, group="TOTAL", category="": view.get(param, "count", group=group, method="COUNT", category=category)
    screened, failed = count("SCREENED"), count("SCREEN_FAILURE")
    fig = go.Figure()
    boxes = [(0.5, 0.92, f"Screened (n={screened:.0f})"), (0.85, 0.77, f"Screen failures (n={failed:.0f})"),
             (0.5, 0.62, f"Randomized (n={count('RANDOMIZED'):.0f})")]
    arms = study.arms
    links: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for i, arm in enumerate(arms):
        x = (i + 1) / (len(arms) + 1)
        reasons = [(c, count("DISCONTINUED_REASON", arm.code, c)) for c in view.values("category", param="DISCONTINUED_REASON", group=arm.code)]
        detail = "<br>".join(f"{c.replace('_', ' ').lower()}: {n:.0f}" for c, n in reasons if n)
        boxes += [
            (x, 0.42, f"<b>{arm.label}</b><br>allocated (n={count('RANDOMIZED', arm.code):.0f})"),
            (x, 0.22, f"Discontinued (n={count('DISCONTINUED', arm.code):.0f})" + (f"<br>{detail}" if detail else "")),
            (x, 0.04, f"Completed (n={count('COMPLETED', arm.code):.0f})"),
        ]
        links += [((0.5, 0.58), (x, 0.47)), ((x, 0.37), (x, 0.29)), ((x, 0.15), (x, 0.08))]
    for x, y, text in boxes:
        fig.add_annotation(x=x, y=y, xref="paper", yref="paper", text=text, showarrow=False, bordercolor="#444", borderwidth=1,
                           borderpad=6, bgcolor="#f7f7f7", align="center", font={"size": 12})
    links += [((0.5, 0.88), (0.5, 0.66)), ((0.5, 0.77), (0.76, 0.77))]
    for (x0, y0), (x1, y1) in links:  # connectors drawn under the boxes
        fig.add_shape(type="line", xref="paper", yref="paper", x0=x0, y0=y0, x1=x1, y1=y1, line={"color": "#666", "width": 1.5}, layer="below")
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.update_layout(title="Flow of subjects (CONSORT)", height=620, **LAYOUT)
    return fig
