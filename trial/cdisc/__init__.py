"""CDISC interchange: the study's analysis datasets as ADaM (``adam``), written as SAS XPT v5
(``xpt``) and Dataset-JSON 1.1 (``dataset_json``), described once by ``model``; ``export`` runs
an export for one account."""
