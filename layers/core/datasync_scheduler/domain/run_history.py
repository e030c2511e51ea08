"""One line of run history: what an operator wants to see about a finished workflow run.

The Report Run step writes one entry per run, so "the last N runs of a task" is one cheap read
instead of a walk through Step Functions histories.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from datasync_scheduler.domain.failures import RETRY_CLASS
from datasync_scheduler.domain.run_result import RunResult, iso
from datasync_scheduler.domain.schedules import Firing
from datasync_scheduler.domain.throughput import PhaseRates

# The reason travels in the notification in full; the history keeps enough to recognise it.
REASON_LIMIT = 500
# Categories by name: attempts carry them as plain strings (JSON from the workflow state).
_RETRY_CLASS_OF: Mapping[str, str] = {str(category): str(retry) for category, retry in RETRY_CLASS.items()}


@dataclass(frozen=True)
class RunHistoryEntry:
    workflow_execution: str
    started_at: datetime
    ended_at: datetime
    status: str  # the verdict: SUCCEEDED or FAILED
    error: str  # the verdict's short error name, "" when it succeeded
    reason: str
    task_arn: str | None = None
    task_name: str | None = None
    execution_arn: str | None = None  # the last DataSync execution of the run
    bytes_transferred: int = 0  # summed over every attempt
    files_transferred: int = 0
    # Failed files found across all attempts, by whether a rerun can fix them (transient/permanent).
    failures: Mapping[str, int] = field(default_factory=dict)
    attempts: int = 0  # DataSync executions the run started (0: it never started one)
    # The named schedule whose firing started the run, and the time it fired for (the run's
    # `firing`); None for a run started by hand.
    schedule: str | None = None
    scheduled_time: datetime | None = None
    # The run's estimated cost in USD (domain/run_cost.py), None when it was not estimated.
    estimated_cost_usd: float | None = None
    # The last execution's speed per phase (domain/throughput.py): the next runs' baseline.
    rates: PhaseRates = field(default_factory=PhaseRates)

    @property
    def duration(self) -> timedelta:
        return self.ended_at - self.started_at

    @property
    def task_label(self) -> str:
        return self.task_name or (self.task_arn.rsplit("/", 1)[-1] if self.task_arn else "-")

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflowExecution": self.workflow_execution,
            "taskArn": self.task_arn,
            "taskName": self.task_name,
            "executionArn": self.execution_arn,
            "startedAt": iso(self.started_at),
            "endedAt": iso(self.ended_at),
            "durationSeconds": self.duration.total_seconds(),
            "status": self.status,
            "error": self.error,
            "reason": self.reason,
            "bytesTransferred": self.bytes_transferred,
            "filesTransferred": self.files_transferred,
            "failures": dict(self.failures),
            "attempts": self.attempts,
            "schedule": self.schedule,
            "scheduledTime": iso(self.scheduled_time) if self.scheduled_time else None,
            "estimatedCostUsd": self.estimated_cost_usd,
            **self.rates.to_dict(),
        }


def history_entry(
    result: RunResult,
    *,
    workflow_execution: str,
    started_at: datetime | None,
    ended_at: datetime,
    firing: Firing | None = None,
) -> RunHistoryEntry:
    """The history line of a reported run: its attempts' counters and failures added up, and the
    firing it belongs to (its request's `firing`), if a named schedule started it."""
    failures: dict[str, int] = {}
    for attempt in result.attempts:
        for category, count in (attempt.get("failures") or {}).items():
            retry_class = _RETRY_CLASS_OF.get(category, "permanent")  # unknown: not retried, like "other"
            failures[retry_class] = failures.get(retry_class, 0) + int(count)
    return RunHistoryEntry(
        workflow_execution=workflow_execution,
        # A run rejected before it began has no start of its own: it began and ended at once.
        started_at=started_at or ended_at,
        ended_at=ended_at,
        status=result.verdict.status,
        error=result.verdict.error,
        reason=_clip(result.verdict.reason),
        task_arn=result.task_arn,
        task_name=result.task_name,
        execution_arn=result.execution_arn,
        bytes_transferred=sum(int(attempt.get("bytesTransferred") or 0) for attempt in result.attempts),
        files_transferred=sum(int(attempt.get("filesTransferred") or 0) for attempt in result.attempts),
        failures=failures,
        attempts=len(result.attempts),
        schedule=firing.schedule if firing else None,
        scheduled_time=firing.scheduled_time if firing else None,
        estimated_cost_usd=round(result.cost.total, 6) if result.cost else None,
        rates=result.rates or PhaseRates(),
    )


def _clip(text: str) -> str:
    return text if len(text) <= REASON_LIMIT else text[: REASON_LIMIT - 1] + "…"
