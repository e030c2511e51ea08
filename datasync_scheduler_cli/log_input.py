"""What `analyze-logs` reads: bytes from a file or a pipe, decoded, recognised, and turned into
(message, stream) events for the log parser.

Three formats, recognised by the first line that is not blank:

- the JSON the AWS CLI prints for CloudWatch Logs' FilterLogEvents and GetLogEvents, an object whose
  `events` list holds objects with a string `message` (and, for FilterLogEvents, `logStreamName`);
  several such documents may follow one another (docs/aws-facts.md#cloudwatch-logs-api);
- DataSync Enhanced-mode events, JSON objects with `Action`, `Source`, `Destination` or `ErrorCode`,
  one per line (JSON Lines) or pretty-printed one after the other (docs/aws-facts.md#datasync-logs);
- anything else is text: DataSync's Basic log lines, one per line. A text line that happens to
  begin with `{` (a job tag, a note) is text too, as long as the line is not the start of JSON.

Any other JSON (an array, an object of another shape, an event without a `message`) is refused:
read as text it would give "0 failure(s)", which is a claim about the transfer, not about the input.

Bytes are decoded as UTF-8, UTF-16 or UTF-32 when a byte order mark says so (and the mark is
removed, so the first line reads like the others), as UTF-16 without a mark when the first bytes
alternate with NULs the way ASCII text does in UTF-16 (what some Windows tools write), else as
UTF-8. Undecodable bytes are an error naming their offset, never replaced silently.

Lines end at a line feed only: a file name may hold U+2028 or NEL, which JSON leaves unescaped.
Every problem is a `LogInputError` whose message is one line; the command prints it and exits 2.
"""

from __future__ import annotations

import codecs
import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.log_parser import LogParser, parse_events
from datasync_scheduler.domain.untrusted import one_line

CHUNK = 64 * 1024
# How many bytes are looked at to recognise UTF-16 without a byte order mark.
_SNIFF = 512
# Longest byte order marks first: UTF-32 LE's starts with UTF-16 LE's.
_BYTE_ORDER_MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)
# The fields of an Enhanced-mode log event (docs/aws-facts.md#datasync-logs); an object with none of
# them is no such event.
_ENHANCED_FIELDS = ("Action", "Source", "Destination", "ErrorCode")
_NEITHER = (
    'is JSON but neither a CloudWatch Logs response ({"events": [...]}, as `aws logs filter-log-events` '
    "or `get-log-events` print it) nor a DataSync Enhanced-mode event"
)
_NAMES_SHOWN = 5


class LogInputError(Exception):
    """The input cannot be read as a log; the message (one line) says why and where."""


def decoded_blocks(source: BinaryIO, name: str) -> Iterator[str]:
    """`source` decoded, in runs of whole lines (each line with its line feed, except perhaps the
    input's last), some 64 KiB each.

    `name` is how errors call the input ("standard input", or the file's path)."""
    head = source.read(CHUNK)
    encoding, label, mark = _encoding_of(head)
    decoder = codecs.getincrementaldecoder(encoding)("strict")
    offset = len(mark)  # bytes decoded so far, from the start of the input
    chunk = head[len(mark) :]
    pending = ""
    while True:
        final = not chunk
        held = len(decoder.getstate()[0])  # bytes of an incomplete character kept from the last chunk
        try:
            text = decoder.decode(chunk, final)
        except UnicodeDecodeError as error:
            at = offset - held + error.start
            bad = error.object[error.start : error.end].hex(" ")
            raise LogInputError(
                f"{one_line(name)} is not {label} text: the bytes at offset {at} ({bad}) cannot be decoded "
                "(UTF-8, or UTF-16 and UTF-32 with a byte order mark, are read)"
            ) from None
        offset += len(chunk)
        pending += text
        end = pending.rfind("\n") + 1
        if end:
            yield pending[:end]
            pending = pending[end:]
        if final:
            break
        chunk = source.read(CHUNK)
    if pending:
        yield pending


def decoded_lines(source: BinaryIO, name: str) -> Iterator[str]:
    """The lines of `source` (each with its line feed, except perhaps the last), decoded."""
    return lines_of(decoded_blocks(source, name))


def lines_of(blocks: Iterable[str]) -> Iterator[str]:
    """The lines of runs of whole lines, each with its line feed (except perhaps the very last).
    A log's lines end at line feeds only (not at U+2028 or NEL, which file names may hold)."""
    for block in blocks:
        *complete, last = block.split("\n")
        for line in complete:
            yield line + "\n"
        if last:
            yield last


def failures_in(source: BinaryIO, name: str) -> Iterator[FileFailure]:
    """The failures a log (any format above) records, in the order they complete. A text log is
    read a block at a time (`LogParser.feed_lines`), so its lines that cannot be failures cost
    almost nothing; JSON is read event by event."""
    blocks = decoded_blocks(source, name)
    head = ""
    for block in blocks:
        head += block
        if _first_line(head) is not None:
            break
    first = _first_line(head)
    rest = itertools.chain([head], blocks)
    if first is None or _reading_of(first) != "text":
        yield from parse_events(log_events(lines_of(rest)))
        return
    parser = LogParser()
    for block in rest:
        yield from parser.feed_lines(block)
    yield from parser.finish()


def _first_line(text: str) -> str | None:
    """The first non-blank line of `text` once it is complete, else None."""
    for line in lines_of([text]):
        if line.strip():
            return line if line.endswith("\n") else None
    return None


def log_events(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(message, stream) pairs from the lines of a log, in one of the formats above; raises
    LogInputError for JSON that is broken or of another shape."""
    iterator = iter(lines)
    skipped: list[str] = []
    for line in iterator:
        if line.strip():
            first = line
            break
        skipped.append(line)
    else:
        return  # empty, or only blank lines: no events
    number = len(skipped) + 1
    reading = _reading_of(first)
    if reading == "json lines":
        yield from _json_lines(first, iterator, number)
    elif reading == "json":
        text = first + "".join(iterator)
        yield from _json_documents(text, first_line=number)
    else:
        for line in (*skipped, first):
            yield _without_line_feed(line), ""
        for line in iterator:
            yield _without_line_feed(line), ""


def _reading_of(first: str) -> str:
    """How to read input whose first non-blank line is `first`: "json lines" (it is one whole JSON
    value), "json" (it starts a JSON value that goes on), or "text"."""
    content = _without_line_feed(first).strip()
    if content.startswith("["):
        if _is_json(content):
            return "json lines"
        if not _starts_a_json_array(content):
            return "text"
    elif not content.startswith("{"):
        return "text"
    try:
        json.loads(content)
    except RecursionError:
        return "json lines"  # a whole line of JSON nested too deeply: refused as such below
    except json.JSONDecodeError as error:
        if error.msg == "Extra data":
            # A whole value, then more on the same line: JSON written one value after another, or a
            # text line that merely begins with something in braces.
            return "json" if content[error.pos :].lstrip().startswith("{") else "text"
        # The line ends before its value does: pretty-printed JSON, or JSON cut short.
        ends_early = error.pos >= len(content) or error.msg.startswith("Unterminated string")
        return "json" if ends_early else "text"
    except ValueError:
        return "json lines"  # valid JSON Python declines (an integer of more than 4,300 digits)
    return "json lines"


def _starts_a_json_array(content: str) -> bool:
    # A Basic log line starts with "[" too ("[ERROR] ..."): an array that does not end on its first
    # line is taken for one only when an object, an array or a string follows the bracket.
    rest = content[1:].lstrip()
    return rest == "" or rest[0] in '{["'


def _is_json(content: str) -> bool:
    try:
        json.loads(content)
    except (ValueError, RecursionError):
        return False
    return True


def _json_lines(first: str, rest: Iterator[str], number: int) -> Iterator[tuple[str, str]]:
    yield from _line_events(first, number)
    for line in rest:
        number += 1
        if line.strip():
            yield from _line_events(line, number)


def _line_events(line: str, number: int) -> Iterator[tuple[str, str]]:
    content = _without_line_feed(line)
    try:
        value = json.loads(content)
    except RecursionError:
        raise LogInputError(f"line {number} is JSON nested deeper than can be read") from None
    except ValueError as error:
        raise LogInputError(
            f"line {number} is not a whole JSON value ({_reason(error)}); JSON Lines hold one value per line"
        ) from None
    yield from _events_of(value, content, f"line {number}")


def _json_documents(text: str, *, first_line: int) -> Iterator[tuple[str, str]]:
    """The events of the JSON values written one after the other in `text`, all checked before the
    first is given: a broken document is refused whole."""
    decoder = json.JSONDecoder()
    found: list[tuple[str, str]] = []
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            break
        where = f"the value on line {first_line + text.count(chr(10), 0, at)}"
        try:
            value, end = decoder.raw_decode(text, at)
        except RecursionError:
            raise LogInputError(f"{where} is JSON nested deeper than can be read") from None
        except json.JSONDecodeError as error:
            line = first_line + error.lineno - 1
            if error.msg.startswith("Invalid control character") and text[error.pos : error.pos + 1] in ("\r", "\n"):
                raise LogInputError(
                    f"the input is not valid JSON: line {line} ends inside a string; was it cut short?"
                ) from None
            if error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string"):
                raise LogInputError(
                    f"the input is not valid JSON: it ends before the value that starts on line "
                    f"{first_line + text.count(chr(10), 0, at)} does ({error.msg}, line {line} column {error.colno}); "
                    "was it cut short?"
                ) from None
            raise LogInputError(
                f"the input is not valid JSON: {error.msg} (line {line} column {error.colno})"
            ) from None
        except ValueError as error:
            raise LogInputError(f"{where} cannot be read: {_reason(error)}") from None
        found += _events_of(value, text[at:end], where)
        at = end
    yield from found


def _events_of(value: Any, raw: str, where: str) -> Iterator[tuple[str, str]]:
    """The events of one JSON value: a CloudWatch Logs response's events, or the value itself when it
    is an Enhanced-mode event (`raw`, as it was written: the parser reads it again)."""
    if isinstance(value, dict):
        if "events" in value:
            yield from _cloudwatch_events(value["events"], where)
            return
        if any(field in value for field in _ENHANCED_FIELDS):
            yield raw, ""
            return
        fields = ", ".join(one_line(str(name))[:64] for name in list(value)[:_NAMES_SHOWN])
        more = f" and {len(value) - _NAMES_SHOWN:,} more" if len(value) > _NAMES_SHOWN else ""
        said = f"an object with the fields {fields}{more}" if value else "an empty object"
    else:
        said = {list: "a list", str: "a string", bool: "a boolean"}.get(type(value), "a number")
        if value is None:
            said = "null"
    raise LogInputError(f"{where} {_NEITHER}: it is {said}")


def _cloudwatch_events(events: Any, where: str) -> list[tuple[str, str]]:
    if not isinstance(events, list):
        raise LogInputError(f"{where} {_NEITHER}: its events are not a list")
    found = []
    for index, event in enumerate(events):
        message = event.get("message") if isinstance(event, dict) else None
        stream = event.get("logStreamName", "") if isinstance(event, dict) else None
        if not isinstance(message, str) or not isinstance(stream, str):
            raise LogInputError(
                f"{where} {_NEITHER}: events[{index}] has no string message"
                + ("" if isinstance(stream, str) else " or logStreamName")
            )
        found.append((message, stream))
    return found


def _reason(error: ValueError) -> str:
    if isinstance(error, json.JSONDecodeError):
        return f"{error.msg} at column {error.colno}"
    return one_line(str(error))[:200]


def _without_line_feed(line: str) -> str:
    return line[:-2] if line.endswith("\r\n") else line[:-1] if line.endswith("\n") else line


def _encoding_of(head: bytes) -> tuple[str, str, bytes]:
    """(codec, its name for people, the byte order mark to skip) for input that begins with `head`."""
    for mark, codec, label in _BYTE_ORDER_MARKS:
        if head.startswith(mark):
            return codec, label, mark
    sample = head[: _SNIFF - _SNIFF % 2]
    sample = sample[: len(sample) - len(sample) % 2]
    pairs = len(sample) // 2
    if pairs:
        zero_high, zero_low = sample[1::2].count(0), sample[0::2].count(0)
        # Text in UTF-8 has no NUL bytes; ASCII in UTF-16 has one in every pair, on the same side.
        if zero_low == 0 and zero_high * 2 >= pairs:
            return "utf-16-le", "UTF-16", b""
        if zero_high == 0 and zero_low * 2 >= pairs:
            return "utf-16-be", "UTF-16", b""
    return "utf-8", "UTF-8", b""
