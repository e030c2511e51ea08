"""Prints failures for people (text) or programs (JSON), one at a time, so any number fits."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, TextIO

from datasync_scheduler.domain.failures import CATEGORIES, FailureTally, FileFailure
from datasync_scheduler.domain.untrusted import one_line


class PrintedFailures:
    """A failure sink for the terminal: `text` lines or a `json` document streamed as it grows."""

    def __init__(self, out: TextIO, output_format: str) -> None:
        self._out = out
        self._format = output_format
        self.tally = FailureTally()

    def write(self, failure: FileFailure) -> None:
        if self._format == "json":
            # The document opens with its first failure, so input refused before any leaves no output.
            opening = '{"failures": [\n  ' if self.tally.total == 0 else ",\n  "
            self._out.write(opening + json.dumps(failure.to_dict()))
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
            opened = "\n]" if self.tally.total else '{"failures": []'
            self._out.write(opened + (", " + body if body else "") + "}\n")
            return
        self._out.write(f"\n{self.tally.total:,} failure(s)\n")
        for category, count in counts.items():
            self._out.write(f"  {category:<22} {count:,}\n")
        for key, value in (extra or {}).items():
            if value not in (None, ""):
                self._out.write(f"{key}: {one_line(str(value))}\n")

    def store(self, failures: Iterable[FileFailure]) -> None:
        """The FailureSink protocol, so the same analysis can print instead of uploading: no list to
        point to."""
        for failure in failures:
            self.write(failure)
