"""Efficacy, pull-test and global-assessment charts: numbers from the ARD (or the analysis rows)
in, a Plotly figure out. The change-by-visit and individual-change charts are the pack's figures
(``trial.reports.figures``) in the dashboards' style, so screen and pack draw the same thing."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboards.charts import arm_colours, style
from trial.reports import figures
from trial.reports.formats import visit_label

AXIS_NAMES = {"HAIR_COUNT": "hair count", "DENSITY": "density (hairs/cm²)"}
MEASURE_WORDS = {"chg": "Change", "pchg": "% change"}
# a diverging scale: worse in reds, no change grey, better in blues (responders the darkest two)
SCORE_COLOURS = {-3: "#b2182b", -2: "#d6604d", -1: "#f4a582", 0: "#d0d0d0", 1: "#92c5de", 2: "#4393c3", 3: "#2166ac"}


def change_by_visit(ard: pd.DataFrame, study, *, param: str, measure: str, region: str) -> go.Figure:
    """Mean change (or % change) from baseline by visit with 95 % CI, one line per arm."""
    fig = figures.mean_change_by_visit(ard, study, param=param, measure=measure, region=region)
    what = MEASURE_WORDS[measure]
    style(fig, title=f"{what} from baseline in {AXIS_NAMES[param]}, {region.lower()} region", height=430)
    fig.update_layout(yaxis_title=f"{what}, mean and 95 % CI", xaxis_title=None)
    return legend_below(fig)


def individual_changes(rows: pd.DataFrame, study, *, param: str, measure: str, region: str, visit: str) -> go.Figure:
    """Each subject's change at ``visit``, sorted: a waterfall (lines for thousands of subjects)."""
    fig = figures.individual_changes(rows, study, param=param, measure=measure, region=region, visit=visit)
    what = MEASURE_WORDS[measure]
    style(fig, title=f"Each subject's {what.lower()} at {visit_label(visit)}", height=420)
    fig.update_layout(yaxis_title=f"{what} in {AXIS_NAMES[param]}")
    return legend_below(fig)


def subgroups(rows: pd.DataFrame, study, *, centre: str = "mean") -> go.Figure:
    """% change in density by region and subgroup, a dot per arm with its interval (a forest plot):
    the mean with its 95 % CI (``centre="mean"``), or the median with Q1 and Q3 (``"median"``, what
    the single-arm papers report).

    ``rows`` are ``trial.readers.efficacy.summaries.subgroup_rows``: region, subgroup, arm, n, mean,
    ci_lower, ci_upper, median, q1, q3.
    """
    middle, low, high, words = (("mean", "ci_lower", "ci_upper", "mean and 95 % CI") if centre == "mean"
                                else ("median", "q1", "q3", "median and quartiles"))
    interval = "95 % CI" if centre == "mean" else "Q1–Q3"
    colours = arm_colours(study)
    order = list(dict.fromkeys(zip(rows.region, rows.subgroup, strict=True)))[::-1]  # first at the top
    position = {key: i for i, key in enumerate(order)}
    offsets = _offsets(len(study.arms))
    fig = go.Figure()
    for arm, offset in zip(study.arms, offsets, strict=True):
        mine = rows[rows.arm == arm.code]
        if mine.empty:
            continue
        y = [position[(r, s)] + offset for r, s in zip(mine.region, mine.subgroup, strict=True)]
        fig.add_trace(go.Scatter(
            x=mine[middle], y=y, mode="markers", name=arm.label, marker={"color": colours[arm.code], "size": 9},
            error_x={"type": "data", "symmetric": False, "array": mine[high] - mine[middle], "arrayminus": mine[middle] - mine[low]},
            customdata=list(zip(mine.region.str.capitalize(), mine.subgroup, mine[low], mine[high], mine.n, strict=True)),
            hovertemplate="%{customdata[0]}, %{customdata[1]}: %{x:.2f} % (" + interval
                          + " %{customdata[2]:.2f} to %{customdata[3]:.2f}), n=%{customdata[4]:.0f}",
        ))
    several_regions = rows.region.nunique() > 1
    labels = [f"{region.capitalize()} · {subgroup}" if several_regions else subgroup for region, subgroup in order]
    fig.update_yaxes(tickvals=list(range(len(order))), ticktext=labels, range=[-0.7, len(order) - 0.3], showgrid=True, gridcolor="#eee")
    fig.add_vline(x=0, line={"color": "#999", "width": 1})
    style(fig, title=f"% change in density by subgroup ({words})", height=max(300, 150 + 30 * len(order)))
    fig.update_layout(xaxis_title="% change in density from baseline")
    return legend_below(fig)


def pull_test_by_visit(rows: pd.DataFrame, study) -> go.Figure:
    """Share of the subjects tested with a positive pull test, by visit and arm (grouped bars)."""
    colours = arm_colours(study)
    fig = go.Figure()
    for arm in study.arms:
        mine = rows[rows.arm == arm.code]
        if mine.empty:
            continue
        fig.add_trace(go.Bar(
            x=mine.visit_label, y=mine.pct, name=arm.label, marker_color=colours[arm.code], texttemplate="%{y:.1f} %", textposition="outside",
            customdata=list(zip(mine["count"], mine.tested, mine.not_tested, strict=True)),
            hovertemplate="%{x}: %{customdata[0]:.0f} of %{customdata[1]:.0f} tested (%{y:.1f} %) positive; %{customdata[2]:.0f} not tested",
        ))
    style(fig, title="Positive pull test by visit", height=420)
    fig.update_layout(yaxis={"title": "% of the subjects tested", "range": [0, 105]}, xaxis_title=None, barmode="group")
    return legend_below(fig)


def score_distribution(rows: pd.DataFrame, study, *, title: str) -> go.Figure:
    """The global-assessment scores −3 … +3 by arm as diverging bars: worse to the left of zero,
    better to the right, "no change" split across zero; lengths are % of the arm's ITT count.
    Arm names stand above their bar (not beside it) so a phone's width goes to the bars.

    ``rows`` are ``trial.readers.efficacy.assessments.score_rows``: arm, arm_label, score, count, pct,
    denominator.
    """
    arms = [a for a in study.arms if a.code in set(rows.arm)][::-1]  # the first arm at the top
    codes = [a.code for a in arms]
    positions = list(range(len(arms)))
    fig = go.Figure()
    # relative bars stack outwards from zero in trace order: the halves of 0 first, then ±1, ±2, ±3
    for score, side in [(0, -1), (0, 1), (-1, 1), (1, 1), (-2, 1), (2, 1), (-3, 1), (3, 1)]:
        mine = rows[rows.score == score].set_index("arm").reindex(codes)
        pct = mine.pct.fillna(0)
        x = pct / 2 * side if score == 0 else pct * (1 if score > 0 else -1)
        fig.add_trace(go.Bar(
            y=positions, x=x, orientation="h", name=f"{score:+d}".replace("-", "−") if score else "0", legendgroup=str(score),
            showlegend=not (score == 0 and side == -1), legendrank=100 + score, marker_color=SCORE_COLOURS[score], width=0.5,
            customdata=list(zip(mine["count"].fillna(0), mine.denominator.fillna(0), pct, mine.arm_label, strict=True)),
            hovertemplate=f"Score {score:+d}: " + "%{customdata[0]:.0f} of %{customdata[1]:.0f} (%{customdata[2]:.1f} %)<extra>%{customdata[3]}</extra>",
        ))
    for position, arm in zip(positions, arms, strict=True):
        fig.add_annotation(x=0, xref="paper", y=position + 0.3, yanchor="bottom", xanchor="left", text=arm.label, showarrow=False,
                           font={"size": 13})
    reach = _reach(rows)
    limit = 25 * -(-reach // 25) if reach else 100  # the longer side, up to the next 25 %, on both sides
    ticks = [t for t in range(-100, 101, 25) if abs(t) <= limit]
    style(fig, title=title, height=190 + 75 * len(arms))
    fig.update_layout(barmode="relative", showlegend=True)
    fig.update_xaxes(range=[-limit - 2, limit + 2], tickvals=ticks, ticktext=[f"{abs(t)}" for t in ticks], zeroline=False,
                     title="← worse     % of the arm's ITT subjects     better →")
    fig.update_yaxes(showticklabels=False, range=[-0.45, len(arms) - 0.2], showline=False, ticks="")
    fig.add_vline(x=0, line={"color": "#666", "width": 1})
    legend_below(fig)
    fig.update_layout(legend={"traceorder": "normal", "entrywidth": 28, "entrywidthmode": "pixels"}, margin={"l": 10, "r": 10})
    return fig


def _reach(rows: pd.DataFrame) -> float:
    """How far the longest bar reaches from zero, in % (drawing only: where the axis ends)."""
    if rows.empty:
        return 0.0
    halves = rows.assign(left=rows.pct.where(rows.score < 0, 0) + rows.pct.where(rows.score == 0, 0) / 2,
                         right=rows.pct.where(rows.score > 0, 0) + rows.pct.where(rows.score == 0, 0) / 2)
    sides = halves.groupby("arm")[["left", "right"]].sum()
    return float(sides.to_numpy().max())


def legend_below(fig: go.Figure) -> go.Figure:
    """The legend at the foot of the figure, under the axis title: above the plot it collides with
    the title as soon as a narrow (phone) width wraps it onto a second line. No legend (and no
    room kept for one) when a single trace, one arm, needs none."""
    if len({trace.name for trace in fig.data if trace.showlegend is not False}) < 2:
        fig.update_layout(showlegend=False)
        return fig
    fig.update_layout(legend={"orientation": "h", "yref": "container", "y": 0.01, "yanchor": "bottom", "x": 0, "xanchor": "left"},
                      margin={"b": 115})
    return fig


def _offsets(count: int) -> list[float]:
    """Vertical offsets that keep each arm's dot apart within a subgroup's row."""
    if count == 1:
        return [0.0]
    step = 0.5 / (count - 1)
    return [0.25 - i * step for i in range(count)]
