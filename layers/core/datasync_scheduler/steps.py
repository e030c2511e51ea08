"""The workflow's steps: each one is called by a thin Lambda handler with its ports.

A step reads the state it is given, talks to AWS only through the ports, and returns the JSON the
state machine continues with. Decisions are delegated to the pure domain.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from datasync_scheduler.clock import utc_now
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot, entry_time, remaining_seconds, task_arn_of
from datasync_scheduler.domain.outage import Outage, decide_outage, gave_up_reason
from datasync_scheduler.domain.retry_policy import AttemptOutcome, RetryDecision, decide_retry
from datasync_scheduler.domain.run_record import RunRecord
from datasync_scheduler.domain.run_report import (
    RunReport,
    across_attempts,
    iso,
    judge_execution,
    step_failed,
    timeline,
)
from datasync_scheduler.domain.sync_request import TASK_ARN, SyncRequest
from datasync_scheduler.domain.task_lease import lease_until, request_digest, when_held
from datasync_scheduler.domain.units import format_duration
from datasync_scheduler.domain.watchdog import (
    DeadlineOverrun,
    PhaseOverrun,
    ProgressMark,
    Stall,
    UnconfirmedEnd,
    WatchBudget,
    WatchLimit,
    confirm_end,
    decide_check,
    max_looks,
    next_mark,
    wait_seconds,
)
from datasync_scheduler.ports import (
    ApiCallFailed,
    CallbackPort,
    DataSyncPort,
    ExecutionNotFound,
    LedgerPort,
    LineUpload,
    ServiceThrottled,
    ServiceUnreachable,
    StartRefused,
    TaskLeasePort,
    TaskNotFound,
)
from datasync_scheduler.settings import NotificationSettings, Settings
from datasync_scheduler.state.sync import (
    AwaitSyncEndOutcome,
    CaughtError,
    EndAnnounced,
    NextAttempt,
    OutageWaitedOut,
    PlanNextAttemptInput,
    Progress,
    ReportRunInput,
    RunState,
    StallSeen,
    Unreachable,
    WatchdogCancel,
)

if TYPE_CHECKING:
    from datasync_scheduler.analysis import FailureSink, LogSource, ReportSource
    from datasync_scheduler.domain.message import Message

# A step imports what only it uses (the log analysis, the retry's scope, the message's renderers)
# when it runs: a handler's cold start then loads what its own step needs, not every step's.

WORKFLOW_TAG = "datasync-scheduler:workflow-execution"
ATTEMPT_TAG = "datasync-scheduler:attempt"
_TAG_VALUE_UNSAFE = re.compile(r"[^a-zA-Z0-9\s+=._:@/-]")
_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Ports:
    datasync: DataSyncPort
    ledger: LedgerPort
    callbacks: CallbackPort
    lease: TaskLeasePort


@dataclass(frozen=True)
class AnalysisPorts:
    logs: LogSource
    reports: ReportSource
    sink_for: Callable[[str], FailureSink]  # S3 key -> where the complete failure list goes


def start_sync(
    request: SyncRequest,
    workflow_execution: str,
    ports: Ports,
    settings: Settings,
    attempt: int = 1,
    scope: dict[str, Any] | None = None,
) -> RunState:
    """Starts the DataSync execution (an attempt, narrowed to `scope` on a retry); opens its record."""
    tag_value = _TAG_VALUE_UNSAFE.sub("_", workflow_execution)[:256]
    tags = {WORKFLOW_TAG: tag_value, ATTEMPT_TAG: str(attempt)}
    # A retried start (the first one's response was lost, or its Lambda died after the call) adopts
    # the execution the first one started: DataSync's start is not idempotent, its tags are.
    adopted = ports.datasync.find_started(request.taskArn, tags)
    first_wait = wait_seconds(settings.phase_limits, "QUEUED", 0, settings.fallback_seconds)
    # The lease first: looking whether the task is busy and then starting it are two calls, and two
    # runs looking at once both see it idle. An adopted execution is this run's already: its lease
    # is renewed, and a lease lost meanwhile does not undo a start that happened.
    _take_lease(ports, request, workflow_execution, settings, first_wait, adopted=adopted is not None)
    if adopted is None and settings.when_task_busy != "queue":
        # Still needed: the lease knows this scheduler's runs, not an execution started elsewhere.
        _refuse_if_busy(ports, request.taskArn, settings.when_task_busy)
    try:
        execution_arn = adopted or ports.datasync.start(request, tags=tags, scope=scope)
    except StartRefused as refusal:
        if settings.when_task_busy == "queue":
            _wait_if_busy(ports, request.taskArn, refusal)
        raise
    now = utc_now()
    try:
        ports.ledger.register_start(execution_arn, workflow_execution, now, attempt)
        ports.ledger.record_status(execution_arn, "QUEUED", now)
    except ServiceUnreachable as failed:
        # The execution is started: failing now would make the workflow's retry come after the
        # outage, when the execution may have ended and can no longer be adopted, and start a second
        # one. The record opens with the next write that gets through (an event, a check).
        _logger.warning("The start could not be recorded in the run ledger: %s", failed.cause.describe())
    return RunState(
        execution_arn=execution_arn, status="QUEUED", timeout_seconds=first_wait, adopted=adopted is not None
    )


class TaskBusy(Exception):
    """Another execution holds the task and the configuration says to wait: the workflow retries."""


def _take_lease(
    ports: Ports, request: SyncRequest, owner: str, settings: Settings, next_look: int, *, adopted: bool
) -> None:
    """Takes (or renews) the task's lease for this run, or does what WhenTaskBusy says when another
    run holds it (`task_lease.when_held`). One atomic write: docs/aws-facts.md#the-task-lease."""
    now = utc_now()
    digest = request_digest(request.model_dump(mode="json", exclude_none=True))
    holder = ports.lease.acquire(request.taskArn, owner, now, lease_until(now, next_look), digest)
    if holder is None or adopted:
        return
    action = when_held(settings.when_task_busy, holder, digest)
    if action == "refuse":
        raise StartRefused(f"another run of the scheduler holds the task: {holder.owner}, and WhenTaskBusy is fail")
    if action == "wait":
        raise TaskBusy(f"another run of the scheduler holds the task: {holder.owner}; waiting for it to end")
    # queue: a different request than the holder's; DataSync queues it behind the holder's execution.


def _renew_lease(run: RunState, owner: str, ports: Ports) -> None:
    """Keeps the run's lease through its next wait and the margin (`task_lease`). Best effort: a
    renewal that fails leaves the lease to end on its own time, after this look's wait would have
    ended anyway; the check's own work must not fail for it."""
    now = utc_now()
    task_arn = task_arn_of(run.execution_arn)
    try:
        renewed = ports.lease.renew(task_arn, owner, now, lease_until(now, run.timeout_seconds))
    except Exception:
        _logger.exception("The task's lease could not be renewed; it ends on its own time")
        return
    if not renewed:  # WhenTaskBusy=queue: a run queued behind another's holds no lease, and needs none
        _logger.info("This run holds no lease on %s to renew", task_arn)


_BUSY_STATUSES = frozenset({"RUNNING", "QUEUED"})


def _refuse_if_busy(ports: Ports, task_arn: str, when_busy: str) -> None:
    task = ports.datasync.task(task_arn)
    if task.status not in _BUSY_STATUSES:
        return
    holder = task.current_execution_arn or "another execution"
    if when_busy == "wait":
        raise TaskBusy(f"the task is {task.status} with {holder}; waiting for it to finish")
    raise StartRefused(f"the task is {task.status} with {holder}, and WhenTaskBusy is fail")


def _wait_if_busy(ports: Ports, task_arn: str, refusal: StartRefused) -> None:
    """WhenTaskBusy=queue, and DataSync refused the start while the task is busy: whether DataSync
    queues a start with the same filters as the running one is not documented
    (docs/aws-facts.md#datasync-manifests-and-retries), so a refusal then means waiting for the
    running execution, as WhenTaskBusy=wait does. A refusal on an idle task stays a refusal."""
    try:
        task = ports.datasync.task(task_arn)
    except Exception:  # noqa: BLE001 - whatever the look failed on, the refusal is what to report
        return  # the task cannot be described: the refusal stands as DataSync gave it
    if task.status in _BUSY_STATUSES:
        holder = task.current_execution_arn or "another execution"
        raise TaskBusy(
            f"DataSync did not queue the start behind {holder} ({refusal}); waiting for it to finish"
        ) from refusal


def _observe(ports: Ports, execution_arn: str, now: datetime) -> ExecutionSnapshot:
    snapshot = ports.datasync.describe(execution_arn)
    if phases.is_well_formed(snapshot.status):
        ports.ledger.record_status(execution_arn, snapshot.status, entry_time(snapshot) or now)
    return snapshot


def _resume_if_finished(ports: Ports, execution_arn: str, status: str) -> bool:
    """Resumes the waiting workflow when the execution has ended; exactly one caller wins the token."""
    if not phases.is_terminal(status):
        return False
    token = ports.ledger.claim_token(execution_arn)
    if token is None:
        return False
    try:
        # The task's output is the status itself: the state machine stores it as `$.run.status`.
        return ports.callbacks.resume(token, status)
    except Exception:
        ports.ledger.restore_token(execution_arn, token)  # let the next event or check try again
        raise


def await_end(token: str, execution_arn: str, ports: Ports) -> AwaitSyncEndOutcome:
    """Parks the workflow's task token, then looks once: the end may have come before the token.

    The look is only a shortcut: when DataSync cannot answer it (an outage, an execution it no
    longer knows), the token stays parked and the check, at the end of the wait, decides."""
    now = utc_now()
    ports.ledger.store_token(execution_arn, token, now)
    try:
        snapshot = _observe(ports, execution_arn, now)
    except ApiCallFailed as failed:
        _logger.warning("The first look failed; the check will look again: %s", failed.cause.describe())
        return AwaitSyncEndOutcome(execution_arn=execution_arn, status=None, resumed=False)
    resumed = _resume_if_finished(ports, execution_arn, snapshot.status)
    return AwaitSyncEndOutcome(execution_arn=execution_arn, status=snapshot.status, resumed=resumed)


def _deadline(started_at: str | None, settings: Settings) -> tuple[datetime, int] | None:
    if not started_at or not settings.run_deadline_seconds:
        return None
    began = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    return began + timedelta(seconds=settings.run_deadline_seconds), settings.run_deadline_seconds


class WatchEnded(Exception):
    """Check Sync stops watching the task execution for a reason that is not DataSync's verdict.

    Each subclass is one cause, raised by its name (the Lambda's errorType): the state machine
    does not retry it and the report names the cause from it (`run_report.step_failed`)."""


class RunDeadlineDuringOutage(WatchEnded):
    """The run's deadline passed while DataSync or the run ledger could not be reached."""


class PhaseLimitDuringOutage(WatchEnded):
    """The last-seen phase's time limit passed while DataSync or the run ledger could not be reached."""


class OutageTooLong(WatchEnded):
    """DataSync or the run ledger stayed unreachable for longer than a run waits out."""


class TaskDeleted(WatchEnded):
    """The task was deleted while its execution ran: DataSync knows neither any more."""


class ExecutionGone(WatchEnded):
    """DataSync no longer knows the task execution, although it still knows its task."""


_GIVE_UP: dict[str, type[WatchEnded]] = {
    "Outage.RunDeadline": RunDeadlineDuringOutage,
    "Outage.PhaseTimeLimit": PhaseLimitDuringOutage,
    "Outage.TooLong": OutageTooLong,
}


def check_sync(
    run: RunState, ports: Ports, settings: Settings, started_at: str | None = None, workflow_execution: str = ""
) -> RunState:
    """Describes the execution and decides: finished, wait again (the watchdog's limits and the stall
    watchdog applied, cancelling where they say so), or, after DataSync's end event, look again
    until DescribeTaskExecution agrees that the execution ended. A run still going renews its lease.

    When it cannot look (DataSync or the run ledger does not answer, after botocore's retries), it
    waits the outage out with back-off within the run's limits (`domain.outage`); when DataSync
    no longer knows the execution, it says whether the task was deleted."""
    execution_arn = run.execution_arn
    now = utc_now()
    try:
        snapshot = ports.datasync.describe(execution_arn)
    except ServiceUnreachable as failed:
        return _wait_out(run, failed, ports, settings, started_at, now)
    except ExecutionNotFound as gone:
        raise _gone(run, gone, ports) from gone
    run = run.model_copy(update={"unreachable": None, "waited_out": _waited_out(run, now)})
    ledger_down: ServiceUnreachable | None = None
    try:
        if phases.is_well_formed(snapshot.status):
            ports.ledger.record_status(execution_arn, snapshot.status, entry_time(snapshot) or now)
    except ServiceUnreachable as failed:
        ledger_down = failed
    announced = _end_announced(run, now)
    if announced is not None:
        confirmation, wait = confirm_end(snapshot.status, announced.looks + 1)
        if confirmation == "look_again":
            # DataSync is eventually consistent (docs/aws-facts.md#end-event-and-describe): the
            # event came first. No watchdog applies to an execution DataSync says has ended.
            _logger.info("DataSync's end event and DescribeTaskExecution disagree; looking again")
            return run.model_copy(
                update={
                    "status": snapshot.status,
                    "timeout_seconds": wait,
                    "looks": run.looks + 1,
                    "end_announced": announced.model_copy(update={"looks": announced.looks + 1}),
                }
            )
        if confirmation == "gave_up":
            return run.model_copy(
                update={
                    "status": snapshot.status,
                    "finished": True,
                    "looks": run.looks + 1,
                    "end_announced": announced.model_copy(update={"looks": announced.looks + 1}),
                }
            )
    try:
        if ledger_down is not None:
            raise ledger_down
        record = ports.ledger.get(execution_arn)
    except ServiceUnreachable as failed:
        if phases.is_terminal(snapshot.status):
            # DataSync's own end needs nothing from the ledger: the run goes on to its verdict.
            return run.model_copy(update={"status": snapshot.status, "finished": True})
        return _wait_out(run.model_copy(update={"status": snapshot.status}), failed, ports, settings, started_at, now)
    entered = (record.entered(snapshot.status) if record else None) or now
    mark = next_mark(_progress_mark(run.progress), snapshot.status, snapshot.progress_counters(), now)
    decision = decide_check(
        status=snapshot.status,
        entered_at=entered,
        now=now,
        limits=settings.phase_limits,
        fallback_seconds=settings.fallback_seconds,
        cancel_requested=bool(record and record.cancel_requested_at),
        events_flowing=bool(record and snapshot.status in record.event_statuses),
        remaining_seconds=remaining_seconds(snapshot, entered, now),
        deadline=_deadline(started_at, settings),
        progress=mark,
        stall=settings.stall,
        budget=WatchBudget(run.looks + 1, max_looks(settings.retry.max_attempts), _parse_optional(started_at)),
    )
    cancelled_by = run.cancelled_by
    if decision.action == "cancel" and decision.overrun is not None:
        ports.datasync.cancel(execution_arn)
        ports.ledger.note_cancel(execution_arn, decision.overrun.reason, now)
    if decision.action == "abandon" and decision.overrun is not None:
        ports.ledger.note_cancel(execution_arn, decision.overrun.reason, now)
    if decision.action in ("cancel", "abandon") and decision.overrun is not None and cancelled_by is None:
        # The first limit that cancelled decides, as in the ledger's note.
        cancelled_by = watchdog_cancel(decision.overrun)
    stalled = run.stalled
    if decision.stall is not None:
        stall = decision.stall
        stalled = StallSeen(phase=stall.phase, since=iso(mark.since), limit_seconds=stall.limit_seconds)
        if run.stalled != stalled:
            _logger.warning("Stalled: the task execution %s; StallAction is report", stall.reason)
    checked = RunState(
        execution_arn=execution_arn,
        status=snapshot.status,
        timeout_seconds=decision.wait_seconds or settings.fallback_seconds,
        finished=decision.action in ("finished", "abandon"),
        abandoned=decision.action == "abandon",
        cancelled_by=cancelled_by,
        await_error=run.await_error,
        progress=Progress(phase=mark.phase, counters=dict(mark.counters), since=iso(mark.since)),
        stalled=stalled,
        waited_out=run.waited_out,
        looks=run.looks + 1,
    )
    if workflow_execution and not checked.finished:
        _renew_lease(checked, workflow_execution, ports)
    return checked


def _waited_out(run: RunState, now: datetime) -> OutageWaitedOut | None:
    """The outage that this look ends, if one was being waited out; else the one waited out before."""
    if run.unreachable is None:
        return run.waited_out
    return OutageWaitedOut(**run.unreachable.model_dump(), until=iso(now))


def _wait_out(
    run: RunState, failed: ServiceUnreachable, ports: Ports, settings: Settings, started_at: str | None, now: datetime
) -> RunState:
    """One more failed look: wait (with back-off) for as long as the run's limits allow, else stop."""
    before = run.unreachable
    outage = Outage(
        service=failed.service,
        since=_parse_time(before.since) if before else now,
        looks=(before.looks if before else 0) + 1,
        cause=failed.cause,
    )
    entered = None
    try:  # when the ledger answers, the phase limit counts from the phase's start, not the outage's
        record = ports.ledger.get(run.execution_arn)
        entered = record.entered(run.status) if record else None
    except ApiCallFailed:
        entered = None
    decision = decide_outage(
        outage,
        now=now,
        status=run.status,
        entered_at=entered,
        limits=settings.phase_limits,
        fallback_seconds=settings.fallback_seconds,
        deadline=_deadline(started_at, settings),
    )
    if decision.action == "give_up" and decision.limit is not None:
        reason = gave_up_reason(outage, decision, now=now, execution_arn=run.execution_arn, status=run.status)
        raise _GIVE_UP[decision.limit](reason)
    _logger.warning(
        "%s could not be reached (%s); looking again in %d s",
        outage.service,
        outage.cause.describe(),
        decision.wait_seconds,
    )
    return run.model_copy(
        update={
            "timeout_seconds": decision.wait_seconds,
            "looks": run.looks + 1,  # a look that failed costs its history events all the same
            "unreachable": Unreachable(
                service=outage.service, since=iso(outage.since), looks=outage.looks, cause=outage.cause.to_dict()
            ),
        }
    )


def _gone(run: RunState, gone: ExecutionNotFound, ports: Ports) -> WatchEnded:
    """DataSync no longer knows the execution: is its task gone too? The verdict says which."""
    task_arn = task_arn_of(run.execution_arn)
    try:
        ports.datasync.task(task_arn)
    except TaskNotFound as deleted:
        return TaskDeleted(
            f"The task {task_arn} was deleted while its task execution {run.execution_arn} ran (last seen "
            f"{run.status}): DataSync knows neither any more ({gone.cause.describe()}; "
            f"{deleted.cause.describe()}). Whether the execution finished its work is unknown."
        )
    except ApiCallFailed as unread:
        return ExecutionGone(
            f"DataSync no longer knows task execution {run.execution_arn} (last seen {run.status}): "
            f"{gone.cause.describe()}; whether its task still exists could not be read ({unread.cause.describe()})."
        )
    return ExecutionGone(
        f"DataSync no longer knows task execution {run.execution_arn} (last seen {run.status}), although its "
        f"task still exists: {gone.cause.describe()}. Whether the execution finished its work is unknown."
    )


def as_confirmed(snapshot: ExecutionSnapshot, run: RunState) -> ExecutionSnapshot:
    """The execution as Check Sync confirmed its end: a later DescribeTaskExecution may still be
    answered from behind (docs/aws-facts.md#end-event-and-describe), and a status Describe itself
    showed as final stays final; its counters are the latest Describe gives."""
    if run.finished and phases.is_terminal(run.status) and not phases.is_terminal(snapshot.status):
        return replace(snapshot, status=run.status)
    return snapshot


def newly_stalled(before: RunState, after: RunState) -> bool:
    """Whether this check saw a stall the run had not seen yet (StallAction=report): counted once."""
    return after.stalled is not None and after.stalled != before.stalled


def _end_announced(run: RunState, now: datetime) -> EndAnnounced | None:
    """The end DataSync's event announced: Await Sync End was resumed with a final status (the
    check then runs once to confirm it), or an earlier check is still waiting for Describe to agree."""
    if run.end_announced is not None:
        return run.end_announced
    if phases.is_terminal(run.status) and not run.finished:
        return EndAnnounced(status=run.status, looks=0, since=iso(now))
    return None


def _progress_mark(progress: Progress | None) -> ProgressMark | None:
    if progress is None:
        return None
    return ProgressMark(progress.phase, dict(progress.counters), _parse_time(progress.since))


def _parse_optional(text: str | None) -> datetime | None:
    return _parse_time(text) if text else None


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def watchdog_cancel(overrun: PhaseOverrun | DeadlineOverrun | Stall | WatchLimit) -> WatchdogCancel:
    """Which limit the watchdog applied, as data: the verdict is decided from it, not from the note."""
    if isinstance(overrun, WatchLimit):
        return WatchdogCancel(limit="watchLimit", phase=overrun.phase, limit_seconds=overrun.watched_seconds)
    if isinstance(overrun, Stall):
        return WatchdogCancel(limit="stall", phase=overrun.phase, limit_seconds=overrun.limit_seconds)
    if isinstance(overrun, DeadlineOverrun):
        return WatchdogCancel(limit="runDeadline", phase=overrun.phase, limit_seconds=overrun.deadline_seconds)
    return WatchdogCancel(limit="phaseTimeLimit", phase=overrun.phase, limit_seconds=overrun.limit_seconds)


def record_event(execution_arn: str, status: str, at: datetime, ports: Ports) -> dict[str, Any]:
    """An execution state-change event: record the phase; on the end, resume the workflow."""
    if not phases.is_well_formed(status):
        return {"executionArn": execution_arn, "status": status, "recorded": False, "resumed": False}
    ports.ledger.record_status(execution_arn, status, at, from_event=True)
    resumed = _resume_if_finished(ports, execution_arn, status)
    return {"executionArn": execution_arn, "status": status, "recorded": True, "resumed": resumed}


def analyze_run(run: RunState, ports: Ports, analysis_ports: AnalysisPorts) -> dict[str, Any]:
    """Which files failed and why: a bounded summary; the complete list goes to the failure report."""
    from datasync_scheduler.analysis import analyze, unreadable

    execution_arn = run.execution_arn
    snapshot = ports.datasync.describe(execution_arn)
    try:
        # Where the task logs and writes its reports, and at which level: without it, nothing to read.
        task = ports.datasync.task(snapshot.task_arn)
    except ServiceUnreachable:
        raise  # an outage: the workflow retries the analysis later (docs/aws-facts.md#transient-aws-errors)
    except ApiCallFailed as failed:
        return {**unreadable(failed.cause, "the task's log and report settings"), "executionArn": execution_arn}
    task_id, execution_id = snapshot.task_arn.rsplit("/", 1)[-1], execution_arn.rsplit("/", 1)[-1]
    sink = analysis_ports.sink_for(f"failure-reports/{task_id}/{execution_id}.jsonl")
    return analyze(snapshot, task, logs=analysis_ports.logs, reports=analysis_ports.reports, sink=sink, now=utc_now())


@dataclass(frozen=True)
class RetryPorts:
    failures: Callable[[str], Iterator[dict[str, Any]]]  # failure report location -> its items
    manifest_upload: Callable[[str], LineUpload]  # S3 key -> where the manifest goes
    manifest_bucket: str
    manifest_role_arn: str


def first_attempt() -> NextAttempt:
    """`$.next` before the first start: attempt 1, the whole task, no attempts behind it."""
    return NextAttempt(attempt=1, scope={"kind": "all"}, attempts=[], retry=False, wait_seconds=0)


def _analysis_of(analysis: dict[str, Any] | None, execution_arn: str) -> dict[str, Any] | None:
    """The analysis in the state, if it is this execution's (a failed analysis leaves an older one)."""
    if isinstance(analysis, dict) and analysis.get("executionArn", execution_arn) == execution_arn:
        return analysis
    return None


def _watchdog_phase(record: RunRecord | None) -> str | None:
    if record is None or record.cancel_requested_at is None:
        return None
    before_cancel = [status for status in record.phase_times if status in phases.PHASES]
    return phases.latest(before_cancel)


def plan_next_attempt(
    step: PlanNextAttemptInput, ports: Ports, retry_ports: RetryPorts, settings: Settings
) -> NextAttempt:
    """After an attempt: record it, and decide whether another one runs and on which files."""
    from datasync_scheduler.domain.retry_scope import choose_scope, failed_paths, manifest_lines

    run, previous = step.run, step.next
    attempt = previous.attempt
    execution_arn = run.execution_arn
    snapshot = as_confirmed(ports.datasync.describe(execution_arn), run)
    record = ports.ledger.get(execution_arn)
    failures = _analysis_of(step.analysis, execution_arn)
    outcome = AttemptOutcome(
        status=snapshot.status,
        error_code=snapshot.result.error_code,
        error_detail=snapshot.result.error_detail,
        watchdog_phase=_watchdog_phase(record),
        abandoned=run.abandoned,
        left_running=run.abandoned and run.cancelled_by is not None and run.cancelled_by.limit == "watchLimit",
        unconfirmed=_unconfirmed(run, snapshot) is not None,
    )
    deadline = _deadline(step.started_at, settings)
    left = (deadline[0] - utc_now()).total_seconds() if deadline else None
    decision = decide_retry(outcome, failures, attempt, settings.retry, left)
    scope: dict[str, Any] = {"kind": "all"}
    task: TaskFacts | None = None
    if decision.action == "retry_files" and failures and failures.get("report"):
        try:
            task = ports.datasync.task(snapshot.task_arn)
        except ServiceUnreachable:
            raise  # an outage: the workflow retries the plan later rather than widen the retry
        except ApiCallFailed as unread:
            # A manifest or an Includes filter is only safe knowing the task's own filters: without
            # them, the whole task runs again, and the attempt says why.
            decision = RetryDecision(
                "retry_all",
                f"retrying the whole task, not by file list: the task's filters could not be read "
                f"({unread.cause.where} failed with {unread.cause.error})",
                decision.wait_seconds,
            )
    unknown = _unknown_because(failures, step.analysis_error)
    attempts = [*previous.attempts, attempt_summary(attempt, previous.scope, snapshot, failures, decision, unknown)]
    if decision.action == "retry_files" and failures and failures.get("report") and task is not None:
        request = step.request
        failed = failed_paths(retry_ports.failures(str(failures["report"])), decision.categories)
        # The task's own filters and settings decide what DataSync accepts, not only the request's.
        chosen = choose_scope(failed, request, task)
        scope = {"kind": chosen.kind, "paths": chosen.paths, "reason": chosen.reason}
        if chosen.kind == "includes":
            scope["includes"] = chosen.includes
            if chosen.excludes:
                scope["excludes"] = chosen.excludes
        elif chosen.kind == "manifest":
            task_id, execution_id = snapshot.task_arn.rsplit("/", 1)[-1], execution_arn.rsplit("/", 1)[-1]
            key = f"manifests/{task_id}/{execution_id}-retry-{attempt + 1}.csv"
            upload = retry_ports.manifest_upload(key)
            for line in manifest_lines(item.path for item in failed):
                upload.write_line(line.encode())
            upload.close()
            scope["manifest"] = {
                "bucket": retry_ports.manifest_bucket,
                "key": key,
                "roleArn": retry_ports.manifest_role_arn,
            }
    retry = decision.action in ("retry_all", "retry_files")
    return NextAttempt(
        attempt=attempt + 1 if retry else attempt,
        scope=scope if retry else previous.scope,
        attempts=attempts,
        retry=retry,
        wait_seconds=decision.wait_seconds,
        decision=decision.to_dict(),
    )


def analysis_step_cause(caught: CaughtError) -> Cause:
    """Analyze Run's own failure, by the Lambda's error type when it reports one, else Step Functions' name."""
    lambda_error = caught.lambda_error()
    name = lambda_error.errorType if lambda_error is not None and lambda_error.errorType else caught.Error
    return Cause.of("Analyze Run", name, caught.message())


def _unknown_because(failures: dict[str, Any] | None, analysis_error: CaughtError | None) -> Cause | None:
    """Why this attempt's failed files are unknown, when a step or an AWS call is the reason."""
    if failures is None:
        return analysis_step_cause(analysis_error) if analysis_error is not None else None
    return Cause.from_dict(failures.get("cause"))


_FILTER_KEYS = frozenset({"includes", "excludes"})  # up to 100 KiB each: the state carries them, summaries not


def attempt_summary(
    attempt: int,
    scope: dict[str, Any] | None,
    snapshot: ExecutionSnapshot,
    failures: dict[str, Any] | None,
    decision: RetryDecision | None,
    unknown_because: Cause | None = None,
) -> dict[str, Any]:
    """One attempt as the run result lists it (bounded: counts, not paths, and a bounded cause)."""
    summary = {
        "attempt": attempt,
        "executionArn": snapshot.execution_arn,
        "status": snapshot.status,
        # What this attempt copied (a retry copies only what the one before missed): the run's
        # history adds them up without asking DataSync again.
        "bytesTransferred": snapshot.bytes_transferred,
        "filesTransferred": snapshot.files_transferred,
        "scope": {key: value for key, value in (scope or {"kind": "all"}).items() if key not in _FILTER_KEYS},
        "failures": (failures or {}).get("byCategory", {}),
        "decision": decision.to_dict() if decision else None,
    }
    if unknown_because is not None:  # which step or AWS call kept this attempt's failed files unknown
        summary["unknownBecause"] = unknown_because.to_dict()
    return summary


def caught_error_message(caught: dict[str, Any]) -> str:
    """The message inside a Catch result (`{"Error", "Cause"}`; a Lambda's Cause is its error JSON)."""
    return CaughtError.model_validate(caught).message() if caught.get("Error") else "unknown error"


def report_run(step: ReportRunInput, ports: Ports) -> RunReport:
    """The run's result, whichever way the run ended; its one message is rendered from it."""
    workflow_execution = step.workflow_execution
    failure = step.failure
    task_arn = _task_arn_of(step)
    if failure is not None and failure.step in ("Validate Sync Request", "Start Sync"):
        name, unread = _task_name(ports, task_arn) if task_arn and failure.step == "Start Sync" else (None, ())
        report = RunReport(
            step_failed(failure.step, failure.error, execution_arn=None, status=None),
            task_arn=task_arn,
            task_name=name,
            unread=unread,
            workflow_execution=workflow_execution,
            attempts=tuple(step.next.attempts) if step.next else (),
        )
    else:
        run = step.run
        if run is None:  # the contract: every path to here past a start carries the run
            raise ValueError("Report Run was given neither a failed step before the start nor a task execution")
        execution_arn = run.execution_arn
        snapshot, record, unread_run = _last_look(ports, run)
        snapshot = as_confirmed(snapshot, run)
        phase_times = dict(record.phase_times) if record else {}
        attempts = _all_attempts(step, snapshot)
        if failure is not None:  # Check Sync or Plan Next Attempt failed after the start
            verdict = step_failed(failure.step, failure.error, execution_arn=execution_arn, status=snapshot.status)
        else:
            verdict = across_attempts(
                judge_execution(
                    snapshot,
                    watchdog_note=record.watchdog_note if record else None,
                    watchdog_limit=run.cancelled_by.limit if run.cancelled_by else None,
                    abandoned=run.abandoned,
                    unconfirmed=_unconfirmed(run, snapshot),
                ),
                attempts,
            )
        if run.stalled is not None and run.cancelled_by is None:
            verdict = replace(verdict, reason=f"{verdict.reason} {_stall_reported(run.stalled)}")
        if run.await_error is not None:
            verdict = replace(verdict, reason=f"{verdict.reason} {_polled_because(run.await_error)}")
        name, unread = _task_name(ports, task_arn_of(execution_arn))
        report = RunReport(
            verdict,
            task_arn=task_arn_of(execution_arn),
            task_name=name,
            unread=_outage_unread(run) + unread_run + unread,
            execution_arn=execution_arn,
            workflow_execution=workflow_execution,
            snapshot=snapshot,
            phases=timeline(phase_times),
            failures=_failures_summary(step),
            attempts=attempts,
        )
    if step.release_error is not None:
        report = replace(
            report,
            verdict=replace(report.verdict, reason=f"{report.verdict.reason} {_not_released(step.release_error)}"),
        )
    unwritten = _record_history(report, step.started_at, workflow_execution, ports)
    return replace(report, unwritten=unwritten) if unwritten else report


def _outage_unread(run: RunState) -> tuple[tuple[str, Cause], ...]:
    """An outage the run waited out, told like any read that failed: for how long, and its error."""
    outage = run.waited_out
    cause = Cause.from_dict(outage.cause) if outage else None
    if outage is None or cause is None:
        return ()
    lasted = format_duration((_parse_time(outage.until) - _parse_time(outage.since)).total_seconds())
    return ((f"the task execution's state for about {lasted} ({outage.looks} look(s), until the outage ended)", cause),)


def _last_look(
    ports: Ports, run: RunState
) -> tuple[ExecutionSnapshot, RunRecord | None, tuple[tuple[str, Cause], ...]]:
    """The execution and its record as the report tells them. Each read is best effort: a report
    made while DataSync or the run ledger is down (or the execution is gone) tells what the run
    last saw, says what it could not read, and still goes out (docs/aws-facts.md#transient-aws-errors)."""
    unread: list[tuple[str, Cause]] = []
    try:
        snapshot = ports.datasync.describe(run.execution_arn)
    except ApiCallFailed as failed:
        snapshot = ExecutionSnapshot(execution_arn=run.execution_arn, status=run.status)
        unread.append(("the task execution's final state", failed.cause))
    record: RunRecord | None = None
    try:
        if phases.is_well_formed(snapshot.status) and not unread:
            ports.ledger.record_status(run.execution_arn, snapshot.status, entry_time(snapshot) or utc_now())
        record = ports.ledger.get(run.execution_arn)
    except ApiCallFailed as failed:
        unread.append(("the times of its phases", failed.cause))
    return snapshot, record, tuple(unread)


def _not_released(error: CaughtError) -> str:
    """Why the next run of the task may be refused or wait for a while: said in this run's verdict."""
    return (
        f"The task's lease could not be released ({error.Error}: {error.message()}): it ends on its own "
        "within an hour of this run's last look, and until then another run of the task is refused or waits."
    )


def _unconfirmed(run: RunState, snapshot: ExecutionSnapshot) -> UnconfirmedEnd | None:
    """The end DataSync's event announced and the check never saw DescribeTaskExecution confirm."""
    announced = run.end_announced
    if announced is None or not run.finished or phases.is_terminal(snapshot.status):
        return None
    seconds = (utc_now() - _parse_time(announced.since)).total_seconds()
    return UnconfirmedEnd(announced.status, snapshot.status, announced.looks, seconds)


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


def publication_of(
    message: Message, notifications: NotificationSettings | None, *, workflow_execution: str
) -> dict[str, Any]:
    """The SNS publication of a run's or batch's message (`workflow_execution`: the run's or batch's,
    which names the message); `publish` is false for a silent success."""
    from datasync_scheduler.domain.chatbot import render_chatbot
    from datasync_scheduler.domain.publication import sns_publication

    settings = notifications or NotificationSettings()
    return sns_publication(
        message,
        chatbot=render_chatbot(message) if settings.chatbot else None,
        publish=not (message.outcome == "succeeded" and settings.on_success == "silent"),
        workflow_execution=workflow_execution,
    )


def _record_history(
    report: RunReport, started: str | None, workflow_execution: str | None, ports: Ports
) -> tuple[tuple[str, Cause], ...]:
    """Writes the run's line of history; returns what could not be written, and why, for the message.

    Best effort: a run whose history cannot be written is still reported and notified. Failing here
    would make the state machine retry the whole Report Run and, if the table stayed unreachable,
    end the run without its notification: a worse loss than a line."""
    from datasync_scheduler.domain.run_history import history_entry

    if not workflow_execution:
        return ()
    try:
        entry = history_entry(
            report,
            workflow_execution=workflow_execution,
            started_at=datetime.fromisoformat(started.replace("Z", "+00:00")) if started else None,
            ended_at=utc_now(),
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
    """Attempts the plan step recorded, plus the last one when it went straight to the report."""
    planned = step.next or first_attempt()
    attempts = list(planned.attempts)
    if not attempts or attempts[-1].get("executionArn") != snapshot.execution_arn:
        attempts.append(
            attempt_summary(
                planned.attempt,
                planned.scope,
                snapshot,
                _analysis_of(step.analysis, snapshot.execution_arn),
                None,
                # Only a failed plan comes here after Analyze Run; other ways skip it, and an
                # analysis error in the state is then an earlier attempt's.
                _unknown_because(_analysis_of(step.analysis, snapshot.execution_arn), step.analysis_error)
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
        from datasync_scheduler.analysis import unavailable

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
