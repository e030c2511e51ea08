"""What several steps share: one look at a task execution, its confirmed end, the run's deadline, times in the state."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.execution import ExecutionSnapshot, entry_time
from datasync_scheduler.domain.watchdog import (
    UnconfirmedEnd,
)
from datasync_scheduler.ports import (
    Ports,
)
from datasync_scheduler.workflow.state.sync import (
    TaskExecutionState,
)


def observe(ports: Ports, execution_arn: str, now: datetime) -> ExecutionSnapshot:
    snapshot = ports.datasync.describe(execution_arn)
    if phases.is_well_formed(snapshot.status):
        ports.ledger.record_status(execution_arn, snapshot.status, entry_time(snapshot) or now)
    return snapshot


def resume_if_finished(ports: Ports, execution_arn: str, status: str) -> bool:
    """Resumes the waiting workflow when the execution has ended; exactly one caller wins the token."""
    if not phases.is_terminal(status):
        return False
    token = ports.ledger.claim_token(execution_arn)
    if token is None:
        return False
    try:
        # The task's output is the status itself: the state machine stores it as `$.taskExecution.status`.
        return ports.callbacks.resume(token, status)
    except Exception:
        ports.ledger.restore_token(execution_arn, token)  # let the next event or check try again
        raise


def run_deadline(started_at: str | None, run_deadline_seconds: int) -> tuple[datetime, int] | None:
    if not started_at or not run_deadline_seconds:
        return None
    began = datetime.fromisoformat(started_at.replace("Z", "+00:00"))
    return began + timedelta(seconds=run_deadline_seconds), run_deadline_seconds


def as_confirmed(snapshot: ExecutionSnapshot, execution: TaskExecutionState) -> ExecutionSnapshot:
    """The execution as Check Sync confirmed its end: a later DescribeTaskExecution may still be
    answered from behind (docs/aws-facts.md#end-event-and-describe), and a status Describe itself
    showed as final stays final; its counters are the latest Describe gives."""
    if execution.finished and phases.is_terminal(execution.status) and not phases.is_terminal(snapshot.status):
        return replace(snapshot, status=execution.status)
    return snapshot


def parse_optional(text: str | None) -> datetime | None:
    return parse_time(text) if text else None


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def unconfirmed(execution: TaskExecutionState, snapshot: ExecutionSnapshot) -> UnconfirmedEnd | None:
    """The end DataSync's event announced and the check never saw DescribeTaskExecution confirm."""
    announced = execution.end_announced
    if announced is None or not execution.finished or phases.is_terminal(snapshot.status):
        return None
    seconds = (utc_now() - parse_time(announced.since)).total_seconds()
    return UnconfirmedEnd(announced.status, snapshot.status, announced.looks, seconds)
