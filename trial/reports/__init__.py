"""The end-of-study pack: tables built from the ARD (``layouts``) into a ``Table`` model, rendered
as CSV, HTML and DOCX. Nothing here computes a statistic: every number comes from the ARD."""
