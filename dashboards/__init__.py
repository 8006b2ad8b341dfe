"""The Streamlit dashboards: ``app.py`` (navigation), ``views/`` (one file per page), ``data.py``
(the only place that caches), ``ui.py`` (shared page parts) and ``charts/`` (pure figure builders).

The pages live in ``views/``, not ``pages/``: Streamlit runs a ``pages/`` folder's files on its own
when a link opens one directly, bypassing ``app.py`` (its navigation, layout and sign-in).
"""
