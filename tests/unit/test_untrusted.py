"""Untrusted text: what steers a reader is shown escaped, everything a name may legitimately hold is kept."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasync_scheduler.domain.untrusted import FORBIDDEN, forbidden_in, multiline, one_line

# One example of each class the filter stands for, with the escape a reader sees instead.
CLASSES = {
    "line feed (C0)": ("\n", "\\n"),
    "carriage return (C0)": ("\r", "\\r"),
    "escape (C0, terminal sequences)": ("\x1b", "\\u001b"),
    "delete": ("\x7f", "\\u007f"),
    "next line NEL (C1)": ("\x85", "\\u0085"),
    "CSI (C1, terminal sequences)": ("\x9b", "\\u009b"),
    "line separator": ("\u2028", "\\u2028"),
    "paragraph separator": ("\u2029", "\\u2029"),
    "right-to-left override": ("\u202e", "\\u202e"),
    "left-to-right embedding": ("\u202a", "\\u202a"),
    "first strong isolate": ("\u2068", "\\u2068"),
    "pop directional isolate": ("\u2069", "\\u2069"),
    "right-to-left mark": ("\u200f", "\\u200f"),
}


@pytest.mark.parametrize(("char", "shown"), CLASSES.values(), ids=CLASSES.keys())
def test_each_class_is_shown_as_a_visible_escape(char: str, shown: str) -> None:
    assert one_line(f"/photos/a{char}b.jpg") == f"/photos/a{shown}b.jpg"


def test_a_name_that_reverses_its_extension_is_shown_as_spelled() -> None:
    assert one_line("invoice\u202egpj.exe") == "invoice\\u202egpj.exe"


@pytest.mark.parametrize(
    "name",
    ["café/naïve.txt", "報告書/第3四半期.xlsx", "👩\u200d💻 notes.md", "שלום/مرحبا.txt", "tab-free name", "a\\b"],
)
def test_legitimate_unicode_is_kept(name: str) -> None:
    assert one_line(name) == name
    assert multiline(name) == name


def test_several_lines_keep_their_line_feeds_and_tabs_but_nothing_else() -> None:
    assert multiline("first\tline\nsecond\u2028third\r\n\x85") == "first\tline\nsecond\\u2028third\\r\n\\u0085"


# UAX #9's classes of the explicit formats, and of the implicit marks LRM, RLM and ALM.
BIDI_CLASSES = {"LRE", "RLE", "PDF", "LRO", "RLO", "LRI", "RLI", "FSI", "PDI", "L", "R", "AL"}


def test_every_forbidden_character_is_a_control_a_separator_or_a_bidi_format() -> None:
    import unicodedata

    assert {unicodedata.category(char) for char in FORBIDDEN} == {"Cc", "Cf", "Zl", "Zp"}
    assert all(
        unicodedata.bidirectional(char) in BIDI_CLASSES for char in FORBIDDEN if unicodedata.category(char) == "Cf"
    )


@given(st.text())
def test_no_forbidden_character_survives_one_line(text: str) -> None:
    shown = one_line(text)
    assert not forbidden_in(shown)
    assert "\n" not in shown and len(shown.splitlines()) <= 1


@given(st.text())
def test_several_lines_hold_no_forbidden_character_but_line_feeds_and_tabs(text: str) -> None:
    shown = multiline(text)
    assert forbidden_in(shown) <= {"\n", "\t"}
    # Its lines are exactly those its line feeds make, for a reader that knows every Unicode line break.
    if shown:
        assert shown.splitlines() == shown.removesuffix("\n").split("\n")
