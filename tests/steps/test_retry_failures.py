"""A retry of an earlier run's failed files, asked for by hand (`{"retryFailuresOf": RUN}`): a run of
exactly the files in that run's failure report that a rerun can fix, with its task and overrides."""

from datetime import timedelta
from typing import Any

import pytest

from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.retry_failures import failure_report_key
from datasync_scheduler.domain.retry_policy import RetrySettings
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.sync_request import InvalidSyncRequest, SyncRequest
from datasync_scheduler.ports import RetryFailuresPorts, RetryPorts
from datasync_scheduler.workflow.retry_failures import retry_failures_of
from tests.fakes import FakeBucket
from tests.steps.conftest import World

EARLIER = "arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-SyncWorkflow:nightly-1"
RETRY = "arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-SyncWorkflow:retry-nightly-1"
MANIFEST_ROLE = "arn:aws:iam::123456789012:role/datasync-manifest-access"


class Inputs:
    """The SyncWorkflow runs Step Functions knows, by ARN: each run's input."""

    def __init__(self) -> None:
        self.inputs: dict[str, Any] = {}

    def input_of(self, workflow_execution: str) -> Any | None:
        return self.inputs.get(workflow_execution)


def earlier_run_failed_on(world: World, bucket: FakeBucket, inputs: Inputs, *failures: FileFailure, **task: Any) -> str:
    """An earlier run of the task, reported FAILED, whose last task execution's report lists `failures`."""
    task_arn = world.datasync.add_task(**task)
    execution_arn = f"{task_arn}/execution/exec-0123456789abcdef0"
    inputs.inputs[EARLIER] = {
        "taskArn": task_arn,
        "overrides": {"VerifyMode": "ONLY_FILES_TRANSFERRED"},
        "firing": {"schedule": "nightly", "scheduledTime": "2026-11-21T23:00:00Z"},
    }
    if failures:
        bucket.failure_sink(failure_report_key(execution_arn)).store(failures)
    world.ledger.record_run(
        RunHistoryEntry(
            workflow_execution=EARLIER,
            started_at=world.now - timedelta(hours=1),
            ended_at=world.now,
            status="FAILED",
            error="DataSync.ExecutionError",
            reason="files failed",
            task_arn=task_arn,
            execution_arn=execution_arn,
            failures={"transient": len(failures)},
            attempts=3,
        )
    )
    return task_arn


def changed(path: str) -> FileFailure:
    return FileFailure(path=path, category="checksum_mismatch", level="ERROR")


def retry(world: World, bucket: FakeBucket, inputs: Inputs, **settings: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    ports = RetryFailuresPorts(
        runs=world.ledger,
        run_input=inputs.input_of,
        failure_report=bucket.failures_if_any,
        retry=RetryPorts(
            failures=bucket.read_failures,
            manifest_upload=bucket.line_upload,
            manifest_bucket=bucket.name,
            manifest_role_arn=MANIFEST_ROLE,
        ),
        datasync=world.datasync,
    )
    request, attempts = retry_failures_of(
        EARLIER,
        RETRY,
        ports,
        SyncRequest.model_validate,
        settings.get("retry", RetrySettings()),
        retention_days=90,
        now=world.now + timedelta(days=1),
    )
    return request.model_dump(mode="json", exclude_none=True), attempts.model_dump(mode="json", by_alias=True)


def test_a_run_that_failed_on_two_changed_files_is_retried_on_exactly_those_two(world: World) -> None:
    bucket, inputs = FakeBucket(), Inputs()
    task_arn = earlier_run_failed_on(
        world, bucket, inputs, changed("/reports/q3.xlsx"), changed("/reports/q4.xlsx"), changed("/reports/q4.xlsx")
    )

    request, attempts = retry(world, bucket, inputs)

    # The same task and overrides; not a firing of the schedule: a person asked for it.
    assert request == {"taskArn": task_arn, "overrides": {"VerifyMode": "ONLY_FILES_TRANSFERRED"}}
    assert attempts["attempt"] == 1 and attempts["done"] == [] and attempts["retry"] is False
    scope = attempts["scope"]
    assert scope["kind"] == "manifest" and scope["paths"] == 2
    assert scope["retryFailuresOf"] == EARLIER
    assert scope["manifest"]["bucket"] == bucket.name and scope["manifest"]["roleArn"] == MANIFEST_ROLE
    assert bucket.text(scope["manifest"]["key"]) == "reports/q3.xlsx\nreports/q4.xlsx\n"


def test_a_task_with_its_own_filter_is_retried_by_an_includes_filter(world: World) -> None:
    bucket, inputs = FakeBucket(), Inputs()
    earlier_run_failed_on(world, bucket, inputs, changed("/reports/q3.xlsx"), includes="/reports")

    _, attempts = retry(world, bucket, inputs)

    assert attempts["scope"]["kind"] == "includes"
    assert attempts["scope"]["includes"] == "/reports/q3.xlsx"


def test_a_retry_of_a_retry_runs_with_the_first_runs_request(world: World) -> None:
    bucket, inputs = FakeBucket(), Inputs()
    task_arn = earlier_run_failed_on(world, bucket, inputs, changed("/a.txt"))
    first = inputs.inputs.pop(EARLIER)
    inputs.inputs[EARLIER] = {"retryFailuresOf": "arn:aws:states:us-east-1:123456789012:execution:x:first"}
    inputs.inputs["arn:aws:states:us-east-1:123456789012:execution:x:first"] = first

    request, _ = retry(world, bucket, inputs)

    assert request["taskArn"] == task_arn


def test_a_run_step_functions_no_longer_knows_is_refused_naming_the_field(world: World) -> None:
    bucket, inputs = FakeBucket(), Inputs()
    earlier_run_failed_on(world, bucket, inputs, changed("/a.txt"))
    inputs.inputs.clear()

    with pytest.raises(InvalidSyncRequest, match=r"^retryFailuresOf: Step Functions no longer knows run"):
        retry(world, bucket, inputs)


def test_a_run_without_a_failure_report_is_refused_before_anything_starts(world: World) -> None:
    bucket, inputs = FakeBucket(), Inputs()
    earlier_run_failed_on(world, bucket, inputs)

    with pytest.raises(InvalidSyncRequest, match=r"^retryFailuresOf: .* has no failure report"):
        retry(world, bucket, inputs)
    assert world.datasync.started(next(iter(world.datasync.tasks))) == []
    assert bucket.objects == {}
