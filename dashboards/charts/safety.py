"""Tolerability charts: subjects by maximum severity or strongest relationship, procedure pain and
pinpoint bleeding by session number. Pure builders: frames read from the ARD in, a figure out."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboards.charts import style


def worst_bars(worst: pd.DataFrame, colours: dict[str, str], *, title: str, height: int = 340) -> go.Figure:
    """Bars lying down: % of each arm's safety population at each level (severity or relationship),
    the levels read top to bottom in their order, each arm's bar labelled n (%) at its end. (Standing
    bars side by side put two arms' labels on top of one another in a half page.)

    ``worst`` holds one measure's rows of ``trial.readers.tolerability.worst_frame`` (level order kept).
    """
    fig = go.Figure()
    for arm, rows in worst.groupby("arm", sort=False):
        fig.add_trace(go.Bar(
            y=rows.level_label, x=rows.pct, orientation="h", name=rows.arm_label.iloc[0], marker_color=colours.get(arm),
            text=rows.cell, textposition="outside", cliponaxis=False,
            hovertemplate="%{y}: %{text} subjects<extra>" + rows.arm_label.iloc[0] + "</extra>",
        ))
    widest = float(worst.pct.max()) if len(worst) and worst.pct.notna().any() else 0.0
    fig.update_layout(barmode="group", xaxis_title=None, yaxis_title=None, uniformtext={"minsize": 10, "mode": "show"})
    # the unit on the ticks (an axis title would sit on the legend below); room at the right for the
    # longest label, "12 (24.0)"; the first level at the top, the first arm above the second
    fig.update_xaxes(range=[0, max(widest, 1.0) * 1.45], ticksuffix=" %")
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(legend_traceorder="normal")
    return _legend_below(style(fig, title=title, height=height))


def _legend_below(fig: go.Figure) -> go.Figure:
    """The legend under the plot: above it, long arm names run into the title on narrow screens."""
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0}, margin={"b": 70})
    return fig


def pain_by_session(by_session: pd.DataFrame, colours: dict[str, str], *, show: str = "box", height: int = 380) -> go.Figure:
    """Pain VAS (0–10) by session number: a box per session (median, quartiles, range, mean) drawn
    from the ARD's statistics, or the mean with its 95 % CI when ``show`` is ``"mean"``."""
    fig = go.Figure()
    for arm, rows in by_session.groupby("arm", sort=False):
        label = rows.arm_label.iloc[0]
        if show == "mean":
            fig.add_trace(go.Scatter(
                x=rows.session, y=rows["mean"], name=label, mode="lines+markers", line={"color": colours.get(arm)},
                error_y={"type": "data", "symmetric": False, "array": rows.ci_upper - rows["mean"],
                         "arrayminus": rows["mean"] - rows.ci_lower},
                customdata=rows[["ci_lower", "ci_upper", "n"]].to_numpy(),
                hovertemplate=("Session %{x}: mean %{y:.1f} (95 % CI %{customdata[0]:.1f} to %{customdata[1]:.1f}), "
                               "n=%{customdata[2]:.0f}<extra>" + label + "</extra>"),
            ))
        else:
            fig.add_trace(go.Box(
                x=rows.session, q1=rows.q1, median=rows["median"], q3=rows.q3, lowerfence=rows["min"],
                upperfence=rows["max"], mean=rows["mean"], name=label, marker_color=colours.get(arm),
                hoverinfo="x+y",
            ))
    fig.update_layout(xaxis={"title": "Session number", "dtick": 1}, yaxis={"title": "Pain (VAS 0–10)", "range": [-0.3, 10.3]},
                      boxmode="group", showlegend=by_session.arm.nunique() > 1)
    return _legend_below(style(fig, title="Pain during the session" + (" (mean, 95 % CI)" if show == "mean" else ""), height=height))


def bleeding_by_session(by_session: pd.DataFrame, colours: dict[str, str], *, height: int = 380) -> go.Figure:
    """% of sessions with pinpoint bleeding, by session number."""
    fig = go.Figure()
    for arm, rows in by_session.groupby("arm", sort=False):
        label = rows.arm_label.iloc[0]
        fig.add_trace(go.Bar(
            x=rows.session, y=rows.bleeding_pct, name=label, marker_color=colours.get(arm),
            customdata=rows[["bleeding_count", "bleeding_of"]].to_numpy(),
            hovertemplate="Session %{x}: %{customdata[0]:.0f} of %{customdata[1]:.0f} (%{y:.1f} %)<extra>" + label + "</extra>",
        ))
    fig.update_layout(xaxis={"title": "Session number", "dtick": 1}, yaxis={"title": "Sessions with bleeding (%)", "range": [0, 105]},
                      barmode="group", showlegend=by_session.arm.nunique() > 1)
    return _legend_below(style(fig, title="Sessions with pinpoint bleeding", height=height))
