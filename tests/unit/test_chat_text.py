"""Untrusted names in a chat message cannot ping anyone, forge a link or format the message."""

import re

from hypothesis import example, given
from hypothesis import strategies as st

from datasync_scheduler.messages import chat_text
from datasync_scheduler.messages.chat_text import code, cut, line, link, paragraph, plain, size

HOSTILE = [
    "<!channel> the run failed",
    "<!here|here>",
    "<!everyone>",
    "<@U0123ABCD> please look",
    "<#C0123ABCD|general>",
    "<!subteam^S0123|@oncall>",
    "<https://evil.example/login|Open the AWS console>",
    "*bold* _italic_ ~struck~ `code` ```block```",
    "@here @channel",
    "first line\nforged second line",
    "invoice\u202egpj.exe",
    "> quoted\n>> twice",
    "tab\there and a bell\x07",
    "＊fullwidth＊ ＿also＿ ｀this｀",
]
# Any text: names and paths from outside can hold anything, control and bidi characters included.
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=300)
LINK_MARKUP = re.compile(r"<[^<>]*\|[^<>]*>")


def assert_cannot_ping_or_link(text: str) -> None:
    assert "<!" not in text and "<@" not in text and "<#" not in text
    assert "<" not in text and ">" not in text
    assert not LINK_MARKUP.search(text)


@given(ANY_TEXT)
def test_prose_never_pings_links_or_formats(text: str) -> None:
    for escaped in (paragraph(text), line(text)):
        assert_cannot_ping_or_link(escaped)
        assert not set("*_~`") & set(escaped)
        assert "@here" not in escaped and "@channel" not in escaped


@given(ANY_TEXT)
@example("a\nb\rc\u2028d\u2029e\x85")
def test_one_line_fields_stay_on_one_line(text: str) -> None:
    for escaped in (line(text), code(text), plain(text), chat_text.preformatted(text)):
        assert not set("\n\r\x85\u2028\u2029") & set(escaped)


@given(ANY_TEXT)
def test_a_path_is_one_code_span_that_nothing_inside_can_close(text: str) -> None:
    span = code(text)
    assert span.startswith("`") and span.endswith("`")
    assert span.count("`") == 2
    assert_cannot_ping_or_link(span)


@given(ANY_TEXT)
def test_a_header_has_no_angle_brackets_at_all(text: str) -> None:
    header = plain(text)
    assert "<" not in header and ">" not in header


def test_slacks_control_sequences_arrive_as_text() -> None:
    for text in HOSTILE:
        assert_cannot_ping_or_link(paragraph(text))
    assert line("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@\u2060U1&gt;"


def test_formatting_characters_become_look_alikes_slack_does_not_parse() -> None:
    assert line("*bold* _it_ ~x~ `c`") == "\u2217bold\u2217 \u02cdit\u02cd \u223cx\u223c \u02cbc\u02cb"


def test_a_path_keeps_its_spelling_inside_a_code_span() -> None:
    assert code("/data/my_file*final*~1.txt") == "`/data/my_file*final*~1.txt`"
    assert code("/a/`rm -rf`/b") == "`/a/\u02cbrm -rf\u02cb/b`"
    assert code("/a/<b>&c") == "`/a/&lt;b&gt;&amp;c`"
    assert code("") == "`(empty)`"


def test_line_breaks_and_reordering_controls_are_shown_as_escapes() -> None:
    assert line("report\u202egpj.exe") == "report\\u202egpj.exe"
    assert code("a\nforged") == "`a\\nforged`"
    # A paragraph keeps its lines, but none of them can start a quote.
    assert paragraph("ok\n> quoted") == "ok\n\u00ad&gt; quoted"


def test_only_aws_console_addresses_are_linked() -> None:
    console = "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1&x=a|b>c"
    assert link(console, "Workflow <execution>") == (
        "<https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1&amp;x=a%7Cb%3Ec"
        "|Workflow &lt;execution&gt;>"
    )
    for elsewhere in (
        "https://evil.example/x",
        "http://eu-west-1.console.aws.amazon.com/",
        "https://console.aws.amazon.com.evil.example/",
        "https://user@console.aws.amazon.com/",
        "javascript:alert(1)",
        "https://[bad/",
    ):
        assert link(elsewhere, "label") == "label (not linked: not an AWS console address)", elsewhere


@given(st.text(max_size=500), st.integers(min_value=10, max_value=400))
def test_a_cut_text_fits_and_never_ends_inside_an_entity(text: str, limit: int) -> None:
    cut_text = cut(line(text), limit)
    assert size(cut_text) <= limit
    assert not re.search(r"&[a-z]*$", cut_text.removesuffix(chat_text.ELLIPSIS))


def test_lengths_are_counted_as_slack_counts_them() -> None:
    assert size("abc") == 3
    assert size("\U0001f4c1") == 2  # an emoji outside the BMP is two UTF-16 units
