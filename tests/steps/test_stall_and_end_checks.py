"""Check Sync's answers to what DataSync says: counters that stop moving, statuses it does not know,
and an end DataSync's event announced before DescribeTaskExecution shows it."""

from dataclasses import replace
from typing import Any

import pytest

from datasync_scheduler.composition.settings import ConfigurationError
from datasync_scheduler.workflow.check_sync import check_sync, newly_stalled
from datasync_scheduler.workflow.looks import as_confirmed
from datasync_scheduler.workflow.state.sync import TaskExecutionState
from emulator.template import parameter_values
from tests.steps.conftest import World, settings, state
from tests.steps.test_check_sync import started
from tests.template_environment import TEMPLATE

HOUR = 3600
REPORT = {"STALL_ACTION": "report"}


def transferring(world: World, status: str = "TRANSFERRING") -> tuple[TaskExecutionState, str]:
    """A run whose execution entered `status` and that the check has looked at once."""
    run = started(world)
    execution = run.execution_arn
    world.datasync.advance(execution, status)
    world.pass_time(minutes=15)
    return check_sync(run, world.ports, settings()), execution


def test_a_transfer_whose_counters_stand_still_for_the_stall_limit_is_cancelled_and_says_why(world: World) -> None:
    run, execution = transferring(world)
    world.pass_time(hours=3, minutes=59)
    run = check_sync(run, world.ports, settings())
    assert world.datasync.cancel_calls == []
    assert run.timeout_seconds == 61  # the next look is when the limit is reached

    world.pass_time(minutes=1)
    checked = state(check_sync(run, world.ports, settings()))
    assert world.datasync.cancel_calls == [execution]
    assert checked["cancelledBy"] == {"limit": "stall", "phase": "TRANSFERRING", "limitSeconds": 4 * HOUR}
    record = world.ledger.get(execution)
    assert record is not None and record.watchdog_note is not None
    assert record.watchdog_note.startswith("made no progress in TRANSFERRING for 4 h (stall limit 4 h)")


def test_a_transfer_whose_counters_move_is_never_stalled_however_long_it_takes(world: World) -> None:
    run, execution = transferring(world)
    for hour in range(1, 25):
        world.pass_time(hours=3)
        world.datasync.executions[execution].bytes_transferred = hour * 1_000_000
        run = check_sync(run, world.ports, settings())
    assert world.datasync.cancel_calls == []
    assert run.progress is not None and run.progress.counters["bytesTransferred"] == 24_000_000
    assert run.progress.since == "2026-11-24T23:15:00Z"  # the last check: that is when they last moved


def test_a_stall_reported_without_cancelling_is_counted_once_per_stall(world: World) -> None:
    run, execution = transferring(world)
    world.pass_time(hours=4)
    first = check_sync(run, world.ports, settings(**REPORT))
    assert newly_stalled(run, first)
    assert first.stalled is not None and first.stalled.phase == "TRANSFERRING"
    # Since the counters last moved; the looks go on every fallback interval, as before the stall.
    assert first.stalled.since == "2026-11-21T23:15:00Z" and first.timeout_seconds == 900
    assert world.datasync.cancel_calls == [] and not first.finished

    world.pass_time(hours=4)
    second = check_sync(first, world.ports, settings(**REPORT))
    assert not newly_stalled(first, second)  # the same stall: not counted again

    world.datasync.executions[execution].bytes_transferred = 5  # it moves, then stops again
    world.pass_time(hours=1)
    moving = check_sync(second, world.ports, settings(**REPORT))
    world.pass_time(hours=4)
    again = check_sync(moving, world.ports, settings(**REPORT))
    assert newly_stalled(moving, again)  # a new stall: counted


def test_a_status_datasync_adds_is_watched_and_named_if_it_outlasts_the_stall_limit(world: World) -> None:
    run, execution = transferring(world, "PAUSED")
    assert run.status == "PAUSED" and not run.finished  # not an end, and no crash
    world.pass_time(hours=4)
    check_sync(run, world.ports, settings())
    record = world.ledger.get(execution)
    assert world.datasync.cancel_calls == [execution]
    assert record is not None and record.watchdog_note is not None
    assert record.watchdog_note.startswith(
        "made no progress in PAUSED (a status DataSync reports that this scheduler does not know) for 4 h"
    )


def resumed(run: TaskExecutionState, status: str) -> TaskExecutionState:
    """`$.taskExecution` after Await Sync End was resumed: its ResultPath writes the status the token carried."""
    return run.model_copy(update={"status": status})


def test_an_end_the_event_announced_is_looked_at_again_until_describe_agrees(world: World) -> None:
    run, execution = transferring(world, "VERIFYING")
    checked = check_sync(resumed(run, "SUCCESS"), world.ports, settings())
    assert not checked.finished and checked.status == "VERIFYING" and checked.timeout_seconds == 30
    assert checked.end_announced is not None and checked.end_announced.looks == 1
    assert world.datasync.cancel_calls == []

    world.pass_time(seconds=30)
    world.datasync.finish(execution, "SUCCESS")
    agreed = check_sync(checked, world.ports, settings())
    assert agreed.finished and agreed.status == "SUCCESS" and agreed.end_announced is None


def test_an_end_describe_never_confirms_is_given_up_after_bounded_looks(world: World) -> None:
    run, _ = transferring(world, "VERIFYING")
    run = resumed(run, "SUCCESS")
    waits: list[int] = []
    while not run.finished:
        run = check_sync(run, world.ports, settings())
        if not run.finished:
            waits.append(run.timeout_seconds)
            world.pass_time(seconds=run.timeout_seconds)
    assert waits == [30, 60, 120, 240, 480]
    assert run.status == "VERIFYING" and run.end_announced is not None and run.end_announced.looks == 6


def test_the_stall_watchdog_cannot_be_switched_off(world: Any) -> None:
    # The template's StallMinutes bounds are CloudFormation's to enforce: a stack with a watchdog of
    # less than 10 minutes, more than a week, or no number is refused before anything is created.
    for minutes in ("0", "9", "10081", "soon"):
        with pytest.raises(ValueError, match="StallMinutes"):
            parameter_values(TEMPLATE, {"StallMinutes": minutes})
    assert parameter_values(TEMPLATE, {"StallMinutes": "10"})["StallMinutes"] == "10"
    # And a function given no number at all stops, naming the variable.
    with pytest.raises(ConfigurationError, match="STALL_MINUTES='soon'"):
        settings(STALL_MINUTES="soon")


def test_an_end_the_check_confirmed_stays_the_end_when_a_later_describe_answers_from_behind(world: World) -> None:
    run, execution = transferring(world, "VERIFYING")
    world.datasync.finish(execution, "SUCCESS")
    confirmed = check_sync(resumed(run, "SUCCESS"), world.ports, settings())
    assert confirmed.finished and confirmed.status == "SUCCESS"
    # Report Run's own DescribeTaskExecution reaches a replica that still says VERIFYING.
    behind = replace(world.datasync.describe(execution), status="VERIFYING")
    assert as_confirmed(behind, confirmed).status == "SUCCESS"
    # Without a confirmed end, Describe's answer stands.
    assert as_confirmed(behind, run).status == "VERIFYING"
