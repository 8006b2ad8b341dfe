"""trial: clinical-trial data management and reporting on an embedded DuckDB store."""

__version__ = "0.1.0"
