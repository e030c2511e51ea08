"""Check Sync, the fallback when no end event came in time: look, apply the watchdog, wait again."""

from typing import Any

from datasync_scheduler import steps
from datasync_scheduler.domain.sync_request import SyncRequest
from tests.steps.conftest import WORKFLOW, World, settings, state, subset


def started(world: World) -> Any:
    """`$.run` after Start Sync, as the step returned it."""
    task = world.datasync.add_task()
    return steps.start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings())


def test_a_transfer_without_events_is_looked_at_every_fallback_interval(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.pass_time(minutes=2)
    world.datasync.advance(execution, "TRANSFERRING")
    world.pass_time(minutes=13)
    checked = state(steps.check_sync(run, world.ports, settings()))
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
    checked = state(steps.check_sync(run, world.ports, settings()))
    assert checked["finished"] is True and checked["status"] == "ERROR" and checked["abandoned"] is False


def test_an_agent_that_never_launches_is_cancelled_at_the_launching_limit(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "LAUNCHING")
    world.pass_time(minutes=29)
    assert state(steps.check_sync(run, world.ports, settings()))["finished"] is False
    assert world.datasync.cancel_calls == []

    world.pass_time(minutes=1)
    checked = state(steps.check_sync(run, world.ports, settings()))
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
    run = steps.check_sync(run, world.ports, settings())  # the workflow passes each check's `$.run` on
    world.pass_time(minutes=15)
    again = state(steps.check_sync(run, world.ports, settings()))
    assert world.datasync.cancel_calls == [execution]
    assert again["status"] == "CANCELLING" and again["finished"] is False
    assert again["cancelledBy"]["phase"] == "LAUNCHING"


def test_a_cancel_that_never_completes_is_abandoned_with_the_first_reason_kept(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "LAUNCHING")
    world.pass_time(hours=1)
    run = steps.check_sync(run, world.ports, settings())  # cancels
    world.pass_time(minutes=15)
    run = steps.check_sync(run, world.ports, settings())  # the first sighting of CANCELLING (no events flow)
    world.pass_time(hours=1)
    abandoned = state(steps.check_sync(run, world.ports, settings()))
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
    checked = state(steps.check_sync(run, world.ports, deadline, started_at=began))
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
    checked = state(steps.check_sync(run, world.ports, settings(RUN_DEADLINE_SECONDS="3600"), started_at=began))
    assert checked["timeoutSeconds"] == 301
    assert world.datasync.cancel_calls == []


def test_while_events_flow_the_check_trusts_them_and_looks_less_often(world: World) -> None:
    run = started(world)
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "TRANSFERRING")
    steps.record_event(execution, "TRANSFERRING", world.now, world.ports)
    world.pass_time(minutes=15)
    checked = state(steps.check_sync(run, world.ports, settings()))
    # No phase limit on TRANSFERRING and no progress to extrapolate: trusting the events, the check
    # would wait a day; the stall watchdog looks again when its limit (4 h by default) would be reached.
    assert checked["timeoutSeconds"] == 4 * 3600 + 1
