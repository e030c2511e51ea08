"""Untrusted text made safe for chat: Slack mrkdwn, and Chatbot's client-markdown (which Slack renders).

Task names, DataSync's error texts and file names come from outside. In mrkdwn they could ping a
channel (`<!channel>`, `<!here>`, `<@U123>`, `<!subteam^S1>`), forge a link (`<https://evil|click>`)
or format the message (`*`, `_`, `~`, backticks). What this module does about each:

- `&`, `<`, `>` become `&amp;`, `&lt;`, `&gt;`, the escaping Slack documents: no `<...>` control
  sequence (mention, link) can come from outside.
- Slack has no escape for formatting characters, so in prose they become characters that look the
  same and that Slack does not parse: `*` the asterisk operator U+2217, `_` the modifier letter low
  macron U+02CD, `~` the tilde operator U+223C, a backtick the modifier grave accent U+02CB (the
  same choice as jsx-slack's). A `>` that starts a line gets a soft hyphen first (no forged quote), and
  `@` a word joiner (no `@here` even where Slack parses plain mentions).
- Text whose exact spelling matters (paths, task names, ARNs) goes in a code span instead, where
  Slack does not format: only backticks in it are replaced, so copying it still gives the name.
- Control characters (C0 and C1), U+2028/U+2029 and bidirectional formatting (`gpj.exe` shown as
  `exe.jpg`) are shown as visible escapes by `untrusted`, the filter the email uses too; line breaks
  as well in one-line text.

Lengths are counted in UTF-16 code units, which is what a JavaScript service counts: never less
than Python's `len`, so a text within a limit here is within it on both sides.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from datasync_scheduler.domain.untrusted import multiline, one_line

_ENTITIES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_LOOKALIKES = str.maketrans(
    {
        "*": "\u2217",  # asterisk operator
        "\uff0a": "\ufe61",  # fullwidth asterisk -> small asterisk
        "_": "\u02cd",  # modifier letter low macron
        "\uff3f": "\u2e0f",  # fullwidth low line -> paragraphos
        "`": "\u02cb",  # modifier letter grave accent
        "\uff40": "\u02cb",
        "~": "\u223c",  # tilde operator
        "\uff5e": "\u223c",
        "@": "@\u2060",  # word joiner: "@here" no longer reads as one word
    }
)
_QUOTE_AT_LINE_START = re.compile(r"(^|\n)(&gt;|\uff1e)")
_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")
# Hosts a link may point at: the AWS consoles the messages link to, nothing else.
_LINK_HOSTS = re.compile(
    r"^(?:(?:[a-z0-9-]+\.)?console\.aws\.amazon\.com|console\.amazonaws\.cn|console\.amazonaws-us-gov\.com)$"
)
# Characters a link's address keeps as they are; anything else is percent-encoded, so nothing in
# it can end the `<url|label>` sequence early.
_URL_SAFE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]")
ELLIPSIS = "…"


def size(text: str) -> int:
    """The length Slack and Chatbot count: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def escape(text: str) -> str:
    """Slack's documented escaping: `&`, `<` and `>` as entities."""
    return text.translate(_ENTITIES)


def paragraph(text: str) -> str:
    """Untrusted prose as mrkdwn: it keeps its line breaks, nothing in it formats, pings or links."""
    return _unformatted(escape(multiline(text)))


def line(text: str) -> str:
    """Untrusted prose on one line as mrkdwn: like `paragraph`, and line breaks are escaped too."""
    return _unformatted(escape(one_line(text)))


def code(text: str) -> str:
    """Untrusted text whose spelling matters (a path, a name) as an mrkdwn code span, on one line."""
    inner = preformatted(text)
    # An empty span is not a span: Slack would show two backticks.
    return f"`{inner}`" if inner.strip() else "`(empty)`"


def preformatted(text: str) -> str:
    """One line of untrusted text inside an mrkdwn code block (```): escaped, and no backtick that
    could close the block early."""
    return escape(one_line(text)).replace("`", "\u02cb").replace("\uff40", "\u02cb")


def plain(text: str) -> str:
    """Untrusted text for a plain_text object (a header): one line, and no `<` or `>` at all.

    Slack does not parse plain_text, but angle brackets are replaced by look-alikes (single angle
    quotation marks, U+2039 and U+203A) rather than escaped, so the text shows the same whether or
    not a client decodes entities there."""
    return one_line(text).replace("<", "\u2039").replace(">", "\u203a")


def link(url: str, label: str) -> str:
    """`<url|label>` when the address is one of the AWS consoles; otherwise the label alone, saying so.

    Only addresses the scheduler builds itself are linked: a message can never carry a link
    somewhere else, whatever text it quotes."""
    label_text = line(label) or "link"
    if not _is_console_address(url):
        return f"{label_text} (not linked: not an AWS console address)"
    address = "".join(char if _URL_SAFE.match(char) else _percent(char) for char in url)
    return f"<{escape(address)}|{label_text}>"


def cut(text: str, limit: int, *, tail: str = ELLIPSIS) -> str:
    """`text` (already escaped) within `limit` UTF-16 units, ending in `tail` when it was cut.

    Never ends inside an entity (`&am`), which Slack would show half-escaped."""
    if size(text) <= limit:
        return text
    room = limit - size(tail)
    kept = text[:room]
    while size(kept) > room:
        kept = kept[:-1]
    kept = _ENTITY_TAIL.sub("", kept)
    return kept + tail


def _is_console_address(url: str) -> bool:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:  # a malformed port or IPv6 literal
        return False
    return (
        parts.scheme == "https"
        and bool(_LINK_HOSTS.match(parts.hostname or ""))
        and parts.username is None
        and port is None
        and "\\" not in url
    )


def _unformatted(escaped: str) -> str:
    return _QUOTE_AT_LINE_START.sub("\\1\u00ad\\2", escaped.translate(_LOOKALIKES))


def _percent(char: str) -> str:
    return "".join(f"%{byte:02X}" for byte in char.encode())
