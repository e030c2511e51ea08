"""Prints failures for people (text) or programs (JSON), one at a time, so any number fits."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from datasync_scheduler.domain.failures import CATEGORIES, FailureTally, FileFailure
from datasync_scheduler.domain.untrusted import one_line


def read_log_input(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(message, stream) pairs from what a user pipes in, recognised by its first line.

    - the JSON printed by `aws logs filter-log-events` / `get-log-events` (`{"events": [...]}`);
    - JSON Lines of Enhanced-mode events (one JSON object per line), or Enhanced-mode events
      pretty-printed, one after the other (whitespace is not part of the format);
    - DataSync log messages, one per line.

    Raises ValueError, saying where, when input that starts as JSON is not JSON.
    """
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    if first.lstrip().startswith("{"):
        try:
            document = json.loads(first)
        except ValueError:
            # Pretty-printed: its first line alone is not JSON.
            yield from _json_documents(first + "".join(iterator))
            return
        if isinstance(document, dict) and isinstance(document.get("events"), list):
            yield from _events(document["events"])
            return
        yield _one_line(first), ""
        for line in iterator:
            yield _one_line(line), ""
        return
    yield _one_line(first), ""
    for line in iterator:
        yield _one_line(line), ""


def _json_documents(text: str) -> Iterator[tuple[str, str]]:
    """The messages of JSON values written one after the other: each event of an AWS CLI document, or
    the value itself (an Enhanced-mode event) as it was written."""
    decoder = json.JSONDecoder()
    at = 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at == len(text):
            return
        try:
            value, end = decoder.raw_decode(text, at)
        except ValueError as error:
            raise ValueError(f"the input is not valid JSON: {error}") from None
        if isinstance(value, dict) and isinstance(value.get("events"), list):
            yield from _events(value["events"])
        else:
            yield text[at:end], ""
        at = end


def _events(events: list[Any]) -> Iterator[tuple[str, str]]:
    for event in events:
        if isinstance(event, dict):
            yield str(event.get("message", "")), str(event.get("logStreamName", ""))


def _one_line(line: str) -> str:
    return line[:-2] if line.endswith("\r\n") else line[:-1] if line.endswith("\n") else line


class PrintedFailures:
    """A failure sink for the terminal: `text` lines or a `json` document streamed as it grows."""

    def __init__(self, out: TextIO, output_format: str) -> None:
        self._out = out
        self._format = output_format
        self.tally = FailureTally()
        if output_format == "json":
            out.write('{"failures": [')

    def write(self, failure: FileFailure) -> None:
        if self._format == "json":
            self._out.write(("\n  " if self.tally.total == 0 else ",\n  ") + json.dumps(failure.to_dict()))
        else:
            detail = failure.evidence.get("detail") or failure.evidence.get("error_detail") or ""
            suffix = f"  ({one_line(str(detail))})" if detail else ""
            category, level = one_line(failure.category), one_line(failure.level)
            self._out.write(f"{category:<22} {level:<7} {one_line(failure.path)}{suffix}\n")
        self.tally.add(failure)

    def finish(self, extra: dict[str, Any] | None = None) -> None:
        counts = {
            category: self.tally.by_category[category] for category in CATEGORIES if category in self.tally.by_category
        }
        if self._format == "json":
            closing = {"total_failures": self.tally.total, "by_category": counts, **(extra or {})}
            body = json.dumps(closing)[1:-1]
            self._out.write(("\n]" if self.tally.total else "]") + (", " + body if body else "") + "}\n")
            return
        self._out.write(f"\n{self.tally.total:,} failure(s)\n")
        for category, count in counts.items():
            self._out.write(f"  {category:<22} {count:,}\n")
        for key, value in (extra or {}).items():
            if value not in (None, ""):
                self._out.write(f"{key}: {one_line(str(value))}\n")

    # The FailureSink protocol, so the same analysis can print instead of uploading.
    def close(self) -> str | None:
        return None

    def abort(self) -> None:
        return None
