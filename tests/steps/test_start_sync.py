"""Start Sync: one DataSync execution per attempt, whatever is retried, and what a busy task means."""

import pytest

from datasync_scheduler.adapters.datasync import DataSyncUnavailable
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.ports import ServiceUnreachable, StartRefused
from datasync_scheduler.workflow.start_sync import ATTEMPT_TAG, WORKFLOW_TAG, TaskBusy, start_sync
from tests.steps.conftest import WORKFLOW, World, settings, state, subset


def test_a_start_tags_the_execution_and_opens_its_record(world: World) -> None:
    task = world.datasync.add_task()
    run = state(start_sync(SyncRequest(taskArn=task, excludes="*.tmp"), WORKFLOW, world.ports, settings()))
    assert subset(run, "status", "finished", "abandoned", "timeoutSeconds", "adopted") == {
        "status": "QUEUED",
        "finished": False,
        "abandoned": False,
        "timeoutSeconds": 900,  # the fallback interval: QUEUED's limit is six hours away
        "adopted": False,
    }
    (execution,) = world.datasync.started(task)
    assert execution.arn == run["executionArn"]
    assert execution.tags == {WORKFLOW_TAG: WORKFLOW, ATTEMPT_TAG: "1"}
    assert execution.request.excludes == "*.tmp"
    record = world.ledger.get(execution.arn)
    assert record is not None
    assert (record.workflow_execution, record.attempt, record.started_at) == (WORKFLOW, 1, world.now)
    assert record.phase_times == {"QUEUED": world.now}


def test_a_duplicate_start_of_the_same_attempt_does_not_start_datasync_twice(world: World) -> None:
    task = world.datasync.add_task()
    first = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings()))
    second = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings()))
    assert second == {**first, "adopted": True}
    assert len(world.datasync.started(task)) == 1


def test_a_start_whose_response_was_lost_is_adopted_by_the_retry(world: World) -> None:
    task = world.datasync.add_task()
    world.datasync.lost_start_responses = 1
    with pytest.raises(DataSyncUnavailable):
        start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings())
    (started,) = world.datasync.started(task)
    assert world.ledger.get(started.arn) is None  # the lost start opened no record

    retried = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings()))
    assert retried["executionArn"] == started.arn and retried["adopted"] is True
    assert len(world.datasync.started(task)) == 1
    record = world.ledger.get(started.arn)
    assert record is not None and record.workflow_execution == WORKFLOW


def test_the_next_attempt_starts_a_new_execution_tagged_with_its_number(world: World) -> None:
    task = world.datasync.add_task()
    first = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings()))
    world.datasync.finish(first["executionArn"], "ERROR")
    second = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(), attempt=2))
    assert second["executionArn"] != first["executionArn"] and second["adopted"] is False
    assert world.datasync.executions[second["executionArn"]].tags[ATTEMPT_TAG] == "2"
    record = world.ledger.get(second["executionArn"])
    assert record is not None and record.attempt == 2


def test_a_retry_runs_on_the_scope_its_plan_chose(world: World) -> None:
    task = world.datasync.add_task(includes="/photos|/docs")
    scope = {"kind": "includes", "includes": "/photos/broken.jpg", "paths": ["/photos/broken.jpg"]}
    run = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(), attempt=2, scope=scope))
    assert world.datasync.executions[run["executionArn"]].includes == "/photos/broken.jpg"


def test_a_workflow_name_datasync_would_refuse_as_a_tag_is_made_safe(world: World) -> None:
    task = world.datasync.add_task()
    name = "arn:aws:states:us-east-1:123456789012:execution:wf:nightly#1 (retry!)" + "x" * 300
    run = state(start_sync(SyncRequest(taskArn=task), name, world.ports, settings()))
    tag = world.datasync.executions[run["executionArn"]].tags[WORKFLOW_TAG]
    assert len(tag) == 256 and "#" not in tag and "(" not in tag and "!" not in tag


def _busy_task(world: World, *, queueing: bool = True) -> tuple[str, str]:
    """A task whose nightly run (another workflow's) is transferring."""
    task = world.datasync.add_task(queueing=queueing)
    other = world.datasync.start(SyncRequest(taskArn=task), {WORKFLOW_TAG: "someone-else"})
    world.datasync.advance(other, "TRANSFERRING")
    return task, other


def test_with_when_task_busy_wait_a_busy_task_is_waited_for_and_nothing_starts(world: World) -> None:
    task, other = _busy_task(world)
    with pytest.raises(TaskBusy, match=f"RUNNING with {other}"):
        start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="wait"))
    assert len(world.datasync.started(task)) == 1


def test_with_when_task_busy_fail_a_busy_task_refuses_the_run(world: World) -> None:
    task, _ = _busy_task(world)
    with pytest.raises(StartRefused, match="WhenTaskBusy is fail"):
        start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="fail"))
    assert len(world.datasync.started(task)) == 1


def test_with_when_task_busy_queue_the_start_waits_in_datasyncs_queue(world: World) -> None:
    task, _ = _busy_task(world)
    run = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="queue")))
    assert world.datasync.describe(run["executionArn"]).status == "QUEUED"
    assert len(world.datasync.started(task)) == 2


def test_a_retried_start_adopts_its_own_execution_even_when_the_task_looks_busy(world: World) -> None:
    task = world.datasync.add_task()
    first = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="fail")))
    world.datasync.advance(first["executionArn"], "LAUNCHING")  # the task is now RUNNING: with our execution
    again = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="fail")))
    assert again["executionArn"] == first["executionArn"] and again["adopted"] is True


@pytest.mark.parametrize("status", ["TRANSFERRING", "QUEUED"])
def test_a_start_refused_while_the_task_is_busy_waits_for_the_running_execution(world: World, status: str) -> None:
    """WhenTaskBusy=queue and DataSync refused to queue: docs/aws-facts.md#datasync-manifests-and-retries."""
    task = world.datasync.add_task(queueing=False)
    other = world.datasync.start(SyncRequest(taskArn=task), {WORKFLOW_TAG: "someone-else"})
    if status != "QUEUED":
        world.datasync.advance(other, status)
    with pytest.raises(TaskBusy, match=f"did not queue the start behind {other}"):
        start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="queue"))


def test_a_start_refused_while_the_task_is_idle_is_reported_as_refused(world: World) -> None:
    task = world.datasync.add_task()
    world.datasync.failing_starts.append(StartRefused("The task's source location is not reachable."))
    with pytest.raises(StartRefused, match="not reachable"):
        start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="queue"))
    assert world.datasync.started(task) == []


def test_a_task_that_does_not_exist_is_refused_before_anything_starts(world: World) -> None:
    missing = "arn:aws:datasync:us-east-1:123456789012:task/task-00000000000000000"
    with pytest.raises(StartRefused):
        start_sync(SyncRequest(taskArn=missing), WORKFLOW, world.ports, settings())
    assert world.datasync.executions == {}


def test_a_start_the_run_ledger_cannot_record_still_returns_the_started_execution(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Failing after DataSync started the execution would make a retry, after the outage, start a
    second one once the first has ended (only unfinished executions are adopted)."""

    def ledger_down(*_args: object, **_kwargs: object) -> None:
        raise ServiceUnreachable(Cause.of("UpdateItem", "ProvisionedThroughputExceededException", "slow"), "DynamoDB")

    monkeypatch.setattr(world.ledger, "register_start", ledger_down)
    task = world.datasync.add_task()
    run = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings()))
    assert run["status"] == "QUEUED" and run["adopted"] is False
    assert [execution.arn for execution in world.datasync.started(task)] == [run["executionArn"]]
