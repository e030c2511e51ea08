"""What handlers print, kept with the invocation that printed it, as Lambda keeps it in the function's log.

In Lambda a function's standard output is its CloudWatch Logs stream, and CloudWatch turns the
Embedded Metric Format (EMF) documents in it into metrics. Here every function runs in this one
process, on several threads: while the emulator is up, `sys.stdout` is routed per thread, so what
an invocation prints is kept with it and the rest of the process (the demo's summary) prints as
before, free of metric documents.
"""

from __future__ import annotations

import io
import json
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TextIO


class RoutedStdout(io.TextIOBase):
    """`sys.stdout` while the emulator runs: each capturing thread writes to its own buffer."""

    def __init__(self, outside: TextIO) -> None:
        self._outside = outside
        self._local = threading.local()

    def _target(self) -> TextIO:
        buffer: io.StringIO | None = getattr(self._local, "buffer", None)
        if buffer is not None:
            return buffer
        # A stream that kept a reference to this one (a logging handler) outlives it: follow sys.stdout.
        return self._outside if sys.stdout is self else sys.stdout

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def writable(self) -> bool:
        return True

    @contextmanager
    def capture(self) -> Iterator[io.StringIO]:
        """Keeps what this thread prints inside the block (one invocation) in the buffer it yields."""
        if sys.stdout is not self:
            # Another stream took over since (pytest's, between a fixture and its test): route that one.
            self._outside = sys.stdout
            sys.stdout = self
        previous: io.StringIO | None = getattr(self._local, "buffer", None)
        buffer = io.StringIO()
        self._local.buffer = buffer
        try:
            yield buffer
        finally:
            self._local.buffer = previous

    def restore(self) -> None:
        """Puts the stream this one routes around back in place (unless another took over)."""
        if sys.stdout is self:
            sys.stdout = self._outside


@contextmanager
def routed_stdout() -> Iterator[RoutedStdout]:
    """Routes `sys.stdout` per thread for the block; restores it after."""
    routed = RoutedStdout(sys.stdout)
    sys.stdout = routed
    try:
        yield routed
    finally:
        routed.restore()


def emf_documents(output: str) -> list[dict[str, Any]]:
    """The EMF documents among printed lines, as CloudWatch Logs finds them: JSON objects with `_aws`."""
    documents = []
    for line in output.splitlines():
        if not line.startswith("{"):
            continue
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "CloudWatchMetrics" in (document.get("_aws") or {}):
            documents.append(document)
    return documents
