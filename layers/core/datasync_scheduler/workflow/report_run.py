"""Report Run: the run result, whichever way the run ended, its history line and its one publication."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.analysis import unavailable
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot, entry_time, task_arn_of
from datasync_scheduler.domain.execution_record import TaskExecutionRecord
from datasync_scheduler.domain.run_cost import estimate_run_cost
from datasync_scheduler.domain.run_history import history_entry
from datasync_scheduler.domain.run_result import (
    RunResult,
    across_attempts,
    judge_execution,
    step_failed,
    timeline,
)
from datasync_scheduler.domain.schedules import Firing
from datasync_scheduler.domain.sync_request import TASK_ARN
from datasync_scheduler.domain.throughput import (
    BASELINE_RUNS,
    DEFAULT_SLOW_RUN_FACTOR,
    SpeedVerdict,
    compare_with_baseline,
    rates_of,
)
from datasync_scheduler.domain.units import format_duration
from datasync_scheduler.ports import (
    ApiCallFailed,
    Ports,
    RunHistory,
    ServiceThrottled,
    ServiceUnreachable,
)
from datasync_scheduler.workflow.attempts import analysis_of, analysis_step_cause, attempt_summary, unknown_because
from datasync_scheduler.workflow.looks import as_confirmed, parse_time, unconfirmed
from datasync_scheduler.workflow.state.sync import (
    CaughtError,
    ReportRunInput,
    StallSeen,
    TaskExecutionState,
)
from datasync_scheduler.workflow.validate_sync_request import first_attempt

_logger = logging.getLogger(__name__)


def report_run(
    step: ReportRunInput,
    ports: Ports,
    *,
    history: RunHistory,
    slow_run_factor: float = DEFAULT_SLOW_RUN_FACTOR,
) -> RunResult:
    """The run's result, whichever way the run ended; its one message is rendered from it.

    A run that started an execution also carries its estimated cost, its speed per phase and, from
    the task's recent runs in `history`, whether it was more than `slow_run_factor` times slower
    than usual."""
    workflow_execution = step.workflow_execution
    failure = step.failure
    task_arn = _task_arn_of(step)
    if failure is not None and failure.step in ("Validate Sync Request", "Start Sync"):
        name, unread = _task_name(ports, task_arn) if task_arn and failure.step == "Start Sync" else (None, ())
        result = RunResult(
            step_failed(failure.step, failure.error, execution_arn=None, status=None),
            task_arn=task_arn,
            task_name=name,
            unread=unread,
            workflow_execution=workflow_execution,
            attempts=tuple(step.attempts.done) if step.attempts else (),
        )
    else:
        execution = step.task_execution
        if execution is None:  # the contract: every path to here past a start carries the task execution
            raise ValueError("Report Run was given neither a failed step before the start nor a task execution")
        execution_arn = execution.execution_arn
        snapshot, record, unread_execution = _last_look(ports, execution)
        snapshot = as_confirmed(snapshot, execution)
        phase_times = dict(record.phase_times) if record else {}
        attempts = _all_attempts(step, snapshot)
        if failure is not None:  # Check Sync or Plan Next Attempt failed after the start
            verdict = step_failed(failure.step, failure.error, execution_arn=execution_arn, status=snapshot.status)
        else:
            verdict = across_attempts(
                judge_execution(
                    snapshot,
                    watchdog_note=record.watchdog_note if record else None,
                    watchdog_limit=execution.cancelled_by.limit if execution.cancelled_by else None,
                    abandoned=execution.abandoned,
                    unconfirmed=unconfirmed(execution, snapshot),
                ),
                attempts,
            )
        if execution.stalled is not None and execution.cancelled_by is None:
            verdict = replace(verdict, reason=f"{verdict.reason} {_stall_reported(execution.stalled)}")
        if execution.await_error is not None:
            verdict = replace(verdict, reason=f"{verdict.reason} {_polled_because(execution.await_error)}")
        name, unread = _task_name(ports, task_arn_of(execution_arn))
        result = RunResult(
            verdict,
            task_arn=task_arn_of(execution_arn),
            task_name=name,
            unread=_outage_unread(execution) + unread_execution + unread,
            execution_arn=execution_arn,
            workflow_execution=workflow_execution,
            snapshot=snapshot,
            phases=timeline(phase_times),
            failures=_failures_summary(step),
            attempts=attempts,
        )
        result = _with_cost_and_speed(result, snapshot, history, slow_run_factor)
    if step.release_error is not None:
        result = replace(
            result,
            verdict=replace(result.verdict, reason=f"{result.verdict.reason} {_not_released(step.release_error)}"),
        )
    unwritten = _record_history(
        result, step.started_at, workflow_execution, ports, step.request.firing if step.request else None
    )
    return replace(result, unwritten=unwritten) if unwritten else result


def _with_cost_and_speed(
    result: RunResult, snapshot: ExecutionSnapshot, history: RunHistory, factor: float
) -> RunResult:
    """The run's cost over every attempt, and its last execution's speed against the task's baseline.

    The baseline is read from the run history (one Query); a history that cannot be read leaves the
    run without a speed verdict and says so, never without its message."""
    task_arn = task_arn_of(snapshot.execution_arn)
    cost = estimate_run_cost(
        region=task_arn.split(":")[3],
        task_mode=snapshot.task_mode,
        bytes_copied=sum(int(attempt.get("bytesTransferred") or 0) for attempt in result.attempts),
        executions=len(result.attempts),
    )
    rates = rates_of(snapshot)
    if snapshot.task_mode == "ENHANCED":
        # Enhanced mode reports every phase duration as 0 (docs/aws-facts.md#datasync-phase-durations).
        no_durations = SpeedVerdict(no_verdict="DataSync reports no phase durations for Enhanced mode tasks")
        return replace(result, cost=cost, rates=rates, speed=no_durations)
    try:
        earlier = [
            run.rates
            for run in history.history(task_arn, limit=BASELINE_RUNS * 2)
            if run.status == "SUCCEEDED" and run.workflow_execution != result.workflow_execution
        ]
        speed = compare_with_baseline(rates, earlier, factor=factor)
    except ApiCallFailed as failed:
        speed = SpeedVerdict(no_verdict=f"the task's recent runs could not be read: {failed.cause.describe()}")
    return replace(result, cost=cost, rates=rates, speed=speed)


def _outage_unread(execution: TaskExecutionState) -> tuple[tuple[str, Cause], ...]:
    """An outage the run waited out, told like any read that failed: for how long, and its error."""
    outage = execution.waited_out
    cause = Cause.from_dict(outage.cause) if outage else None
    if outage is None or cause is None:
        return ()
    lasted = format_duration((parse_time(outage.until) - parse_time(outage.since)).total_seconds())
    return ((f"the task execution's state for about {lasted} ({outage.looks} look(s), until the outage ended)", cause),)


def _last_look(
    ports: Ports, execution: TaskExecutionState
) -> tuple[ExecutionSnapshot, TaskExecutionRecord | None, tuple[tuple[str, Cause], ...]]:
    """The execution and its record as the run result tells them. Each read is best effort: a result
    made while DataSync or the run ledger is down (or the execution is gone) tells what the run
    last saw, says what it could not read, and still goes out (docs/aws-facts.md#transient-aws-errors)."""
    unread: list[tuple[str, Cause]] = []
    try:
        snapshot = ports.datasync.describe(execution.execution_arn)
    except ApiCallFailed as failed:
        snapshot = ExecutionSnapshot(execution_arn=execution.execution_arn, status=execution.status)
        unread.append(("the task execution's final state", failed.cause))
    record: TaskExecutionRecord | None = None
    try:
        if phases.is_well_formed(snapshot.status) and not unread:
            ports.ledger.record_status(execution.execution_arn, snapshot.status, entry_time(snapshot) or utc_now())
        record = ports.ledger.get(execution.execution_arn)
    except ApiCallFailed as failed:
        unread.append(("the times of its phases", failed.cause))
    return snapshot, record, tuple(unread)


def _not_released(error: CaughtError) -> str:
    """Why the next run of the task may be refused or wait for a while: said in this run's verdict."""
    return (
        f"The task's lease could not be released ({error.Error}: {error.message()}): it ends on its own "
        "within an hour of this run's last look, and until then another run of the task is refused or waits."
    )


def _stall_reported(stalled: StallSeen) -> str:
    """StallAction=report: the stall the watchdog saw, said in the run's one message."""
    return (
        f"The stall watchdog saw no progress in {stalled.phase} for {format_duration(stalled.limit_seconds)} "
        f"from {stalled.since} (StallAction is report: the execution was left running)."
    )


def _task_name(ports: Ports, task_arn: str) -> tuple[str | None, tuple[tuple[str, Cause], ...]]:
    """The task's name for the message; when DescribeTask fails, the message names the task by its
    id and says which call failed, rather than leaving the reader to guess why."""
    try:
        return ports.datasync.task(task_arn).name, ()
    except ApiCallFailed as failed:
        return None, (("the task's name", failed.cause),)


def _polled_because(error: CaughtError) -> str:
    """What the run did without its await step, and why: said in the verdict, as the run survived it."""
    return (
        f"Await Sync End failed ({error.Error}: {error.message()}), so the run checked the task execution "
        "on its fallback interval instead of waiting for DataSync's events."
    )


def _record_history(
    result: RunResult, started: str | None, workflow_execution: str | None, ports: Ports, firing: Firing | None
) -> tuple[tuple[str, Cause], ...]:
    """Writes the run's line of history; returns what could not be written, and why, for the message.

    Best effort: a run whose history cannot be written is still reported and notified. Failing here
    would make the state machine retry the whole Report Run and, if the table stayed unreachable,
    end the run without its notification: a worse loss than a line."""
    if not workflow_execution:
        return ()
    try:
        entry = history_entry(
            result,
            workflow_execution=workflow_execution,
            started_at=datetime.fromisoformat(started.replace("Z", "+00:00")) if started else None,
            ended_at=utc_now(),
            firing=firing,
        )
        ports.ledger.record_run(entry)
    except ApiCallFailed as failed:
        _logger.exception("The run's history could not be written; the run is reported all the same")
        return (("the run's line of history", failed.cause),)
    except Exception as error:
        _logger.exception("The run's history could not be written; the run is reported all the same")
        return (("the run's line of history", Cause.of("PutItem", type(error).__name__, str(error))),)
    return ()


def _all_attempts(step: ReportRunInput, snapshot: ExecutionSnapshot) -> tuple[dict[str, Any], ...]:
    """Attempts the plan step recorded, plus the last one when it went straight to Report Run."""
    planned = step.attempts or first_attempt()
    attempts = list(planned.done)
    if not attempts or attempts[-1].get("executionArn") != snapshot.execution_arn:
        attempts.append(
            attempt_summary(
                planned.attempt,
                planned.scope,
                snapshot,
                analysis_of(step.analysis, snapshot.execution_arn),
                None,
                # Only a failed plan comes here after Analyze Run; other ways skip it, and an
                # analysis error in the state is then an earlier attempt's.
                unknown_because(analysis_of(step.analysis, snapshot.execution_arn), step.analysis_error)
                if step.failure is not None and step.failure.step == "Plan Next Attempt"
                else None,
            )
        )
    return tuple(attempts)


def _failures_summary(step: ReportRunInput) -> dict[str, Any] | None:
    # The latest analysis, even an earlier attempt's: the message says which attempt it was.
    if step.analysis is not None:
        return dict(step.analysis)
    if step.analysis_error is not None:
        cause = analysis_step_cause(step.analysis_error)
        if cause.error in _OUTAGE_ERRORS:
            # The analysis waited an outage out for as long as its Retry allows; its message names
            # the AWS call and its error (ServiceUnreachable's text is the call's cause).
            note = f"AWS stayed unreachable while the analysis waited: {cause.message}"
        else:
            note = f"the analysis failed: {cause.describe()}"
        return unavailable(note, source="analysisFailed", cause=cause)
    return None


_OUTAGE_ERRORS = frozenset({ServiceThrottled.__name__, ServiceUnreachable.__name__})


def _task_arn_of(step: ReportRunInput) -> str | None:
    # Validated runs carry `request`; a rejected input carries the input as it came.
    if step.request is not None:
        return step.request.taskArn
    raw = step.failure.rejected_input if step.failure else None
    task_arn = raw.get("taskArn") if isinstance(raw, dict) else None
    # Only a well-formed ARN is worth naming; a malformed one is untrusted text already quoted in the reason.
    return task_arn if isinstance(task_arn, str) and TASK_ARN.fullmatch(task_arn) else None
