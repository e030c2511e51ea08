"""The verdict on one sync run and the report that travels in the workflow state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from datasync_scheduler.domain import phases
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.failures import RETRY_CLASS

VerdictStatus = Literal["SUCCEEDED", "FAILED"]


@dataclass(frozen=True)
class Verdict:
    status: VerdictStatus
    # A short, stable name for alarms and the Fail state (`States.Fail` Error).
    error: str
    reason: str


@dataclass(frozen=True)
class PhaseMark:
    phase: str
    at: datetime


@dataclass(frozen=True)
class RunReport:
    verdict: Verdict
    task_arn: str | None = None
    task_name: str | None = None
    execution_arn: str | None = None
    workflow_execution: str | None = None
    snapshot: ExecutionSnapshot | None = None
    phases: tuple[PhaseMark, ...] = ()
    # The analysis summary (bounded: counts, examples, report location) or why there is none.
    failures: Mapping[str, Any] | None = None
    # Every attempt of the run, oldest first (bounded by the maximum number of attempts).
    attempts: tuple[Mapping[str, Any], ...] = ()

    @property
    def task_label(self) -> str:
        if self.task_name:
            return self.task_name
        if self.task_arn:
            return self.task_arn.rsplit("/", 1)[-1]
        return "unknown task"

    def to_dict(self) -> dict[str, Any]:
        """The run result as it travels in the workflow state (JSON, camelCase, bounded size)."""
        snapshot = self.snapshot
        return {
            "taskArn": self.task_arn,
            "taskName": self.task_name,
            "executionArn": self.execution_arn,
            "workflowExecution": self.workflow_execution,
            "status": snapshot.status if snapshot else None,
            "verdict": {"status": self.verdict.status, "error": self.verdict.error, "reason": self.verdict.reason},
            "phases": [{"phase": mark.phase, "at": iso(mark.at)} for mark in self.phases],
            "counters": _counters(snapshot) if snapshot else {},
            "errorCode": snapshot.result.error_code if snapshot else None,
            "errorDetail": snapshot.result.error_detail if snapshot else None,
            "failures": dict(self.failures) if self.failures is not None else None,
            "attempts": [dict(attempt) for attempt in self.attempts],
        }


def _counters(snapshot: ExecutionSnapshot) -> dict[str, int | None]:
    return {
        "estimatedFiles": snapshot.estimated_files,
        "estimatedBytes": snapshot.estimated_bytes,
        "filesTransferred": snapshot.files_transferred,
        "bytesTransferred": snapshot.bytes_transferred,
        "bytesWritten": snapshot.bytes_written,
        "filesVerified": snapshot.files_verified,
        "filesSkipped": snapshot.files_skipped,
        "filesDeleted": snapshot.files_deleted,
    }


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def timeline(phase_times: Mapping[str, datetime]) -> tuple[PhaseMark, ...]:
    """Phases in the order they happened; equal times fall back to DataSync's phase order."""
    ordered = sorted(phase_times.items(), key=lambda item: (item[1], phases.rank(item[0])))
    return tuple(PhaseMark(phase, at) for phase, at in ordered)


def judge_execution(snapshot: ExecutionSnapshot, *, watchdog_note: str | None, abandoned: bool) -> Verdict:
    """The verdict on an execution that was started: SUCCESS is the only success."""
    if abandoned:
        return Verdict("FAILED", "Watchdog.CancelDidNotComplete", f"The watchdog gave up waiting: {watchdog_note}")
    if snapshot.status == phases.SUCCESS:
        return Verdict("SUCCEEDED", "", "DataSync completed the execution successfully.")
    if watchdog_note:
        # The note is the watchdog's own sentence: a deadline overrun names the run's deadline.
        error = "Watchdog.RunDeadline" if "deadline" in watchdog_note else "Watchdog.PhaseTimeLimit"
        return Verdict("FAILED", error, f"Cancelled by the watchdog: the execution {watchdog_note}.")
    code = snapshot.result.error_code
    detail = snapshot.result.error_detail
    described = ": ".join(part for part in (code, detail) if part) or "no error code was reported"
    return Verdict(
        "FAILED",
        f"DataSync.{code}" if code else "DataSync.ExecutionError",
        f"DataSync ended the execution in {snapshot.status}: {described}",
    )


def across_attempts(verdict: Verdict, attempts: tuple[Mapping[str, Any], ...]) -> Verdict:
    """The verdict of the last attempt, told as the story of the whole run.

    A run whose last attempt succeeded is still FAILED when an earlier attempt had failures a
    rerun cannot fix: those files were never retried, so they still differ.
    """
    if verdict.status == "SUCCEEDED":
        if len(attempts) <= 1:
            return verdict
        left = sorted({c for a in attempts[:-1] for c in a.get("failures", {}) if RETRY_CLASS.get(c) == "permanent"})
        if left:
            return Verdict(
                "FAILED",
                "DataSync.PermanentFailures",
                f"Partly recovered: attempt {len(attempts)} succeeded for the files a rerun could fix, "
                f"but files with {', '.join(left)} were not retried (a rerun cannot fix them).",
            )
        return Verdict("SUCCEEDED", "", f"Recovered: attempt {len(attempts)} of the run succeeded. {verdict.reason}")
    decision = _last_decision(attempts)
    if not decision:
        return verdict
    return Verdict(
        "FAILED", verdict.error, f"{verdict.reason} After {len(attempts)} attempt(s), not retried: {decision}."
    )


def _last_decision(attempts: tuple[Mapping[str, Any], ...]) -> str | None:
    decision = attempts[-1].get("decision") if attempts else None
    if isinstance(decision, Mapping) and decision.get("action") == "give_up":
        return str(decision.get("reason", ""))
    return None


def rejected_input(message: str) -> Verdict:
    return Verdict("FAILED", "InvalidSyncRequest", f"The run was not started. {message}")


def start_refused(message: str) -> Verdict:
    return Verdict("FAILED", "DataSync.StartRefused", f"DataSync refused to start the task: {message}")
