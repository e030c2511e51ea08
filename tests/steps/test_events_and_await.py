"""Await End and Execution Events: DataSync's events and the workflow's wait meet in the ledger, and
the waiting workflow is resumed exactly once, whichever comes first and however often events repeat."""

from datetime import timedelta

import pytest

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.ports import ServiceUnreachable
from datasync_scheduler.workflow.await_sync_end import await_end, record_event
from datasync_scheduler.workflow.start_sync import start_sync
from tests.steps.conftest import WORKFLOW, World, settings, state


def started(world: World) -> str:
    task = world.datasync.add_task()
    return str(state(start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings()))["executionArn"])


def test_a_phase_event_is_recorded_at_datasyncs_time_and_resumes_nothing(world: World) -> None:
    execution = started(world)
    token = world.callbacks.issue("token-1")
    await_end(token, execution, world.ports)
    at = world.now + timedelta(minutes=3, seconds=20)
    outcome = record_event(execution, "TRANSFERRING", at, world.ports)
    assert outcome == {"executionArn": execution, "status": "TRANSFERRING", "recorded": True, "resumed": False}
    record = world.ledger.get(execution)
    assert record is not None and record.phase_times["TRANSFERRING"] == at
    assert world.ledger.token_of(execution) == token  # still parked for the end


def test_a_status_that_is_not_a_datasync_word_is_ignored(world: World) -> None:
    execution = started(world)
    outcome = record_event(execution, "success; rm -rf /", world.now, world.ports)
    assert outcome["recorded"] is False and outcome["resumed"] is False
    record = world.ledger.get(execution)
    assert record is not None and record.event_statuses == frozenset()


def test_the_end_event_resumes_the_waiting_workflow_once_even_when_delivered_twice(world: World) -> None:
    execution = started(world)
    await_end(world.callbacks.issue("token-1"), execution, world.ports)
    world.datasync.finish(execution)
    first = record_event(execution, "SUCCESS", world.now, world.ports)
    duplicate = record_event(execution, "SUCCESS", world.now, world.ports)
    assert (first["resumed"], duplicate["resumed"]) == (True, False)
    assert world.callbacks.resumed == [("token-1", "SUCCESS")]


def test_events_in_any_order_leave_the_end_as_the_current_status_and_resume_once(world: World) -> None:
    execution = started(world)
    await_end(world.callbacks.issue("token-1"), execution, world.ports)
    for status, minute in (("ERROR", 40), ("LAUNCHING", 1), ("TRANSFERRING", 5), ("ERROR", 40)):
        record_event(execution, status, world.now + timedelta(minutes=minute), world.ports)
    record = world.ledger.get(execution)
    assert record is not None and record.current_status == "ERROR"
    assert world.callbacks.resumed == [("token-1", "ERROR")]


def test_an_end_that_came_before_the_token_is_seen_when_the_token_is_parked(world: World) -> None:
    execution = started(world)
    world.datasync.finish(execution, at=world.now + timedelta(minutes=12))
    early = record_event(execution, "SUCCESS", world.now + timedelta(minutes=12), world.ports)
    assert early["resumed"] is False  # no workflow waits yet

    awaited = state(await_end(world.callbacks.issue("token-1"), execution, world.ports))
    assert awaited == {"executionArn": execution, "status": "SUCCESS", "resumed": True}
    assert world.callbacks.resumed == [("token-1", "SUCCESS")]
    assert world.ledger.token_of(execution) is None


def test_a_running_execution_leaves_the_token_parked(world: World) -> None:
    execution = started(world)
    world.datasync.advance(execution, "PREPARING")
    awaited = state(await_end(world.callbacks.issue("token-1"), execution, world.ports))
    assert awaited["resumed"] is False and awaited["status"] == "PREPARING"
    assert world.ledger.token_of(execution) == "token-1"
    record = world.ledger.get(execution)
    assert record is not None and "PREPARING" in record.phase_times  # what the look saw is recorded


def test_an_end_event_whose_workflow_moved_on_is_recorded_without_error(world: World) -> None:
    execution = started(world)
    token = world.callbacks.issue("token-1")
    await_end(token, execution, world.ports)
    world.callbacks.expire(token)  # the wait timed out: the fallback check took over
    outcome = record_event(execution, "SUCCESS", world.now, world.ports)
    assert outcome["recorded"] is True and outcome["resumed"] is False
    assert world.callbacks.refused == [token]


def test_a_resume_that_failed_puts_the_token_back_for_the_next_event(world: World) -> None:
    execution = started(world)
    await_end(world.callbacks.issue("token-1"), execution, world.ports)
    world.callbacks.failures.append(RuntimeError("Step Functions is unavailable"))
    with pytest.raises(RuntimeError, match="unavailable"):
        record_event(execution, "SUCCESS", world.now, world.ports)
    assert world.ledger.token_of(execution) == "token-1"

    retried = record_event(execution, "SUCCESS", world.now, world.ports)  # EventBridge retries the target
    assert retried["resumed"] is True
    assert world.callbacks.resumed == [("token-1", "SUCCESS")]


def test_an_await_whose_look_datasync_cannot_answer_still_parks_the_token_for_the_end_event(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    execution = started(world)

    def unreachable(_arn: str) -> object:
        raise ServiceUnreachable(Cause.of("DescribeTaskExecution", "InternalException", "oops"), "DataSync")

    real_describe = world.datasync.describe
    monkeypatch.setattr(world.datasync, "describe", unreachable)
    token = world.callbacks.issue("token-1")
    awaited = state(await_end(token, execution, world.ports))
    assert awaited == {"executionArn": execution, "status": None, "resumed": False}
    assert world.ledger.token_of(execution) == token

    monkeypatch.setattr(world.datasync, "describe", real_describe)
    world.datasync.finish(execution, "SUCCESS")
    assert record_event(execution, "SUCCESS", world.now, world.ports)["resumed"] is True
