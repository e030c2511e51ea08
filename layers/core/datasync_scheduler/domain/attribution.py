"""Whether the failures read from a log group are certainly this execution's, and all of them.

Two facts decide whether a list of failed files may drive a retry by file list
(docs/aws-facts.md#attribution-and-datasyncs-own-counters):

- Attribution. A Basic-mode log group can be shared by several tasks, and Enhanced mode writes
  every task of the Region to `/aws/datasync`. DataSync's published log lines name no task and no
  execution, and how DataSync names its log streams is not documented. A stream whose name names
  an execution ID is tied to that execution; a stream that names none cannot be tied to any. Its
  lines are kept (a failure is never dropped), but the list is then uncertain: it may hold
  another execution's files.
- Completeness. Enhanced mode counts failed files and folders per phase (FilesFailed,
  FoldersFailed). When DataSync counted more failures than the logs name, the list is incomplete.

Either way a retry by file list would copy the wrong files or leave some behind: the retry
policy runs the whole task instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

# DataSync execution IDs: `exec-` and 17 hexadecimal digits (the TaskExecutionArn pattern).
EXECUTION_ID = re.compile(r"exec-[0-9a-f]{17}")
# Enough other executions to name in a result; the count says how many there were.
OTHERS_NAMED = 5


@dataclass
class StreamAttribution:
    """Which log streams' lines belong to one execution, decided from the stream names alone."""

    execution_id: str
    other_executions: set[str] = field(default_factory=set)
    unnamed_streams: set[str] = field(default_factory=set)

    def owns(self, stream: str) -> bool:
        """Whether to read this stream's lines as this execution's.

        A stream that names this execution is its own; one that names only other executions is
        theirs and left out; one that names none is read, and makes the result uncertain.
        """
        named = set(EXECUTION_ID.findall(stream))
        if not named:
            self.unnamed_streams.add(stream)
            return True
        if self.execution_id in named:
            return True
        self.other_executions.update(named)
        return False

    @property
    def certain(self) -> bool:
        return not self.unnamed_streams

    def to_dict(self) -> dict[str, Any]:
        others = sorted(self.other_executions)
        return {
            "certain": self.certain,
            "otherExecutions": others[:OTHERS_NAMED],
            "otherExecutionCount": len(others),
            "note": self.note(),
        }

    def note(self) -> str | None:
        if not self.certain:
            return (
                "DataSync's log lines do not name the execution that wrote them, and this group's log "
                "streams do not either, so the failures listed may include another execution's"
            )
        if self.other_executions:
            count = len(self.other_executions)
            return (
                f"{count} other execution(s) wrote to this log group during this execution; "
                "their log streams were left out"
            )
        return None


def datasync_counted(files_failed: int | None, folders_failed: int | None) -> int | None:
    """What DataSync itself counted as failed (Enhanced mode only; None when it does not count)."""
    if files_failed is None and folders_failed is None:
        return None
    return (files_failed or 0) + (folders_failed or 0)


def counted_note(counted: int | None, named: int) -> str | None:
    """The sentence for a list that disagrees with DataSync's own count, or None when they agree.

    Fewer names than DataSync counted: some failures never reached what was read. More names: the
    list holds lines DataSync did not count for this execution, most likely another execution's."""
    if counted is None or counted == named:
        return None
    if counted > named:
        return f"DataSync counted {counted:,} failed files; the logs name {named:,}"
    return f"the logs name {named:,} failures but DataSync counted {counted:,} for this execution"


def file_list_doubt(summary: dict[str, Any] | None) -> str | None:
    """Why an analysis' list of failed files must not drive a retry by file list, if it must not."""
    if not summary:
        return None
    attribution = summary.get("attribution") or {}
    if attribution.get("certain") is False:
        return str(attribution.get("note") or "the failures could not be tied to this execution")
    counted = summary.get("dataSyncCounted")
    return counted_note(counted if isinstance(counted, int) else None, files_named(summary))


def files_named(summary: dict[str, Any]) -> int:
    """How many failures of an analysis name a file or folder (lines tied to no path do not)."""
    unattributed = int((summary.get("byCategory") or {}).get("unattributed", 0))
    return int(summary.get("totalFailures", 0)) - unattributed
