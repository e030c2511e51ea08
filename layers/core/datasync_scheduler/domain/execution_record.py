"""What the run ledger knows about one task execution (one DataSync execution, one attempt of a run)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from datasync_scheduler.domain import phases


@dataclass(frozen=True)
class TaskExecutionRecord:
    execution_arn: str
    task_arn: str
    workflow_execution: str | None = None
    attempt: int = 1  # which attempt of its workflow run this execution was
    started_at: datetime | None = None
    # First time each status was seen (from an event's own time, or from a check that observed it).
    phase_times: Mapping[str, datetime] = field(default_factory=dict)
    # Statuses whose DataSync event arrived: evidence that events are flowing for this execution.
    event_statuses: frozenset[str] = frozenset()
    cancel_requested_at: datetime | None = None
    watchdog_note: str | None = None

    @property
    def current_status(self) -> str | None:
        return phases.latest(list(self.phase_times))

    def entered(self, status: str) -> datetime | None:
        return self.phase_times.get(status)
