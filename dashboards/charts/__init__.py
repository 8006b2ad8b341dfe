"""Pure figure builders for the dashboards: data in, a Plotly figure out; no Streamlit, no store.

The pack's figures (``trial.reports.figures``) are reused as they are; the builders here draw what
only the dashboards show. One module per area (``monitoring``, ``efficacy``, ``safety``); they share
the pack's arm colours and this layout so that a chart on screen looks like its figure in the pack.
"""

from __future__ import annotations

import plotly.graph_objects as go

from trial.reports.figures import PALETTE, arm_colours

__all__ = ["PALETTE", "arm_colours", "style"]

SCREEN_LAYOUT = {
    "template": "simple_white",
    "font": {"family": "Source Sans Pro, Arial, sans-serif", "size": 13},
    "margin": {"l": 60, "r": 20, "t": 50, "b": 50},
    "legend": {"orientation": "h", "yanchor": "top", "y": -0.18, "x": 0},  # below: above it, it covers the title
    "hoverlabel": {"namelength": -1},
}


def style(fig: go.Figure, *, title: str | None = None, height: int = 380) -> go.Figure:
    """The dashboards' look: white, a horizontal legend above the plot, a fixed height."""
    fig.update_layout(**SCREEN_LAYOUT, height=height)
    if title is not None:
        fig.update_layout(title={"text": title, "x": 0, "font": {"size": 15}})
    return fig
