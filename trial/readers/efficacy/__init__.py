"""What the efficacy dashboards show, read from the ARD (and, for each subject's change, from ADHC).

``summaries`` turns ARD tables 14.2.1, 14.2.2 and 14.2.4 into sentences, metrics and formatted
tables; ``assessments`` does the same for the pull test (14.2.3) and the global assessment
(14.2.5); ``rows`` reads the analysis rows behind the individual-changes chart. Numbers are
formatted with ``trial.reports.formats`` so the screen matches the end-of-study tables; nothing
here computes a statistic.
"""
