"""Analysis: datasets derived in DuckDB (ADSL, ADHC, ADPT, ADGA, ADAE), statistics as pure
functions (``stats``), and the analysis results dataset that every table and chart reads (``ard``)."""
