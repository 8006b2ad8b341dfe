"""The upload pipeline: one CSV file, read → typed → validated → edit-checked → compared with the
study → loaded, or rejected whole with a finding for every bad line.

``upload`` is the entry (``upload_bytes``, ``upload_path``, ``preview_batch``); ``csvfile`` reads
bytes into cells, ``header`` matches the header to a domain, ``cells`` types the cells, ``validate``
runs the domain's pandera schema, ``editchecks`` runs the SQL checks of ``trial/sql/ingest/checks``
against the study as the sender sees it, and ``changes`` plans the inserts and corrections. Who
may send what is asked of :mod:`trial.governance`; the writing goes through :mod:`trial.store`.
"""
