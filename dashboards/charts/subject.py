"""One subject's charts: the timeline (study milestones, visits, sessions, adverse events as spans)
and the hair counts by visit. Pure builders: the subject's rows in, a figure out."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from dashboards.charts import PALETTE, style

SEVERITY_COLOURS = {"MILD": "#E9B949", "MODERATE": "#F58518", "SEVERE": "#C0392B"}
MILESTONE, VISITS, SESSIONS = "Study", "Visits", "Sessions"


def _day(value) -> str:
    return "" if pd.isna(value) else f" · day {int(value)}"


def _date(value) -> str:
    return pd.Timestamp(value).strftime("%Y-%m-%d")


def timeline(facts: dict, hair_counts: pd.DataFrame, sessions: pd.DataFrame, adverse_events: pd.DataFrame,
             visit_labels: dict[str, str]) -> go.Figure:
    """Milestones, visits (with their counts), sessions and adverse events on one date axis.

    An adverse event is a bar from onset to resolution, coloured by severity; one still ongoing
    runs to the subject's last date on record, dashed.
    """
    fig = go.Figure()
    milestones = [("Screened", facts.get("screening_date")), ("Consent", facts.get("consent_date")),
                  ("Randomized", facts.get("randomization_date")),
                  ((facts.get("status") or "End of study").replace("_", " ").capitalize(), facts.get("status_date"))]
    milestones = [(name, when) for name, when in milestones if when is not None and not pd.isna(when)]
    fig.add_trace(go.Scatter(
        x=[when for _, when in milestones], y=[MILESTONE] * len(milestones), mode="markers+text", name="Milestones",
        marker={"symbol": "diamond", "size": 12, "color": "#555"},
        # screening and consent fall days before randomization: named on hover only, so the labels never collide
        text=["" if name in ("Screened", "Consent") else name for name, _ in milestones], textposition="top center",
        textfont={"size": 11}, hovertext=[name for name, _ in milestones], hovertemplate="%{hovertext}: %{x|%Y-%m-%d}<extra></extra>",
        cliponaxis=False,  # the label above the top row stays whole
    ))
    if not hair_counts.empty:
        per_visit = hair_counts.groupby(["position", "visit"], sort=True).agg(
            date=("assessment_date", "first"), day=("study_day", "first"),
            counts=("hair_count", lambda s: list(s)), regions=("region", lambda s: list(s))).reset_index()
        hover = [f"{visit_labels.get(v, v)}{_day(d)}<br>" + "<br>".join(f"{r.lower()}: {c}" for r, c in zip(regions, counts, strict=True))
                 for v, d, regions, counts in zip(per_visit.visit, per_visit.day, per_visit.regions, per_visit.counts, strict=True)]
        fig.add_trace(go.Scatter(
            x=per_visit.date, y=[VISITS] * len(per_visit), mode="markers+text", name="Visits with hair counts",
            marker={"symbol": "circle", "size": 12, "color": PALETTE[0]}, text=[visit_labels.get(v, v) for v in per_visit.visit],
            textposition="top center", textfont={"size": 11}, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        ))
    if not sessions.empty:
        hover = [f"Session {n}{_day(d)} · pain {'–' if pd.isna(p) else int(p)} · bleeding {b or '–'}"
                 for n, d, p, b in zip(sessions.session, sessions.study_day, sessions.pain_vas, sessions.pinpoint_bleeding, strict=True)]
        fig.add_trace(go.Scatter(
            x=sessions.session_date, y=[SESSIONS] * len(sessions), mode="markers", name="Microneedling sessions",
            marker={"symbol": "triangle-up", "size": 11, "color": PALETTE[1]}, hovertext=hover, hovertemplate="%{hovertext}<extra></extra>",
        ))
    rows = [MILESTONE, *([VISITS] if not hair_counts.empty else []), *([SESSIONS] if not sessions.empty else [])]
    last_seen = max([pd.Timestamp(w) for _, w in milestones]
                    + [pd.Timestamp(d) for frame, c in ((hair_counts, "assessment_date"), (sessions, "session_date"),
                                                        (adverse_events, "onset_date"), (adverse_events, "resolution_date"))
                       for d in frame.get(c, pd.Series(dtype="datetime64[ns]")).dropna()], default=None)
    shown = set()
    for event in adverse_events.itertuples(index=False):
        # Plotly reads <a href>, <b>… in its text as markup: the terms as uploaded are escaped to show as written
        term, pt = html.escape(str(event.term), quote=False), html.escape(str(event.pt), quote=False)
        row = f"AE {event.ae_seq}: {pt}"
        rows.append(row)
        ongoing = pd.isna(event.resolution_date)
        end = last_seen if ongoing else event.resolution_date
        colour = SEVERITY_COLOURS.get(event.severity, "#999")
        legend = event.severity.capitalize() + " AE"
        hover = (f"{term} ({pt})<br>{event.severity.lower()}, {'serious' if event.serious == 'Y' else 'not serious'}, "
                 f"{event.relationship.replace('_', ' ').lower()}<br>{_date(event.onset_date)} to "
                 f"{'ongoing' if ongoing else _date(event.resolution_date)} · {event.outcome.replace('_', ' ').lower()}"
                 f"{'' if event.teae else '<br>before randomization (not treatment-emergent)'}")
        fig.add_trace(go.Scatter(
            x=[event.onset_date, end], y=[row, row], mode="lines+markers", name=legend, legendgroup=legend,
            showlegend=legend not in shown, line={"color": colour, "width": 8, "dash": "dot" if ongoing else "solid"},
            marker={"size": 8, "color": colour}, hovertext=[hover, hover], hovertemplate="%{hovertext}<extra></extra>",
        ))
        shown.add(legend)
    randomized = facts.get("randomization_date")
    if randomized is not None and not pd.isna(randomized):
        fig.add_vline(x=pd.Timestamp(randomized), line={"color": "#999", "width": 1, "dash": "dash"})
    fig.update_yaxes(categoryorder="array", categoryarray=list(reversed(rows)), title=None)
    fig.update_xaxes(type="date")
    dates = [pd.Timestamp(w) for _, w in milestones] + ([last_seen] if last_seen is not None else [])
    if dates:  # a week of margin at least: a screen failure's two dates a day apart would otherwise show hours
        first, last = min(dates), max(dates)
        pad = max(pd.Timedelta(days=7), (last - first) * 0.04)
        fig.update_xaxes(range=[first - pad, last + pad])
    fig = style(fig, title="Timeline", height=200 + 34 * len(rows))
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0}, margin={"l": 20, "b": 90})
    fig.update_yaxes(automargin=True)
    return fig


def hair_counts_by_visit(hair_counts: pd.DataFrame, visit_labels: dict[str, str], *, height: int = 300) -> go.Figure:
    """The subject's hair count at each visit, one line per region."""
    fig = go.Figure()
    for i, (region, rows) in enumerate(hair_counts.sort_values("position").groupby("region", sort=True)):
        fig.add_trace(go.Scatter(
            x=[visit_labels.get(v, v) for v in rows.visit], y=rows.hair_count, name=region.capitalize(), mode="lines+markers",
            line={"color": PALETTE[i % len(PALETTE)]}, hovertemplate="%{x}: %{y}<extra>" + region.lower() + "</extra>",
        ))
    fig.update_layout(xaxis_title="Visit", yaxis_title="Hair count", showlegend=hair_counts.region.nunique() > 1)
    return style(fig, title="Hair count by visit", height=height)
