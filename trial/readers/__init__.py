"""What each page and listing reads, through the reader's scoped view of the store
(:class:`trial.governance.views.ScopedStore`): ``monitoring`` (overview, sites, data quality),
``efficacy`` and ``tolerability`` (the arms compared, from the ARD), ``subject_profile``,
``ae_listing`` and ``uploads`` (the upload log and its findings)."""
