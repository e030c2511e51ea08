"""Plan Next Attempt: records the attempt and decides whether another one runs, and on which files."""

from __future__ import annotations

from typing import Any

from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.composition.settings import PlanNextAttemptSettings
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.execution_record import TaskExecutionRecord
from datasync_scheduler.domain.retry_policy import AttemptOutcome, RetryDecision, decide_retry
from datasync_scheduler.domain.retry_scope import choose_scope, failed_paths, manifest_lines
from datasync_scheduler.domain.where import Where
from datasync_scheduler.ports import (
    ApiCallFailed,
    Ports,
    RetryPorts,
    ServiceUnreachable,
)
from datasync_scheduler.workflow.attempts import analysis_of, attempt_summary, unknown_because
from datasync_scheduler.workflow.looks import as_confirmed, run_deadline, unconfirmed
from datasync_scheduler.workflow.state.sync import (
    Attempts,
    PlanNextAttemptInput,
)


def _watchdog_phase(record: TaskExecutionRecord | None) -> str | None:
    if record is None or record.cancel_requested_at is None:
        return None
    before_cancel = [status for status in record.phase_times if status in phases.PHASES]
    return phases.latest(before_cancel)


def plan_next_attempt(
    step: PlanNextAttemptInput, ports: Ports, retry_ports: RetryPorts, settings: PlanNextAttemptSettings
) -> Attempts:
    """After an attempt: record it, and decide whether another one runs and on which files."""
    execution, previous = step.task_execution, step.attempts
    attempt = previous.attempt
    execution_arn = execution.execution_arn
    snapshot = as_confirmed(ports.datasync.describe(execution_arn), execution)
    record = ports.ledger.get(execution_arn)
    failures = analysis_of(step.analysis, execution_arn)
    outcome = AttemptOutcome(
        status=snapshot.status,
        error_code=snapshot.result.error_code,
        error_detail=snapshot.result.error_detail,
        watchdog_phase=_watchdog_phase(record),
        abandoned=execution.abandoned,
        left_running=execution.abandoned
        and execution.cancelled_by is not None
        and execution.cancelled_by.limit == "watchLimit",
        unconfirmed=unconfirmed(execution, snapshot) is not None,
    )
    # The run's own deadline (a named schedule's) when its request carries one, else the stack's.
    deadline = run_deadline(step.started_at, step.request.deadline_seconds(settings.run_deadline_seconds))
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
    unknown = unknown_because(failures, step.analysis_error)
    attempts = [*previous.done, attempt_summary(attempt, previous.scope, snapshot, failures, decision, unknown)]
    if decision.action == "retry_files" and failures and failures.get("report") and task is not None:
        request = step.request
        failed = failed_paths(retry_ports.failures(str(failures["report"])), decision.categories)
        # The task's own filters and settings decide what DataSync accepts, not only the request's.
        place = retry_ports.manifest_place
        chosen = choose_scope(
            failed, request, task, manifest_reachable=place is None or Where.of_arn(request.taskArn) == place
        )
        scope = {"kind": chosen.kind, "paths": chosen.paths, "reason": chosen.reason}
        if chosen.kind == "includes":
            scope["includes"] = chosen.includes
            if chosen.excludes:
                scope["excludes"] = chosen.excludes
        elif chosen.kind == "manifest":
            task_id, execution_id = snapshot.task_arn.rsplit("/", 1)[-1], execution_arn.rsplit("/", 1)[-1]
            key = f"manifests/{task_id}/{execution_id}-retry-{attempt + 1}.csv"
            lines = manifest_lines(item.path for item in failed)
            retry_ports.manifest_upload(key).write(line.encode() for line in lines)
            scope["manifest"] = {
                "bucket": retry_ports.manifest_bucket,
                "key": key,
                "roleArn": retry_ports.manifest_role_arn,
            }
    retry = decision.action in ("retry_all", "retry_files")
    return Attempts(
        attempt=attempt + 1 if retry else attempt,
        scope=scope if retry else previous.scope,
        done=attempts,
        retry=retry,
        wait_seconds=decision.wait_seconds,
        decision=decision.to_dict(),
    )
