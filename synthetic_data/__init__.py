"""Synthetic study data. ``examples/`` holds a small hand-checkable demo study (all eight domains,
two sites, twelve screened subjects) that ``trial demo`` loads through the normal upload path."""

from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
