"""Synthetic study data: scenarios calibrated to the published trials (``scenarios/``), written as
the CSV files a site would upload, and dirty copies with a manifest of their faults (``dirty.py``;
the fault kinds and the manifest in ``faults.py``, reading the clean files in ``clean_files.py``).

``examples/`` holds a small hand-checkable study (all eight domains, two sites, twelve screened
subjects) that tests use as a compact clean source."""

from pathlib import Path

EXAMPLES = Path(__file__).parent / "examples"
