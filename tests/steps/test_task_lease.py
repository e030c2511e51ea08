"""One start per task at a time: the busy check and the start are one step, through the task's lease."""

from datetime import timedelta

import pytest

from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.domain.task_lease import LEASE_MARGIN, request_digest
from datasync_scheduler.ports import StartRefused
from datasync_scheduler.workflow.check_sync import check_sync
from datasync_scheduler.workflow.start_sync import TaskBusy, start_sync
from tests.steps.conftest import WORKFLOW, World, settings, state

OTHER_RUN = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow:someone-else"


def _held_by_another_run(world: World, request: SyncRequest | None = None) -> str:
    """The other run took the task's lease a moment ago and has not started DataSync yet: the
    task itself still looks idle, which is exactly when a busy check alone lets both through."""
    task = world.datasync.add_task()
    other = request.model_copy(update={"taskArn": task}) if request else SyncRequest(taskArn=task)
    world.lease.acquire(task, OTHER_RUN, world.now, world.now + timedelta(hours=2), _digest(other))
    return task


def _digest(request: SyncRequest) -> str:
    return request_digest(request.model_dump(mode="json", exclude_none=True))


def test_a_start_takes_the_tasks_lease_for_its_run_until_its_first_look_and_the_margin(world: World) -> None:
    task = world.datasync.add_task()
    run = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings()))

    holder = world.lease.holder(task)
    assert holder is not None and holder.owner == WORKFLOW
    assert holder.expires_at == world.now + timedelta(seconds=run["timeoutSeconds"]) + LEASE_MARGIN


def test_with_fail_a_task_another_run_holds_refuses_the_run_naming_that_run(world: World) -> None:
    task = _held_by_another_run(world)
    with pytest.raises(StartRefused, match=f"another run of the scheduler holds the task: {OTHER_RUN}"):
        start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="fail"))
    assert world.datasync.started(task) == []


def test_with_wait_a_task_another_run_holds_is_waited_for(world: World) -> None:
    task = _held_by_another_run(world)
    with pytest.raises(TaskBusy, match=OTHER_RUN):
        start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="wait"))
    assert world.datasync.started(task) == []

    world.lease.release(task, OTHER_RUN)  # the other run ended
    run = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="wait")))
    assert [execution.arn for execution in world.datasync.started(task)] == [run["executionArn"]]


def test_with_queue_the_same_request_as_the_holders_waits_for_it_instead_of_running_twice(world: World) -> None:
    task = _held_by_another_run(world)
    with pytest.raises(TaskBusy, match=OTHER_RUN):
        start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="queue"))
    assert world.datasync.started(task) == []


def test_with_queue_a_different_request_is_queued_by_datasync_behind_the_holders(world: World) -> None:
    task = _held_by_another_run(world)
    run = state(
        start_sync(SyncRequest(taskArn=task, excludes="*.tmp"), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="queue"))
    )
    assert [execution.arn for execution in world.datasync.started(task)] == [run["executionArn"]]
    holder = world.lease.holder(task)
    assert holder is not None and holder.owner == OTHER_RUN  # the lease stays the first run's


def test_a_retried_start_of_the_same_run_takes_its_own_lease_again(world: World) -> None:
    task = world.datasync.add_task()
    first = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="fail")))
    world.pass_time(seconds=30)
    again = state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings(WHEN_TASK_BUSY="fail")))

    assert again["executionArn"] == first["executionArn"] and again["adopted"] is True
    holder = world.lease.holder(task)
    assert holder is not None and holder.owner == WORKFLOW
    assert holder.expires_at == world.now + timedelta(seconds=again["timeoutSeconds"]) + LEASE_MARGIN


def test_every_check_of_a_live_run_renews_its_lease_through_its_next_wait(world: World) -> None:
    task = world.datasync.add_task()
    run = start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings())
    execution = str(state(run)["executionArn"])
    world.pass_time(minutes=2)
    world.datasync.advance(execution, "TRANSFERRING")
    for _ in range(8):  # two hours of checks: past the first lease's end
        world.pass_time(minutes=15)
        checked = state(check_sync(run, world.ports, settings(), workflow_execution=WORKFLOW))

    holder = world.lease.holder(task)
    assert holder is not None and holder.owner == WORKFLOW
    assert holder.expires_at == world.now + timedelta(seconds=checked["timeoutSeconds"]) + LEASE_MARGIN
    assert world.lease.acquire(task, OTHER_RUN, world.now, world.now + LEASE_MARGIN, "") is not None
