"""DataSync's contract (`DataSyncPort`), for the fake and for the adapter on the emulator's DataSync."""

import pytest
from botocore.exceptions import ClientError

from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.ports import ApiCallFailed, ExecutionNotFound, StartRefused, TaskNotFound
from datasync_scheduler.workflow.start_sync import ATTEMPT_TAG, WORKFLOW_TAG
from tests.contract.conftest import DataSyncWorld

MISSING_TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-00000000000000000"
FIRST = {WORKFLOW_TAG: "run-1", ATTEMPT_TAG: "1"}
MANIFEST = {"bucket": "failure-reports", "key": "manifests/retry-2.csv", "roleArn": "arn:aws:iam::123456789012:role/m"}


def test_a_start_queues_a_new_execution_of_the_task(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    execution = datasync.port.start(SyncRequest(taskArn=task), FIRST)
    assert execution.startswith(f"{task}/execution/exec-")
    assert datasync.port.describe(execution).status == "QUEUED"
    assert datasync.port.describe(execution).task_arn == task


def test_every_start_starts_another_execution(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    request = SyncRequest(taskArn=task)
    assert datasync.port.start(request, FIRST) != datasync.port.start(request, FIRST)


def test_a_started_execution_is_found_by_all_of_its_tags(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    execution = datasync.port.start(SyncRequest(taskArn=task), {**FIRST, "team": "archive"})
    assert datasync.port.find_started(task, FIRST) == execution  # the caller's tags, a subset of the execution's
    assert datasync.port.find_started(task, {**FIRST, ATTEMPT_TAG: "2"}) is None  # another attempt's
    assert datasync.port.find_started(task, {WORKFLOW_TAG: "run-2", ATTEMPT_TAG: "1"}) is None


def test_an_execution_that_ended_is_never_adopted(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    execution = datasync.port.start(SyncRequest(taskArn=task), FIRST)
    datasync.end(execution)
    assert datasync.port.describe(execution).status == "SUCCESS"
    assert datasync.port.find_started(task, FIRST) is None


def test_a_task_that_does_not_exist_refuses_starts_and_lookups(datasync: DataSyncWorld) -> None:
    with pytest.raises(StartRefused):
        datasync.port.start(SyncRequest(taskArn=MISSING_TASK), FIRST)
    with pytest.raises(StartRefused):
        datasync.port.find_started(MISSING_TASK, FIRST)


def test_a_second_start_waits_behind_the_running_execution(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    running = datasync.port.start(SyncRequest(taskArn=task), FIRST)
    datasync.launch(running)
    queued = datasync.port.start(SyncRequest(taskArn=task), {**FIRST, ATTEMPT_TAG: "2"})
    assert datasync.port.describe(running).status != "QUEUED"
    assert datasync.port.describe(queued).status == "QUEUED"
    assert datasync.port.task(task).status == "RUNNING"


def test_a_busy_task_without_queueing_refuses_the_start(datasync: DataSyncWorld) -> None:
    task = datasync.new_task(queueing=False)
    running = datasync.port.start(SyncRequest(taskArn=task), FIRST)
    datasync.launch(running)
    with pytest.raises(StartRefused):
        datasync.port.start(SyncRequest(taskArn=task), {**FIRST, ATTEMPT_TAG: "2"})
    datasync.end(running)
    datasync.port.start(SyncRequest(taskArn=task), {**FIRST, ATTEMPT_TAG: "2"})  # idle again: accepted


def test_an_idle_task_is_available_and_names_its_last_execution(datasync: DataSyncWorld) -> None:
    task = datasync.new_task("nightly-archive")
    assert datasync.port.task(task).status == "AVAILABLE"
    execution = datasync.port.start(SyncRequest(taskArn=task), FIRST)
    datasync.end(execution)
    facts = datasync.port.task(task)
    assert (facts.status, facts.current_execution_arn, facts.name) == ("AVAILABLE", execution, "nightly-archive")


def test_a_cancelled_execution_shows_cancelling_at_once_and_ends_in_error(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    execution = datasync.port.start(SyncRequest(taskArn=task), FIRST)
    datasync.launch(execution)
    datasync.port.cancel(execution)
    assert datasync.port.describe(execution).status == "CANCELLING"
    assert datasync.port.find_started(task, FIRST) == execution  # not ended yet
    datasync.end(execution)
    assert datasync.port.describe(execution).status == "ERROR"


def test_an_execution_that_ended_cannot_be_cancelled(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    execution = datasync.port.start(SyncRequest(taskArn=task), FIRST)
    datasync.end(execution)
    with pytest.raises(ClientError):
        datasync.port.cancel(execution)


def test_an_execution_datasync_does_not_know_cannot_be_described(datasync: DataSyncWorld) -> None:
    with pytest.raises(ExecutionNotFound) as failed:
        datasync.port.describe(f"{datasync.new_task()}/execution/exec-00000000000000000")
    assert (failed.value.cause.where, failed.value.cause.error) == ("DescribeTaskExecution", "InvalidRequestException")


def test_a_deleted_tasks_running_execution_is_known_no_more_and_nor_is_the_task(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    execution = datasync.port.start(SyncRequest(taskArn=task), FIRST)
    datasync.launch(execution)
    datasync.delete_task(task)
    with pytest.raises(ExecutionNotFound):
        datasync.port.describe(execution)
    with pytest.raises(TaskNotFound):
        datasync.port.task(task)


def test_a_task_name_is_decoration_and_never_fails(datasync: DataSyncWorld) -> None:
    assert datasync.port.task_name(datasync.new_task("nightly-archive")) == "nightly-archive"
    assert datasync.port.task_name(datasync.new_task(None)) is None
    assert datasync.port.task_name(MISSING_TASK) is None


def test_a_task_that_does_not_exist_cannot_be_described(datasync: DataSyncWorld) -> None:
    with pytest.raises(ApiCallFailed) as failed:
        datasync.port.task(MISSING_TASK)
    assert (failed.value.cause.where, failed.value.cause.error) == ("DescribeTask", "InvalidRequestException")


def test_the_tasks_own_filter_is_what_describe_task_reports(datasync: DataSyncWorld) -> None:
    task = datasync.new_task(includes="/photos|/docs")
    assert datasync.port.task(task).includes == "/photos|/docs"


def test_an_includes_scope_replaces_the_filter_for_that_execution_only(datasync: DataSyncWorld) -> None:
    task = datasync.new_task(includes="/photos|/docs")
    scope = {"kind": "includes", "includes": "/photos/broken.jpg"}
    retry = datasync.port.start(SyncRequest(taskArn=task), FIRST, scope)
    assert datasync.includes_of(retry) == "/photos/broken.jpg"
    datasync.end(retry)
    plain = datasync.port.start(SyncRequest(taskArn=task), {**FIRST, ATTEMPT_TAG: "2"})
    assert datasync.includes_of(plain) == "/photos|/docs"


def test_a_manifest_scope_names_the_manifest(datasync: DataSyncWorld) -> None:
    task = datasync.new_task()
    manifest = dict(MANIFEST)
    execution = datasync.port.start(SyncRequest(taskArn=task), FIRST, {"kind": "manifest", "manifest": manifest})
    assert datasync.manifest_of(execution) == manifest


def test_a_manifest_on_a_task_with_filters_is_refused(datasync: DataSyncWorld) -> None:
    task = datasync.new_task(includes="/photos")
    manifest = dict(MANIFEST)
    with pytest.raises(StartRefused):
        datasync.port.start(SyncRequest(taskArn=task), FIRST, {"kind": "manifest", "manifest": manifest})
