"""Synthetic study data: scenarios calibrated to the published trials (``scenarios/``), written as
the CSV files a site would upload, and dirty copies with a manifest of their faults (``dirty.py``).

``examples/`` holds a small hand-checkable study (all eight domains, two sites, twelve screened
subjects) that tests use as a compact clean source."""

from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
