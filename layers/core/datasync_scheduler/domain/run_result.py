"""The run result: the verdict on one run of the sync workflow, and everything its message is rendered from.

It travels in the workflow's state as `RunResult` of `workflow/state/sync.py` (`to_dict`), and is the
run's output.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from datasync_scheduler.domain import phases
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.failures import RETRY_CLASS
from datasync_scheduler.domain.run_cost import RunCost
from datasync_scheduler.domain.throughput import PhaseRates, SpeedVerdict
from datasync_scheduler.domain.watchdog import UnconfirmedEnd

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
class RunResult:
    """What one run ended with: its verdict, its task and last task execution, every attempt."""

    verdict: Verdict
    task_arn: str | None = None
    task_name: str | None = None
    execution_arn: str | None = None
    workflow_execution: str | None = None
    snapshot: ExecutionSnapshot | None = None
    phases: tuple[PhaseMark, ...] = ()
    # The analysis summary (bounded: counts, examples, the failure report's location) or why there is none.
    failures: Mapping[str, Any] | None = None
    # Every attempt of the run, oldest first (bounded by the maximum number of attempts).
    attempts: tuple[Mapping[str, Any], ...] = ()
    # What Report Run could not read, and which call failed: (what, its cause).
    unread: tuple[tuple[str, Cause], ...] = ()
    # What Report Run could not write (the run's line of history), and which call failed.
    unwritten: tuple[tuple[str, Cause], ...] = ()
    # What the run cost (an estimate: domain/run_cost.py), its last execution's speed per phase, and
    # that speed against the task's recent runs; None when the run never started an execution.
    cost: RunCost | None = None
    rates: PhaseRates | None = None
    speed: SpeedVerdict | None = None

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
            "cost": self.cost.to_dict() if self.cost else None,
            "throughput": self.rates.to_dict() if self.rates else None,
            "speed": self.speed.to_dict() if self.speed else None,
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


WatchdogLimit = Literal["runDeadline", "phaseTimeLimit", "stall", "watchLimit"]
_WATCHDOG_ERRORS: dict[WatchdogLimit | None, str] = {
    "runDeadline": "Watchdog.RunDeadline",
    "phaseTimeLimit": "Watchdog.PhaseTimeLimit",
    "stall": "Watchdog.Stalled",
    "watchLimit": "Watchdog.WatchLimit",
    # The ledger says the watchdog cancelled, the run's state does not say which limit (a check
    # retried after cancelling): the verdict does not guess from the note's words.
    None: "Watchdog.Cancelled",
}


def judge_execution(
    snapshot: ExecutionSnapshot,
    *,
    watchdog_note: str | None,
    abandoned: bool,
    watchdog_limit: WatchdogLimit | None = None,
    unconfirmed: UnconfirmedEnd | None = None,
) -> Verdict:
    """The verdict on an execution that was started: SUCCESS is the only success.

    `watchdog_limit` is which limit the watchdog cancelled for (data from Check Sync); the note is
    only the sentence that tells a person how long the execution stayed where. `unconfirmed` is an
    end DataSync's event announced that DescribeTaskExecution never confirmed: unless Describe now
    says the execution ended, the verdict says exactly that, never that DataSync failed it."""
    if abandoned and watchdog_limit == "watchLimit":
        return Verdict("FAILED", "Watchdog.WatchLimit", f"The run stopped watching: the execution {watchdog_note}.")
    if abandoned:
        return Verdict("FAILED", "Watchdog.CancelDidNotComplete", f"The watchdog gave up waiting: {watchdog_note}")
    if unconfirmed is not None and not phases.is_terminal(snapshot.status):
        return Verdict("FAILED", "DataSync.EndNotConfirmed", unconfirmed.reason)
    if snapshot.status == phases.SUCCESS:
        return Verdict("SUCCEEDED", "", "DataSync completed the execution successfully.")
    if watchdog_note or watchdog_limit:
        error = _WATCHDOG_ERRORS[watchdog_limit]
        said = f"the execution {watchdog_note}" if watchdog_note else "the execution overran its limit"
        return Verdict("FAILED", error, f"Cancelled by the watchdog: {said}.")
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


class CaughtStepError(Protocol):
    """A Catch's output: Step Functions' error name, and the failing Lambda's own error when it is one.

    Not a port: the shape of `workflow/state/sync.py` `CaughtError` that the verdict reads, so that the
    domain imports no state model."""

    Error: str

    def message(self) -> str: ...
    def lambda_error(self) -> LambdaErrorFacts | None: ...


class LambdaErrorFacts(Protocol):
    errorType: str | None
    requestId: str | None


# Errors Start Sync raises on purpose, by name (workflow/start_sync.py, adapters/datasync.py): each is its own cause.
_START_CAUSES = {
    "StartRefused": "DataSync.StartRefused",
    "TaskBusy": "Start.TaskBusy",
    "DataSyncThrottled": "Start.Throttled",
    "DataSyncUnavailable": "Start.DataSyncUnavailable",
    # A call before or after the start itself (finding an execution to adopt, the busy check, the
    # ledger's record) that stayed throttled or unavailable: ports.ServiceThrottled, ServiceUnreachable.
    "ServiceThrottled": "Start.Throttled",
    "ServiceUnreachable": "Start.ServiceUnavailable",
}
# Why Check Sync stopped watching, when it was not DataSync's verdict (steps.WatchEnded): each
# cause by its name; the reason is the step's own sentence.
_CHECK_CAUSES = {
    "RunDeadlineDuringOutage": "Outage.RunDeadline",
    "PhaseLimitDuringOutage": "Outage.PhaseTimeLimit",
    "OutageTooLong": "Outage.TooLong",
    "TaskDeleted": "DataSync.TaskDeleted",
    "ExecutionGone": "DataSync.ExecutionNotFound",
}
_STEP_ERRORS = {
    "Validate Sync Request": "ValidateSyncRequest.Failed",
    "Start Sync": "StartSync.Failed",
    "Check Sync": "CheckSync.Failed",
    "Plan Next Attempt": "PlanNextAttempt.Failed",
}


def step_failed(step: str, caught: CaughtStepError, *, execution_arn: str | None, status: str | None) -> Verdict:
    """The verdict on a run a step's error ended, decided from the error's name, never its words."""
    message = caught.message()
    if step == "Validate Sync Request" and caught.Error == "InvalidSyncRequest":
        return rejected_input(message)
    if step == "Start Sync" and caught.Error in _START_CAUSES:
        error = _START_CAUSES[caught.Error]
        return Verdict("FAILED", error, _START_REASONS[error].format(message=message))
    if step == "Check Sync" and caught.Error in _CHECK_CAUSES:
        return Verdict("FAILED", _CHECK_CAUSES[caught.Error], message)
    fault = _fault(step, caught)
    if step == "Check Sync":
        return Verdict(
            "FAILED",
            _STEP_ERRORS[step],
            f"The run lost track of task execution {execution_arn} (last seen {status}): {fault}. "
            "The task execution may still be running.",
        )
    if step == "Plan Next Attempt":
        return Verdict(
            "FAILED",
            _STEP_ERRORS[step],
            f"Task execution {execution_arn} ended {status}, and planning the next attempt failed: {fault}. "
            "Nothing was retried.",
        )
    return Verdict("FAILED", _STEP_ERRORS.get(step, "Step.Failed"), f"The run ended early: {fault}.")


_START_REASONS = {
    "DataSync.StartRefused": "DataSync refused to start the task: {message}",
    "Start.TaskBusy": "The task stayed busy with another execution past the wait limit: {message}",
    "Start.Throttled": "The start was throttled past every retry: {message}",
    "Start.DataSyncUnavailable": "DataSync was unavailable past every retry: {message}",
    "Start.ServiceUnavailable": "A service the start needs was unavailable past every retry: {message}",
}


def _fault(step: str, caught: CaughtStepError) -> str:
    """A step's own failure in its words: the Lambda's error type and request id when it was one."""
    lambda_error = caught.lambda_error()
    if lambda_error is not None and lambda_error.errorType:
        request = f", Lambda request {lambda_error.requestId}" if lambda_error.requestId else ""
        return f"{step} failed with {lambda_error.errorType}{request}: {caught.message()}"
    return f"{step} failed with {caught.Error}: {caught.message()}"


def rejected_input(message: str) -> Verdict:
    return Verdict("FAILED", "InvalidSyncRequest", f"The run was not started. {message}")


def start_refused(message: str) -> Verdict:
    return Verdict("FAILED", "DataSync.StartRefused", _START_REASONS["DataSync.StartRefused"].format(message=message))
