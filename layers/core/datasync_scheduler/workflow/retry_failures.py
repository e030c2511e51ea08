"""Validate Sync Request, for a run asked to retry an earlier run's failed files (`retryFailuresOf`).

The run gets the earlier run's request (its task, overrides and filters; not its firing: a person or
another system asked for this run, not the schedule) and a first attempt of only the failed files a
rerun can fix, named by a manifest or an Includes filter as the automatic retry would
(`domain.retry_failures`, `domain.retry_scope`). Every refusal comes before anything starts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from datasync_scheduler.domain.retry_failures import (
    FIELD,
    failure_report_key,
    failures_to_retry,
)
from datasync_scheduler.domain.retry_policy import RetrySettings
from datasync_scheduler.domain.retry_scope import choose_scope
from datasync_scheduler.domain.sync_request import InvalidSyncRequest, SyncRequest
from datasync_scheduler.domain.where import Where
from datasync_scheduler.ports import ApiCallFailed, RetryFailuresPorts, ServiceUnreachable
from datasync_scheduler.workflow.attempts import scope_state
from datasync_scheduler.workflow.state.sync import Attempts

# A retry of a retry names the run it retried; its request is the first run's. The chain is followed
# this far, which no person retrying by hand reaches; a longer one is refused rather than walked.
MAX_CHAIN = 20


def is_retry_of_failures(run_input: Any) -> bool:
    return isinstance(run_input, dict) and FIELD in run_input


def earlier_run(run_input: dict[str, Any]) -> str:
    """The run named by `retryFailuresOf`, alone: its request is the earlier run's, nothing added."""
    run = run_input.get(FIELD)
    others = sorted(set(run_input) - {FIELD})
    if others:
        raise InvalidSyncRequest(f"{FIELD}: takes no other field (the earlier run's request is used): {others}")
    if not isinstance(run, str) or ":execution:" not in run:
        raise InvalidSyncRequest(f"{FIELD}: must be a SyncWorkflow run's execution ARN, got {run!r}")
    return run


def _first_request(run: str, ports: RetryFailuresPorts) -> dict[str, Any]:
    named = run
    for _ in range(MAX_CHAIN):
        found = ports.run_input(named)
        if found is None:
            raise InvalidSyncRequest(f"{FIELD}: Step Functions no longer knows run {named} (or never did)")
        if not is_retry_of_failures(found):
            if not isinstance(found, dict):
                raise InvalidSyncRequest(f"{FIELD}: run {named} was not started with a sync request")
            return {key: value for key, value in found.items() if key != "firing"}
        named = earlier_run(found)
    raise InvalidSyncRequest(f"{FIELD}: run {run} retries runs more than {MAX_CHAIN} deep")


def retry_failures_of(
    run: str,
    workflow_execution: str,
    ports: RetryFailuresPorts,
    parse: Callable[[Any], SyncRequest],
    settings: RetrySettings,
    *,
    retention_days: int,
    now: datetime,
) -> tuple[SyncRequest, Attempts]:
    """The earlier run's request (checked by `parse`, as any run's input) and the first attempt: exactly
    the failed files of `run` that a rerun can fix. Raises `InvalidSyncRequest` naming the field."""
    entry = ports.runs.run(run)
    report = None
    if entry is not None and entry.execution_arn is not None:
        # Analyze Run writes reports to the bucket retry manifests go to.
        report = ports.failure_report(f"s3://{ports.retry.manifest_bucket}/{failure_report_key(entry.execution_arn)}")
    chosen_files = failures_to_retry(run, entry, report, settings, retention_days=retention_days, now=now)
    # Checked again as any run's input is: the task may have been deleted, the stack moved.
    request = parse(_first_request(run, ports))
    try:
        task = ports.datasync.task(request.taskArn)
    except ServiceUnreachable:
        raise  # an outage: the workflow retries Validate Sync Request
    except ApiCallFailed as unread:
        raise InvalidSyncRequest(
            f"{FIELD}: the task's filters could not be read, so the failed files cannot be named safely "
            f"({unread.cause.where} failed with {unread.cause.error})"
        ) from unread
    # A manifest is read from the stack's bucket with the stack's role: only for a task the same
    # place, as Plan Next Attempt decides (docs/aws-facts.md#datasync-manifests-and-retries).
    place = ports.retry.manifest_place
    reachable = place is None or Where.of_arn(request.taskArn) == place
    chosen = choose_scope(chosen_files.failed, request, task, manifest_reachable=reachable)
    task_id = request.taskArn.rsplit("/", 1)[-1]
    key = f"manifests/{task_id}/{workflow_execution.rsplit(':', 1)[-1]}-retry-failures.csv"
    scope = scope_state(chosen, chosen_files.failed, ports.retry, key)
    scope["retryFailuresOf"] = run
    scope["reason"] = f"{chosen_files.reason}: {chosen.reason}"
    return request, Attempts(attempt=1, scope=scope, done=[], retry=False, wait_seconds=0)
