"""dashboards.ui.plain: a value put into Markdown shows as the characters it holds (the page tests
check the pages; the browser test what Chromium draws)."""

from __future__ import annotations

import re

import pytest

from dashboards.ui import WORD_JOINER, plain

UNESCAPED = re.compile(r"(?<!\\)[\[\]<>*_`~|$#&:]")


@pytest.mark.parametrize("attack", [
    "[x](http://evil.example)", "![i](http://evil.example/p.png)", "<b>b</b>", "<http://evil.example>", "**bold** _it_",
    "`code`", "~~gone~~", ":red[red] :material/home: :smile:", "$x^2$", "&lt;b&gt;", "# heading", "a | b",
    "back\\slash [x](y)",
])
def test_no_markdown_sign_is_left_unescaped(attack):
    assert not UNESCAPED.search(plain(attack)), plain(attack)


@pytest.mark.parametrize("address", ["http://evil.example", "https://evil.example/x", "www.evil.example", "WWW.evil.example",
                                     "name@evil.example", "mailto:name@evil.example"])
def test_a_bare_address_is_broken_by_an_invisible_word_joiner(address):
    shown = plain(address)
    assert WORD_JOINER in shown
    assert shown.replace(WORD_JOINER, "").replace("\\", "") == address  # what a person reads is unchanged


@pytest.mark.parametrize(("value", "escaped"), [("- a", "\\- a"), ("+ a", "\\+ a"), ("12. a", "12\\. a"), ("3) a", "3\\) a"),
                                                ("    code", "code"), ("one\n\ntwo\r\nthree", "one two three")])
def test_what_starts_a_block_is_escaped_or_dropped(value, escaped):
    assert plain(value) == escaped


def test_sentences_read_as_written():
    for sentence in ("There is no subject S99-999 (site S01).", "Minoxidil 5 % + microneedling", "Male, 27 years"):
        assert plain(sentence) == sentence


def test_a_colon_or_at_sign_outside_an_address_gets_no_word_joiner():
    assert WORD_JOINER not in plain("Far above baseline: please check @sam's sheet, 10:30")
