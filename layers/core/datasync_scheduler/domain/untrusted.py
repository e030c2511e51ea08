"""Untrusted text made safe to show: the one filter every rendering (email, Slack, Chatbot, the CLI) uses.

Task names, workflow input field names, file names and DataSync's error texts come from outside,
and may hold any of these (docs/aws-facts.md#untrusted-text-in-names-and-logs).
Shown as they are, some code points steer the reader instead of being read:

- C0 controls (U+0000-U+001F) and DEL: line feeds and carriage returns forge lines, ESC starts
  terminal escape sequences, the rest are invisible;
- C1 controls (U+0080-U+009F): NEL (U+0085) breaks lines for Unicode-aware readers (Python's
  `splitlines`, many mail clients), CSI (U+009B) starts a terminal escape sequence by itself;
- the line and paragraph separators U+2028 and U+2029, line breaks for Unicode-aware readers;
- bidirectional formatting characters (Unicode's UAX #9): the embeddings and overrides
  U+202A-U+202E and the isolates U+2066-U+2069 reorder what follows (`gpj.exe` shown as `exe.jpg`).
  The implicit marks LRM (U+200E), RLM (U+200F) and ALM (U+061C) are invisible and move neutral
  characters (dots, slashes) across a name; a file name has no need of them, so they are treated
  alike.

Each of them is replaced by a visible escape (`\\n`, `\\u0085`) rather than dropped or turned into
"?": an operator then sees the name as it is spelled and can tell `a\\u202eb` from `ab` or `a?b`.
Everything else is kept as it is, accents, CJK, emoji and their joiners (U+200D) included.

A backslash is not escaped itself, so a name that holds the six characters `\\u0085` reads the
same as one holding U+0085: the JSON output of `analyze-logs` and the failure report keep every
name exactly.
"""

from __future__ import annotations

from collections.abc import Iterator

__all__ = ["FORBIDDEN", "escape_char", "forbidden_in", "multiline", "one_line"]

_SHORT = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _forbidden() -> Iterator[str]:
    yield from (chr(code) for code in range(0x00, 0x20))  # C0
    yield "\x7f"  # DEL
    yield from (chr(code) for code in range(0x80, 0xA0))  # C1, NEL and CSI among them
    yield "\u2028"  # LINE SEPARATOR
    yield "\u2029"  # PARAGRAPH SEPARATOR
    yield from (chr(code) for code in range(0x202A, 0x202F))  # LRE, RLE, PDF, LRO, RLO
    yield from (chr(code) for code in range(0x2066, 0x206A))  # LRI, RLI, FSI, PDI
    yield "\u200e"  # LEFT-TO-RIGHT MARK
    yield "\u200f"  # RIGHT-TO-LEFT MARK
    yield "\u061c"  # ARABIC LETTER MARK


# Every code point that never reaches a reader as it is.
FORBIDDEN: frozenset[str] = frozenset(_forbidden())


def escape_char(char: str) -> str:
    """The visible escape of one forbidden character: `\\n`, `\\r`, `\\t`, else `\\uXXXX`."""
    return _SHORT.get(char) or f"\\u{ord(char):04x}"


_ONE_LINE = str.maketrans({char: escape_char(char) for char in FORBIDDEN})
# A text of several lines keeps its line feeds and tabs; a carriage return is escaped like the rest
# (on a terminal it moves back to the start of the line, over what was already written).
_MULTILINE = str.maketrans({char: escape_char(char) for char in FORBIDDEN - {"\n", "\t"}})


def one_line(text: str) -> str:
    """Untrusted text on one line: every forbidden character escaped, line breaks included."""
    return text.translate(_ONE_LINE)


def multiline(text: str) -> str:
    """Untrusted text that may span lines (an alarm's reason, a pasted message): line feeds and tabs
    are kept, every other forbidden character is escaped."""
    return text.translate(_MULTILINE)


def forbidden_in(text: str) -> frozenset[str]:
    """The forbidden characters `text` holds (none, once it went through `one_line`)."""
    return FORBIDDEN.intersection(text)
