"""The Streamlit dashboards: ``app.py`` (navigation), ``pages/`` (one file per page), ``data.py``
(the only place that caches), ``ui.py`` (shared page parts) and ``charts/`` (pure figure builders)."""
