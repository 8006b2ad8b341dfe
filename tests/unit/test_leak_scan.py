"""The leak probe's scan itself: a canary number is found on its own and inside page text, and not
inside the random identifiers Streamlit gives elements and downloads (a false alarm that once failed CI
when a deferred download's id happened to end in a planted hair count)."""

from __future__ import annotations

from leak_probe import _canary, scan

COUNT = _canary("site S02", "planted hair_count 1873", 1873)


def test_a_planted_number_is_found_in_page_text():
    found = scan({"page": 'cells: "S02-002,WEEK_4,1873,"'}, [COUNT])
    assert found.names() == {"planted hair_count 1873"}


def test_a_planted_number_inside_a_longer_number_is_not_a_hit():
    assert scan({"page": "18730 and 21873"}, [COUNT]).hits == {}


def test_a_random_element_id_that_ends_in_the_number_is_not_a_hit():
    text = 'deferred_file_id: "d46170131a3f40f6a3ec4f8e33ea1873"  id: "$$ID-40cd93aaf88152369b86d04cac347b2a-None"'
    assert scan({"page": text}, [COUNT]).hits == {}


def test_the_number_beside_an_id_is_still_a_hit():
    text = 'deferred_file_id: "d46170131a3f40f6a3ec4f8e33ea1873" value: 1873'
    assert scan({"page": text}, [COUNT]).names() == {"planted hair_count 1873"}


ARM = _canary("arm", "the test arm's label", "Minoxidil 5 % + microneedling")


def test_a_label_is_found_through_no_break_spaces_and_invisible_joiners():
    """The pages bind a number to its unit ("5\u00a0%"), and ``ui.plain`` puts word joiners into
    bare links: neither may hide an arm's label from the scan, in any spelling a page sends."""
    for spelling in ("Minoxidil 5\u00a0% + microneedling", "Minoxidil 5\\u00a0% + microneedling",
                     "Minoxidil 5&nbsp;% + micro\u2060needling", "Minoxidil\u202f5 % +\u00a0microneedling"):
        assert scan({"page": spelling}, [ARM]).names() == {"the test arm's label"}, spelling
