"""Charts of the study overview: enrolment against target, screening by site, the visit-completion
matrix and out-of-window visits. Pure builders: frames from ``trial.readers.monitoring`` in, a Plotly
figure out; nothing is counted here."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

from dashboards.charts import PALETTE, style

# Twenty distinguishable colours; a 50-site study repeats them, but then the legend is off and
# hovering names the site.
SITE_COLOURS = [*qualitative.Plotly, *qualitative.D3]
MOST_SITES_IN_LEGEND = 12
RANDOMIZED, SCREEN_FAILED, NOT_RANDOMIZED = PALETTE[0], PALETTE[1], "#BAB0AC"
# Completion from poor (orange) to complete (blue), light enough everywhere for dark numbers on top;
# below 80 % every cell is equally alarming, so the scale starts there; 98 % already reads paler
# than a complete visit.
COMPLETION_SCALE = [[0.0, "#e08060"], [0.5, "#f4b896"], [0.75, "#fbe3d4"], [0.9, "#e6eef4"], [1.0, "#8fbfe0"]]
COMPLETION_FLOOR = 80


def site_colours(site_ids) -> dict[str, str]:
    return {site: SITE_COLOURS[i % len(SITE_COLOURS)] for i, site in enumerate(site_ids)}


def _figure(*traces) -> go.Figure:
    """A figure without Plotly's default template: ``style`` sets the dashboards' own, and replacing
    the default one costs several times more than setting it on a bare figure."""
    return go.Figure(list(traces), layout={"template": "none"})


def _legend_below(fig: go.Figure, *, top: int = 60, bottom: int = 130) -> go.Figure:
    """The legend under the x-axis title (above the plot, Streamlit's chart theme lays it over
    the title): placed in pixels, since the plot's height varies with the number of sites."""
    plot_height = max(fig.layout.height - top - bottom, 60)
    fig.update_layout(legend={"orientation": "h", "x": 0, "xanchor": "left", "y": -75 / plot_height, "yanchor": "top"},
                      margin={"t": top, "b": bottom})
    return fig


def _period_word(period: str) -> str:
    return {"day": "day", "week": "week", "month": "month"}.get(period, period)


def enrolment_over_time(points: pd.DataFrame, sites: pd.DataFrame, period: str, *,
                        data_cut: dt.date | None = None) -> go.Figure:
    """Cumulative randomized subjects by site over time, each site's target drawn with it.

    Up to ``MOST_SITES_IN_LEGEND`` sites each has its colour, legend entry and dashed target line;
    beyond that the curves share one colour (one trace, quick to draw) and each target is a diamond
    at the right end, the hover naming the site.

    Parameters
    ----------
    points
        ``site_id``, ``period_start``, ``cumulative`` (``trial.readers.monitoring.enrolment_curve``).
    sites
        The sites to draw (``site_id``, ``name``, ``target_enrolment``), in legend order.
    period
        ``day``, ``week`` or ``month``: what one step of the curve is.
    data_cut
        Each curve runs flat to this date, so a site that stopped recruiting reads as stopped.
    """
    fig = _figure()
    title = "Cumulative randomized by site"
    subtitle = f"By {_period_word(period)}; " + ("dashed lines" if len(sites) <= MOST_SITES_IN_LEGEND else "diamonds") + ": each site's target"
    if points.empty:
        return style(fig, title=title, height=480)
    start = points.period_start.min()
    end = max(points.period_start.max(), pd.Timestamp(data_cut)) if data_cut else points.period_start.max()
    label = {s.site_id: f"{s.site_id} {s.name}".strip() for s in sites.itertuples(index=False)}
    targets = sites[sites.target_enrolment > 0]
    shape = "hv" if period == "day" else "linear"  # steps read as steps by day; by week they braid
    if len(sites) <= MOST_SITES_IN_LEGEND:
        by_site = {site: mine for site, mine in points.groupby("site_id", sort=False)}  # (0.2 s for 500 sites: here only)
        colours = site_colours(sites.site_id)
        for site in sites.itertuples(index=False):
            mine = by_site.get(site.site_id)
            hover = f"{label[site.site_id]}<br>%{{x|%d %b %Y}}: %{{y}} randomized (target {site.target_enrolment})<extra></extra>"
            if mine is not None:
                fig.add_trace(go.Scatter(
                    x=[*mine.period_start, end], y=[*mine.cumulative, mine.cumulative.iloc[-1]], mode="lines",
                    line={"color": colours[site.site_id], "width": 2.5, "shape": shape}, name=site.site_id,
                    legendgroup=site.site_id, hovertemplate=hover,
                ))
            if site.target_enrolment > 0:
                fig.add_trace(go.Scatter(
                    x=[start, end], y=[site.target_enrolment] * 2, mode="lines", showlegend=False,
                    line={"color": colours[site.site_id], "dash": "dash", "width": 1.5}, legendgroup=site.site_id,
                    hovertemplate=f"{label[site.site_id]}: target {site.target_enrolment}<extra></extra>",
                ))
    else:  # dozens of sites: one trace of all curves, a gap (NaN) between sites; arrays keep Plotly quick
        first = points.groupby("site_id", sort=False).tail(1).assign(period_start=end, randomized=0)
        gaps = first.assign(period_start=pd.NaT, cumulative=None)
        curve = pd.concat([points, first, gaps], ignore_index=True)
        curve["order"] = [0] * len(points) + [1] * len(first) + [2] * len(gaps)
        curve = curve.sort_values(["site_id", "order", "period_start"], kind="stable")
        fig.add_trace(go.Scatter(
            x=curve.period_start.to_numpy(dtype="datetime64[ns]"), y=curve.cumulative.to_numpy(dtype=float),
            text=curve.site_id.map(label).to_numpy(dtype=object), mode="lines", name="Randomized",
            line={"color": PALETTE[0], "width": 1.2, "shape": shape}, opacity=0.7,
            hovertemplate="%{text}<br>%{x|%d %b %Y}: %{y} randomized<extra></extra>",
        ))
        fig.add_trace(go.Scatter(
            x=[end] * len(targets), y=targets.target_enrolment.to_numpy(), text=targets.site_id.map(label).to_numpy(dtype=object),
            mode="markers", name="Target", marker={"symbol": "diamond", "size": 9, "color": "#222"},
            hovertemplate="%{text}: target %{y}<extra></extra>",
        ))
    fig.update_xaxes(title="Randomization date")
    fig.update_yaxes(title="Subjects randomized (cumulative)", rangemode="tozero")
    style(fig, title=title, height=500)
    return _legend_below(fig.update_layout(title_subtitle_text=subtitle), top=80)


def screening_by_site(progress: pd.DataFrame) -> go.Figure:
    """Screened subjects by site split into randomized, screen failures and the rest, with the
    site's target enrolment marked. ``progress``: per-site rows of ``trial.readers.monitoring.site_progress``."""
    rows = progress[~progress.total].sort_values("site_id")
    other = rows.screened - rows.randomized - rows.screen_failures  # eligible, not (yet) randomized
    fig = _figure()
    hover = "<b>%{y}</b> %{customdata[0]}<br>%{x} %{meta}<extra></extra>"
    for values, name, colour in ((rows.randomized, "Randomized", RANDOMIZED),
                                 (rows.screen_failures, "Screen failures", SCREEN_FAILED),
                                 (other, "Eligible, not randomized", NOT_RANDOMIZED)):
        fig.add_trace(go.Bar(
            y=rows.site_id, x=values, name=name, orientation="h", marker_color=colour,
            customdata=rows[["name"]].to_numpy(), meta=name.lower(), hovertemplate=hover,
        ))
    with_target = rows[rows.target_enrolment > 0]
    fig.add_trace(go.Scatter(
        y=with_target.site_id, x=with_target.target_enrolment, mode="markers", name="Target enrolment",
        marker={"symbol": "line-ns", "size": 16, "line": {"width": 3, "color": "#222"}},
        hovertemplate="<b>%{y}</b>: target %{x}<extra></extra>",
    ))
    fig.update_layout(barmode="stack", bargap=0.25, legend={"traceorder": "normal"})
    fig.update_yaxes(title="Site", autorange="reversed", type="category")
    fig.update_xaxes(title="Subjects screened", rangemode="tozero")
    style(fig, title="Screening by site, against target", height=max(260, 190 + 20 * len(rows)))
    return _legend_below(fig.update_layout(legend={"traceorder": "normal"}))


def completion_matrix(completion: pd.DataFrame, visit_labels: dict[str, str], site_names: dict[str, str] | None = None) -> go.Figure:
    """The visit-completion heatmap: sites (rows, the chosen sites' total first) × visits (columns,
    protocol order), coloured by the completed share, each cell reading ``completed/expected``.

    ``completion``: ``trial.readers.monitoring.visit_completion``; ``visit_labels``: code → label in protocol order.
    """
    site_names = site_names or {}
    frame = completion.assign(row=completion.site_id.where(~completion.total, "All sites"))
    sites = sorted(frame.loc[~frame.total, "row"].unique())
    rows = sites if len(sites) == 1 else ["All sites", *sites]  # one site: its total row would repeat it
    frame = frame[frame.row.isin(rows)]
    visits = [v for v in visit_labels if v in set(frame.visit)]

    def grid(column: str) -> pd.DataFrame:
        return frame.pivot(index="row", columns="visit", values=column).reindex(index=rows, columns=visits)

    pct, completed, expected, missing = (grid(c) for c in ("completed_pct", "completed", "expected", "missing"))
    text = completed.astype("Int64").astype(str) + "/" + expected.astype("Int64").astype(str)
    text = text.where(expected.notna(), "–")
    names = pd.DataFrame({v: [site_names.get(r, "") for r in rows] for v in visits}, index=rows)
    custom = pd.concat([pct.round(1).astype(str).where(pct.notna(), "–"), missing.fillna(0).astype(int).astype(str), names],
                       keys=[0, 1, 2], axis=1)
    customdata = custom.to_numpy(dtype=object).reshape(len(rows), 3, len(visits)).transpose(0, 2, 1)
    z = pct.clip(lower=COMPLETION_FLOOR).to_numpy(dtype=float)
    fig = _figure(go.Heatmap(
        z=z, x=[visit_labels[v] for v in visits], y=rows, text=text.to_numpy(dtype=object), texttemplate="%{text}",
        textfont={"size": 11, "color": "#1a1a1a"}, customdata=customdata,
        colorscale=COMPLETION_SCALE, zmin=COMPLETION_FLOOR, zmax=100, xgap=2, ygap=2,
        # Under the matrix, not beside it: on a phone every pixel of width goes to the cells.
        colorbar={"title": {"text": "Completed % (80 % or less: darkest)", "side": "top"}, "ticksuffix": " %",
                  "orientation": "h", "thickness": 10, "len": 0.6, "x": 0, "xanchor": "left",
                  "y": -16 / max(26 * len(rows), 60), "yanchor": "top"},
        hovertemplate="<b>%{y}</b> %{customdata[2]}<br>%{x}: %{text} completed (%{customdata[0]} %), "
                      "%{customdata[1]} missing<extra></extra>",
    ))
    fig.update_yaxes(autorange="reversed", type="category", title=None)
    fig.update_xaxes(side="top", title=None, type="category", tickangle=0)
    style(fig, title="Visits completed / expected", height=max(280, 190 + 26 * len(rows)))
    fig.update_layout(margin={"t": 80, "b": 90})
    return fig


def out_of_window_by_visit(counts: pd.DataFrame, visit_labels: dict[str, str]) -> go.Figure:
    """Subjects with a visit outside its window, by visit (the chosen sites together).

    ``counts``: ``trial.readers.monitoring.out_of_window(...).counts`` (its per-visit total rows are drawn).
    """
    totals = counts[counts.total].set_index("visit")
    visits = list(visit_labels)
    values = [int(totals.visits.get(v, 0)) for v in visits]
    fig = _figure(go.Bar(
        x=[visit_labels[v] for v in visits], y=values, marker_color=PALETTE[1], text=values, textposition="outside",
        hovertemplate="%{x}: %{y} visits outside the window<extra></extra>", cliponaxis=False,
    ))
    fig.update_xaxes(title="Visit", type="category")
    fig.update_yaxes(title="Visits outside the window", rangemode="tozero")
    return style(fig, title="Out-of-window visits", height=320)
