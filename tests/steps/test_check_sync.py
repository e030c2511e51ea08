"""Check Sync, the fallback when no end event came in time: look, apply the watchdog, wait again."""

from typing import Any

import pytest

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import task_arn_of
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.ports import ServiceThrottled, ServiceUnreachable
from datasync_scheduler.workflow.await_sync_end import record_event
from datasync_scheduler.workflow.check_sync import RunDeadlineDuringOutage, TaskDeleted, check_sync
from datasync_scheduler.workflow.start_sync import start_sync
from tests.steps.conftest import WORKFLOW, World, settings, state, subset


def started(world: World) -> Any:
    """`$.taskExecution` after Start Sync, as the step returned it."""
    task = world.datasync.add_task()
    return start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings())


def test_a_transfer_without_events_is_looked_at_every_fallback_interval(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.pass_time(minutes=2)
    world.datasync.advance(execution, "TRANSFERRING")
    world.pass_time(minutes=13)
    checked = state(check_sync(run, world.ports, settings()))
    assert subset(checked, "executionArn", "status", "finished", "abandoned", "timeoutSeconds") == {
        "executionArn": execution,
        "status": "TRANSFERRING",
        "finished": False,
        "abandoned": False,
        "timeoutSeconds": 900,
    }
    assert world.datasync.cancel_calls == []
    record = world.ledger.get(execution)
    assert record is not None and "TRANSFERRING" in record.phase_times  # the check's sighting is recorded


def test_an_execution_that_ended_without_an_event_is_finished(world: World) -> None:
    run = started(world)
    world.pass_time(minutes=15)
    world.datasync.finish(str(state(run)["executionArn"]), "ERROR", error_code="OpNotSupp")
    checked = state(check_sync(run, world.ports, settings()))
    assert checked["finished"] is True and checked["status"] == "ERROR" and checked["abandoned"] is False


def test_an_agent_that_never_launches_is_cancelled_at_the_launching_limit(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "LAUNCHING")
    world.pass_time(minutes=29)
    assert state(check_sync(run, world.ports, settings()))["finished"] is False
    assert world.datasync.cancel_calls == []

    world.pass_time(minutes=1)
    checked = state(check_sync(run, world.ports, settings()))
    assert world.datasync.cancel_calls == [execution]
    assert world.datasync.describe(execution).status == "CANCELLING"
    assert checked["finished"] is False and checked["timeoutSeconds"] == 900
    assert checked["cancelledBy"] == {"limit": "phaseTimeLimit", "phase": "LAUNCHING", "limitSeconds": 1800}
    record = world.ledger.get(execution)
    assert record is not None and record.cancel_requested_at == world.now
    assert record.watchdog_note is not None and record.watchdog_note.startswith("stayed in LAUNCHING for 30 min")


def test_the_watchdog_cancels_once_and_waits_for_the_cancel_to_end(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "LAUNCHING")
    world.pass_time(hours=1)
    run = check_sync(run, world.ports, settings())  # the workflow passes each check's `$.taskExecution` on
    world.pass_time(minutes=15)
    again = state(check_sync(run, world.ports, settings()))
    assert world.datasync.cancel_calls == [execution]
    assert again["status"] == "CANCELLING" and again["finished"] is False
    assert again["cancelledBy"]["phase"] == "LAUNCHING"


def test_a_cancel_that_never_completes_is_abandoned_with_the_first_reason_kept(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "LAUNCHING")
    world.pass_time(hours=1)
    run = check_sync(run, world.ports, settings())  # cancels
    world.pass_time(minutes=15)
    run = check_sync(run, world.ports, settings())  # the first sighting of CANCELLING (no events flow)
    world.pass_time(hours=1)
    abandoned = state(check_sync(run, world.ports, settings()))
    assert abandoned["finished"] is True and abandoned["abandoned"] is True
    # The verdict reads the first limit that cancelled, as data: the phase limit, not CANCELLING's.
    assert abandoned["cancelledBy"] == {"limit": "phaseTimeLimit", "phase": "LAUNCHING", "limitSeconds": 1800}
    record = world.ledger.get(execution)
    assert record is not None and record.watchdog_note is not None
    assert record.watchdog_note.startswith("stayed in LAUNCHING")  # not the CANCELLING overrun


def test_a_run_past_its_deadline_is_cancelled_whatever_its_phase(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    began = world.now.isoformat().replace("+00:00", "Z")
    world.datasync.advance(execution, "TRANSFERRING")  # no limit on TRANSFERRING
    world.pass_time(hours=2)
    deadline = settings(RUN_DEADLINE_SECONDS="7200")
    checked = state(check_sync(run, world.ports, deadline, started_at=began))
    assert world.datasync.cancel_calls == [execution] and checked["finished"] is False
    assert checked["cancelledBy"] == {"limit": "runDeadline", "phase": "TRANSFERRING", "limitSeconds": 7200}
    record = world.ledger.get(execution)
    assert record is not None and record.watchdog_note == (
        "was still in TRANSFERRING when the run reached its deadline of 2 h"
    )


def test_a_check_before_the_deadline_wakes_just_after_it(world: World) -> None:
    run = started(world)
    began = world.now.isoformat().replace("+00:00", "Z")
    world.datasync.advance(str(state(run)["executionArn"]), "TRANSFERRING")
    world.pass_time(minutes=55)
    checked = state(check_sync(run, world.ports, settings(RUN_DEADLINE_SECONDS="3600"), started_at=began))
    assert checked["timeoutSeconds"] == 301
    assert world.datasync.cancel_calls == []


def test_while_events_flow_the_check_trusts_them_and_looks_less_often(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "TRANSFERRING")
    record_event(execution, "TRANSFERRING", world.now, world.ports)
    world.pass_time(minutes=15)
    checked = state(check_sync(run, world.ports, settings()))
    # No phase limit on TRANSFERRING and no progress to extrapolate: trusting the events, the check
    # would wait a day; the stall watchdog looks again when its limit (4 h by default) would be reached.
    assert checked["timeoutSeconds"] == 4 * 3600 + 1


def test_a_look_datasync_cannot_answer_is_tried_again_later_backing_off_and_the_next_good_look_clears_it(
    world: World, monkeypatch: Any
) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "TRANSFERRING")
    world.pass_time(minutes=15)
    run = check_sync(run, world.ports, settings())

    def unreachable(_arn: str) -> Any:
        raise ServiceThrottled(Cause.of("DescribeTaskExecution", "ThrottlingException", "Rate exceeded"), "DataSync")

    real_describe = world.datasync.describe
    monkeypatch.setattr(world.datasync, "describe", unreachable)
    first = check_sync(run, world.ports, settings())
    world.pass_time(minutes=1)
    second = check_sync(first, world.ports, settings())
    assert subset(second, "status", "finished", "timeoutSeconds") == {
        "status": "TRANSFERRING",  # the last status seen
        "finished": False,
        "timeoutSeconds": 120,  # the second failed look waits twice as long as the first
    }
    assert state(second)["unreachable"] == {
        "service": "DataSync",
        "since": state(first)["unreachable"]["since"],
        "looks": 2,
        "cause": {"where": "DescribeTaskExecution", "error": "ThrottlingException", "message": "Rate exceeded"},
    }

    monkeypatch.setattr(world.datasync, "describe", real_describe)
    world.pass_time(minutes=2)
    recovered = state(check_sync(second, world.ports, settings()))
    assert recovered["unreachable"] is None
    assert recovered["waitedOut"] == {
        **state(second)["unreachable"],
        "until": world.now.isoformat().replace("+00:00", "Z"),
    }


def test_an_outage_past_the_run_deadline_stops_the_watch_with_its_own_error(world: World, monkeypatch: Any) -> None:
    run = started(world)
    started_at = world.now.isoformat()
    world.pass_time(minutes=15)

    def unreachable(_arn: str) -> Any:
        raise ServiceUnreachable(Cause.of("DescribeTaskExecution", "InternalException", "oops"), "DataSync")

    monkeypatch.setattr(world.datasync, "describe", unreachable)
    run = check_sync(run, world.ports, settings(RUN_DEADLINE_SECONDS="3600"), started_at)
    world.pass_time(minutes=50)
    with pytest.raises(RunDeadlineDuringOutage, match="the run's deadline of 1 h passed"):
        check_sync(run, world.ports, settings(RUN_DEADLINE_SECONDS="3600"), started_at)


def test_an_execution_whose_task_was_deleted_ends_the_watch_saying_so(world: World) -> None:
    run = started(world)
    del world.datasync.tasks[task_arn_of(str(state(run)["executionArn"]))]
    world.pass_time(minutes=15)
    with pytest.raises(TaskDeleted, match="was deleted while its task execution"):
        check_sync(run, world.ports, settings())


def test_an_end_datasync_reports_while_the_ledger_is_down_finishes_the_run(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.pass_time(minutes=15)
    world.datasync.finish(execution, "SUCCESS")

    def ledger_down(*_args: Any, **_kwargs: Any) -> Any:
        raise ServiceUnreachable(Cause.of("GetItem", "InternalServerError", "oops"), "DynamoDB")

    monkeypatch.setattr(world.ledger, "record_status", ledger_down)
    monkeypatch.setattr(world.ledger, "get", ledger_down)
    checked = state(check_sync(run, world.ports, settings()))
    assert subset(checked, "status", "finished", "unreachable") == {
        "status": "SUCCESS",
        "finished": True,
        "unreachable": None,
    }


def test_a_ledger_outage_while_datasync_answers_waits_with_the_status_datasync_gave(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "TRANSFERRING")
    world.pass_time(minutes=15)

    def ledger_down(*_args: Any, **_kwargs: Any) -> Any:
        raise ServiceUnreachable(Cause.of("UpdateItem", "InternalServerError", "oops"), "DynamoDB")

    monkeypatch.setattr(world.ledger, "record_status", ledger_down)
    monkeypatch.setattr(world.ledger, "get", ledger_down)
    checked = state(check_sync(run, world.ports, settings()))
    assert subset(checked, "status", "finished", "timeoutSeconds") == {
        "status": "TRANSFERRING",
        "finished": False,
        "timeoutSeconds": 60,
    }
    assert checked["unreachable"]["service"] == "DynamoDB"


def test_a_runs_own_deadline_is_used_instead_of_the_stacks(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    began = world.now.isoformat().replace("+00:00", "Z")
    world.datasync.advance(execution, "TRANSFERRING")
    world.pass_time(minutes=30)
    # The stack allows a day; the schedule that fired this run allows half an hour.
    stack = settings(RUN_DEADLINE_SECONDS="86400")
    checked = state(check_sync(run, world.ports, stack, started_at=began, run_deadline_seconds=1800))
    assert world.datasync.cancel_calls == [execution]
    assert checked["cancelledBy"] == {"limit": "runDeadline", "phase": "TRANSFERRING", "limitSeconds": 1800}


def test_a_runs_deadline_of_zero_means_none_even_when_the_stack_has_one(world: World) -> None:
    run = started(world)
    began = world.now.isoformat().replace("+00:00", "Z")
    world.datasync.advance(str(state(run)["executionArn"]), "TRANSFERRING")
    world.pass_time(hours=3)
    stack = settings(RUN_DEADLINE_SECONDS="3600")
    checked = state(check_sync(run, world.ports, stack, started_at=began, run_deadline_seconds=0))
    assert world.datasync.cancel_calls == [] and checked["cancelledBy"] is None
