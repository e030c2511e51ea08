"""Start Sync: takes the task's lease and starts the attempt's task execution (a retried start adopts it)."""

from __future__ import annotations

import logging
import re
from typing import Any

from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.composition.settings import StartSyncSettings
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.domain.task_lease import lease_until, request_digest, when_held
from datasync_scheduler.domain.watchdog import (
    wait_seconds,
)
from datasync_scheduler.ports import (
    Ports,
    ServiceUnreachable,
    StartRefused,
)
from datasync_scheduler.workflow.state.sync import (
    TaskExecutionState,
)

_logger = logging.getLogger(__name__)


WORKFLOW_TAG = "datasync-scheduler:workflow-execution"


ATTEMPT_TAG = "datasync-scheduler:attempt"


_TAG_VALUE_UNSAFE = re.compile(r"[^a-zA-Z0-9\s+=._:@/-]")


def start_sync(
    request: SyncRequest,
    workflow_execution: str,
    ports: Ports,
    settings: StartSyncSettings,
    attempt: int = 1,
    scope: dict[str, Any] | None = None,
) -> TaskExecutionState:
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
    return TaskExecutionState(
        execution_arn=execution_arn, status="QUEUED", timeout_seconds=first_wait, adopted=adopted is not None
    )


class TaskBusy(Exception):
    """Another execution holds the task and the configuration says to wait: the workflow retries."""


def _take_lease(
    ports: Ports, request: SyncRequest, owner: str, settings: StartSyncSettings, next_look: int, *, adopted: bool
) -> None:
    """Takes (or renews) the task's lease for this run, or does what WhenTaskBusy says when another
    run holds it (`task_lease.when_held`). One atomic write: docs/aws-facts.md#the-task-lease."""
    now = utc_now()
    digest = request_digest(request.to_sync())
    holder = ports.lease.acquire(request.taskArn, owner, now, lease_until(now, next_look), digest)
    if holder is None or adopted:
        return
    action = when_held(settings.when_task_busy, holder, digest)
    if action == "refuse":
        raise StartRefused(f"another run of the scheduler holds the task: {holder.owner}, and WhenTaskBusy is fail")
    if action == "wait":
        raise TaskBusy(f"another run of the scheduler holds the task: {holder.owner}; waiting for it to end")


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
