"""Who may do what, and the evidence that they did: the security boundary.

``users`` (accounts, roles, passwords, sessions), ``session_file`` (the command line's sign-in),
``access`` (what one reader may see: sites, blinding, scoped views of every table), ``trail``
(reading and exporting the audit trail), ``lock`` (database lock), ``unblinding`` (emergency
unblinding), ``data_queries`` (queries raised on data and their answers) and ``integrity`` (the
auditor's check of the chain, the seals and the archive).
"""
