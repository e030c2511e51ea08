"""How long a run waits out an outage, and which of its limits ends the wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.outage import MAX_OUTAGE_SECONDS, Outage, decide_outage, gave_up_reason
from datasync_scheduler.domain.watchdog import PhaseLimits

T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
THROTTLED = Cause.of("DescribeTaskExecution", "ThrottlingException", "Rate exceeded")
LIMITS = PhaseLimits.parse("LAUNCHING=1800,TRANSFERRING=0")


def outage(looks: int, since: datetime = T0) -> Outage:
    return Outage(service="DataSync", since=since, looks=looks, cause=THROTTLED)


def decide(looks: int, now: datetime, *, status: str = "TRANSFERRING", entered: datetime | None = None, deadline=None):  # type: ignore[no-untyped-def]
    return decide_outage(
        outage(looks),
        now=now,
        status=status,
        entered_at=entered,
        limits=LIMITS,
        fallback_seconds=900,
        deadline=deadline,
    )


def test_each_failed_look_waits_twice_as_long_as_the_last_up_to_the_fallback_interval() -> None:
    waits = [decide(looks, T0 + timedelta(minutes=looks)).wait_seconds for looks in range(1, 8)]
    assert waits == [60, 120, 240, 480, 900, 900, 900]


def test_the_run_deadline_ends_the_wait_and_the_last_wait_stops_at_it() -> None:
    deadline = (T0 + timedelta(hours=1), 6 * 3600)
    assert decide(6, T0 + timedelta(minutes=55), deadline=deadline).wait_seconds == 301
    decision = decide(7, T0 + timedelta(hours=1), deadline=deadline)
    assert (decision.action, decision.limit) == ("give_up", "Outage.RunDeadline")
    assert decision.limit_said == "the run's deadline of 6 h"


def test_the_limit_of_the_phase_last_seen_counts_from_when_the_execution_entered_it() -> None:
    entered = T0 - timedelta(minutes=25)
    decision = decide(3, T0 + timedelta(minutes=5), status="LAUNCHING", entered=entered)
    assert (decision.action, decision.limit) == ("give_up", "Outage.PhaseTimeLimit")
    assert decision.limit_said == "the LAUNCHING time limit of 30 min"


def test_without_a_deadline_or_a_phase_limit_a_day_of_outage_ends_the_wait() -> None:
    assert decide(50, T0 + timedelta(seconds=MAX_OUTAGE_SECONDS - 1)).action == "wait"
    decision = decide(51, T0 + timedelta(seconds=MAX_OUTAGE_SECONDS))
    assert (decision.action, decision.limit) == ("give_up", "Outage.TooLong")


def test_the_earliest_limit_decides() -> None:
    deadline = (T0 + timedelta(minutes=20), 3600)
    decision = decide(3, T0 + timedelta(minutes=30), status="LAUNCHING", entered=T0, deadline=deadline)
    assert decision.limit == "Outage.RunDeadline"


def test_the_reason_names_the_service_how_long_the_error_the_limit_and_what_is_unknown() -> None:
    decision = decide(9, T0 + timedelta(hours=2), deadline=(T0 + timedelta(hours=1), 3600))
    reason = gave_up_reason(
        outage(9), decision, now=T0 + timedelta(hours=2), execution_arn="arn:…/exec-1", status="TRANSFERRING"
    )
    assert reason == (
        "DataSync could not be reached for 2 h (9 look(s) failed; the last: DescribeTaskExecution failed with "
        "ThrottlingException: Rate exceeded), and the run's deadline of 1 h passed, so the run stopped watching "
        "task execution arn:…/exec-1 (last seen TRANSFERRING). It may still be running: look at it in the "
        "DataSync console."
    )
