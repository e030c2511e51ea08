"""Check Sync: the fallback look when no end event came in time.

The watchdog's limits, the stall check, outages waited out, and an execution DataSync no longer knows.
"""

from __future__ import annotations

import logging
from datetime import datetime

from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.composition.settings import CheckSyncSettings
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.execution import entry_time, remaining_seconds, task_arn_of
from datasync_scheduler.domain.outage import Outage, decide_outage, gave_up_reason
from datasync_scheduler.domain.run_result import (
    iso,
)
from datasync_scheduler.domain.task_lease import lease_until
from datasync_scheduler.domain.watchdog import (
    DeadlineOverrun,
    PhaseOverrun,
    ProgressMark,
    Stall,
    WatchBudget,
    WatchLimit,
    confirm_end,
    decide_check,
    max_looks,
    next_mark,
)
from datasync_scheduler.ports import (
    ApiCallFailed,
    ExecutionNotFound,
    Ports,
    ServiceUnreachable,
    TaskNotFound,
)
from datasync_scheduler.workflow.looks import parse_optional, parse_time, run_deadline
from datasync_scheduler.workflow.state.sync import (
    EndAnnounced,
    OutageWaitedOut,
    Progress,
    StallSeen,
    TaskExecutionState,
    Unreachable,
    WatchdogCancel,
)

_logger = logging.getLogger(__name__)


def _renew_lease(execution: TaskExecutionState, owner: str, ports: Ports) -> None:
    """Keeps the run's lease through its next wait and the margin (`task_lease`). Best effort: a
    renewal that fails leaves the lease to end on its own time, after this look's wait would have
    ended anyway; the check's own work must not fail for it."""
    now = utc_now()
    task_arn = task_arn_of(execution.execution_arn)
    try:
        renewed = ports.lease.renew(task_arn, owner, now, lease_until(now, execution.timeout_seconds))
    except Exception:
        _logger.exception("The task's lease could not be renewed; it ends on its own time")
        return
    if not renewed:  # WhenTaskBusy=queue: a run queued behind another's holds no lease, and needs none
        _logger.info("This run holds no lease on %s to renew", task_arn)


class WatchEnded(Exception):
    """Check Sync stops watching the task execution for a reason that is not DataSync's verdict.

    Each subclass is one cause, raised by its name (the Lambda's errorType): the state machine
    does not retry it and the run result names the cause from it (`run_result.step_failed`)."""


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
    execution: TaskExecutionState,
    ports: Ports,
    settings: CheckSyncSettings,
    started_at: str | None = None,
    workflow_execution: str = "",
    run_deadline_seconds: int | None = None,
) -> TaskExecutionState:
    """Describes the execution and decides: finished, wait again (the watchdog's limits and the stall
    watchdog applied, cancelling where they say so), or, after DataSync's end event, look again
    until DescribeTaskExecution agrees that the execution ended. A run still going renews its lease.

    When it cannot look (DataSync or the run ledger does not answer, after botocore's retries), it
    waits the outage out with back-off within the run's limits (`domain.outage`); when DataSync
    no longer knows the execution, it says whether the task was deleted.

    `run_deadline_seconds` is the run's own deadline (its request's), else the stack's applies."""
    if run_deadline_seconds is not None:
        settings = settings.model_copy(update={"run_deadline_seconds": run_deadline_seconds})
    execution_arn = execution.execution_arn
    now = utc_now()
    try:
        snapshot = ports.datasync.describe(execution_arn)
    except ServiceUnreachable as failed:
        return _wait_out(execution, failed, ports, settings, started_at, now)
    except ExecutionNotFound as gone:
        raise _gone(execution, gone, ports) from gone
    execution = execution.model_copy(update={"unreachable": None, "waited_out": _waited_out(execution, now)})
    ledger_down: ServiceUnreachable | None = None
    try:
        if phases.is_well_formed(snapshot.status):
            ports.ledger.record_status(execution_arn, snapshot.status, entry_time(snapshot) or now)
    except ServiceUnreachable as failed:
        ledger_down = failed
    announced = _end_announced(execution, now)
    if announced is not None:
        confirmation, wait = confirm_end(snapshot.status, announced.looks + 1)
        if confirmation == "look_again":
            # DataSync is eventually consistent (docs/aws-facts.md#end-event-and-describe): the
            # event came first. No watchdog applies to an execution DataSync says has ended.
            _logger.info("DataSync's end event and DescribeTaskExecution disagree; looking again")
            return execution.model_copy(
                update={
                    "status": snapshot.status,
                    "timeout_seconds": wait,
                    "looks": execution.looks + 1,
                    "end_announced": announced.model_copy(update={"looks": announced.looks + 1}),
                }
            )
        if confirmation == "gave_up":
            return execution.model_copy(
                update={
                    "status": snapshot.status,
                    "finished": True,
                    "looks": execution.looks + 1,
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
            return execution.model_copy(update={"status": snapshot.status, "finished": True})
        return _wait_out(
            execution.model_copy(update={"status": snapshot.status}), failed, ports, settings, started_at, now
        )
    entered = (record.entered(snapshot.status) if record else None) or now
    mark = next_mark(_progress_mark(execution.progress), snapshot.status, snapshot.progress_counters(), now)
    decision = decide_check(
        status=snapshot.status,
        entered_at=entered,
        now=now,
        limits=settings.phase_limits,
        fallback_seconds=settings.fallback_seconds,
        cancel_requested=bool(record and record.cancel_requested_at),
        events_flowing=bool(record and snapshot.status in record.event_statuses),
        remaining_seconds=remaining_seconds(snapshot, entered, now),
        deadline=run_deadline(started_at, settings.run_deadline_seconds),
        progress=mark,
        stall=settings.stall,
        budget=WatchBudget(execution.looks + 1, max_looks(settings.max_attempts), parse_optional(started_at)),
    )
    cancelled_by = execution.cancelled_by
    if decision.action == "cancel" and decision.overrun is not None:
        ports.datasync.cancel(execution_arn)
        ports.ledger.note_cancel(execution_arn, decision.overrun.reason, now)
    if decision.action == "abandon" and decision.overrun is not None:
        ports.ledger.note_cancel(execution_arn, decision.overrun.reason, now)
    if decision.action in ("cancel", "abandon") and decision.overrun is not None and cancelled_by is None:
        # The first limit that cancelled decides, as in the ledger's note.
        cancelled_by = watchdog_cancel(decision.overrun)
    stalled = execution.stalled
    if decision.stall is not None:
        stall = decision.stall
        stalled = StallSeen(phase=stall.phase, since=iso(mark.since), limit_seconds=stall.limit_seconds)
        if execution.stalled != stalled:
            _logger.warning("Stalled: the task execution %s; StallAction is report", stall.reason)
    checked = TaskExecutionState(
        execution_arn=execution_arn,
        status=snapshot.status,
        timeout_seconds=decision.wait_seconds or settings.fallback_seconds,
        finished=decision.action in ("finished", "abandon"),
        abandoned=decision.action == "abandon",
        cancelled_by=cancelled_by,
        await_error=execution.await_error,
        progress=Progress(phase=mark.phase, counters=dict(mark.counters), since=iso(mark.since)),
        stalled=stalled,
        waited_out=execution.waited_out,
        looks=execution.looks + 1,
    )
    if workflow_execution and not checked.finished:
        _renew_lease(checked, workflow_execution, ports)
    return checked


def _waited_out(execution: TaskExecutionState, now: datetime) -> OutageWaitedOut | None:
    """The outage that this look ends, if one was being waited out; else the one waited out before."""
    if execution.unreachable is None:
        return execution.waited_out
    return OutageWaitedOut(**execution.unreachable.model_dump(), until=iso(now))


def _wait_out(
    execution: TaskExecutionState,
    failed: ServiceUnreachable,
    ports: Ports,
    settings: CheckSyncSettings,
    started_at: str | None,
    now: datetime,
) -> TaskExecutionState:
    """One more failed look: wait (with back-off) for as long as the run's limits allow, else stop."""
    before = execution.unreachable
    outage = Outage(
        service=failed.service,
        since=parse_time(before.since) if before else now,
        looks=(before.looks if before else 0) + 1,
        cause=failed.cause,
    )
    entered = None
    try:  # when the ledger answers, the phase limit counts from the phase's start, not the outage's
        record = ports.ledger.get(execution.execution_arn)
        entered = record.entered(execution.status) if record else None
    except ApiCallFailed:
        entered = None
    decision = decide_outage(
        outage,
        now=now,
        status=execution.status,
        entered_at=entered,
        limits=settings.phase_limits,
        fallback_seconds=settings.fallback_seconds,
        deadline=run_deadline(started_at, settings.run_deadline_seconds),
    )
    if decision.action == "give_up" and decision.limit is not None:
        reason = gave_up_reason(
            outage, decision, now=now, execution_arn=execution.execution_arn, status=execution.status
        )
        raise _GIVE_UP[decision.limit](reason)
    _logger.warning(
        "%s could not be reached (%s); looking again in %d s",
        outage.service,
        outage.cause.describe(),
        decision.wait_seconds,
    )
    return execution.model_copy(
        update={
            "timeout_seconds": decision.wait_seconds,
            "looks": execution.looks + 1,  # a look that failed costs its history events all the same
            "unreachable": Unreachable(
                service=outage.service, since=iso(outage.since), looks=outage.looks, cause=outage.cause.to_dict()
            ),
        }
    )


def _gone(execution: TaskExecutionState, gone: ExecutionNotFound, ports: Ports) -> WatchEnded:
    """DataSync no longer knows the execution: is its task gone too? The verdict says which."""
    task_arn = task_arn_of(execution.execution_arn)
    try:
        ports.datasync.task(task_arn)
    except TaskNotFound as deleted:
        return TaskDeleted(
            f"The task {task_arn} was deleted while its task execution {execution.execution_arn} ran (last seen "
            f"{execution.status}): DataSync knows neither any more ({gone.cause.describe()}; "
            f"{deleted.cause.describe()}). Whether the execution finished its work is unknown."
        )
    except ApiCallFailed as unread:
        return ExecutionGone(
            f"DataSync no longer knows task execution {execution.execution_arn} (last seen {execution.status}): "
            f"{gone.cause.describe()}; whether its task still exists could not be read ({unread.cause.describe()})."
        )
    return ExecutionGone(
        f"DataSync no longer knows task execution {execution.execution_arn} (last seen {execution.status}), "
        f"although its task still exists: {gone.cause.describe()}. Whether the execution finished its work is unknown."
    )


def newly_stalled(before: TaskExecutionState, after: TaskExecutionState) -> bool:
    """Whether this check saw a stall the run had not seen yet (StallAction=report): counted once."""
    return after.stalled is not None and after.stalled != before.stalled


def _end_announced(execution: TaskExecutionState, now: datetime) -> EndAnnounced | None:
    """The end DataSync's event announced: Await Sync End was resumed with a final status (the
    check then runs once to confirm it), or an earlier check is still waiting for Describe to agree."""
    if execution.end_announced is not None:
        return execution.end_announced
    if phases.is_terminal(execution.status) and not execution.finished:
        return EndAnnounced(status=execution.status, looks=0, since=iso(now))
    return None


def _progress_mark(progress: Progress | None) -> ProgressMark | None:
    if progress is None:
        return None
    return ProgressMark(progress.phase, dict(progress.counters), parse_time(progress.since))


def watchdog_cancel(overrun: PhaseOverrun | DeadlineOverrun | Stall | WatchLimit) -> WatchdogCancel:
    """Which limit the watchdog applied, as data: the verdict is decided from it, not from the note."""
    if isinstance(overrun, WatchLimit):
        return WatchdogCancel(limit="watchLimit", phase=overrun.phase, limit_seconds=overrun.watched_seconds)
    if isinstance(overrun, Stall):
        return WatchdogCancel(limit="stall", phase=overrun.phase, limit_seconds=overrun.limit_seconds)
    if isinstance(overrun, DeadlineOverrun):
        return WatchdogCancel(limit="runDeadline", phase=overrun.phase, limit_seconds=overrun.deadline_seconds)
    return WatchdogCancel(limit="phaseTimeLimit", phase=overrun.phase, limit_seconds=overrun.limit_seconds)
