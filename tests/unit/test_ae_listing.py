"""The adverse-event listing's filter: each chosen column keeps the chosen values, an empty choice
keeps everything, an unknown column is named."""

import pandas as pd
import pytest

from trial.readers.ae_listing import filter_events

LISTING = pd.DataFrame({
    "site_id": ["S01", "S01", "S02", "S02"], "arm": ["MINOX", "MINOX_MN", "MINOX_MN", "MINOX"],
    "severity": ["MILD", "MODERATE", "MILD", "MILD"], "serious": ["N", "N", "Y", "N"],
    "relationship": ["POSSIBLE", "DEFINITE", "PROBABLE", "NOT_RELATED"], "pt": ["Pruritus", "Erythema", "Pain", "Headache"],
    "teae": ["Y", "Y", "Y", "N"],
})


def test_each_choice_narrows_and_they_combine():
    assert list(filter_events(LISTING, {"arm": ["MINOX_MN"]}).pt) == ["Erythema", "Pain"]
    assert list(filter_events(LISTING, {"arm": ["MINOX_MN"], "site_id": ["S02"]}).pt) == ["Pain"]
    assert list(filter_events(LISTING, {"serious": ["Y"]}).pt) == ["Pain"]
    assert list(filter_events(LISTING, {"severity": ["MILD"], "relationship": ["POSSIBLE", "NOT_RELATED"]}).pt) == ["Pruritus", "Headache"]


def test_empty_choices_keep_everything_and_teae_only_drops_the_others():
    assert len(filter_events(LISTING, {"arm": [], "pt": []})) == 4
    assert list(filter_events(LISTING, treatment_emergent_only=True).pt) == ["Pruritus", "Erythema", "Pain"]


def test_an_unknown_column_is_named():
    with pytest.raises(KeyError, match="'outcome' is not a filter"):
        filter_events(LISTING, {"outcome": ["FATAL"]})
