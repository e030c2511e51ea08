"""Prints failures for people (text) or programs (JSON), one at a time, so any number fits."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from typing import Any, TextIO

from datasync_scheduler.domain.failures import CATEGORIES, FailureTally, FileFailure
from datasync_scheduler.domain.notification import path_text


def read_log_input(lines: Iterable[str]) -> Iterator[tuple[str, str]]:
    """(message, stream) pairs from what a user pipes in, recognised by its first line.

    - the JSON printed by `aws logs filter-log-events` / `get-log-events` (`{"events": [...]}`);
    - JSON Lines of Enhanced-mode events (one JSON object per line);
    - DataSync log messages, one per line.
    """
    iterator = iter(lines)
    first = next(iterator, None)
    if first is None:
        return
    if first.lstrip().startswith("{"):
        try:
            document = json.loads(first)
        except ValueError:
            # A pretty-printed document: its first line alone is not JSON.
            document = json.loads(first + "".join(iterator))
        if isinstance(document, dict) and isinstance(document.get("events"), list):
            for event in document["events"]:
                if isinstance(event, dict):
                    yield str(event.get("message", "")), str(event.get("logStreamName", ""))
            return
        yield _one_line(first), ""
        for line in iterator:
            yield _one_line(line), ""
        return
    yield _one_line(first), ""
    for line in iterator:
        yield _one_line(line), ""


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
            suffix = f"  ({path_text(str(detail))})" if detail else ""
            self._out.write(f"{failure.category:<22} {failure.level:<7} {path_text(failure.path)}{suffix}\n")
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
                self._out.write(f"{key}: {value}\n")

    # The FailureSink protocol, so the same analysis can print instead of uploading.
    def close(self) -> str | None:
        return None

    def abort(self) -> None:
        return None
