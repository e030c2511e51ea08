"""The fallback check: when it looks again, and when it cancels a stalled execution."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasync_scheduler.domain.watchdog import (
    CONFIRM_WAITS_SECONDS,
    DEFAULT_LIMITS,
    MAX_TRUSTING_WAIT_SECONDS,
    MIN_WAIT_SECONDS,
    PhaseLimits,
    ProgressMark,
    Stall,
    StallLimit,
    WatchBudget,
    WatchLimit,
    confirm_end,
    decide_check,
    max_looks,
    next_mark,
    wait_seconds,
)

LIMITS = PhaseLimits.parse(DEFAULT_LIMITS)
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


def check(status: str, minutes_in_phase: float, *, cancel_requested: bool = False, **kwargs: object):  # type: ignore[no-untyped-def]
    return decide_check(
        status=status,
        entered_at=T0,
        now=T0 + timedelta(minutes=minutes_in_phase),
        limits=LIMITS,
        fallback_seconds=900,
        cancel_requested=cancel_requested,
        **kwargs,  # type: ignore[arg-type]
    )


def test_the_default_limits_read_as_documented() -> None:
    assert dict(LIMITS.seconds) == {"QUEUED": 21600, "LAUNCHING": 1800, "PREPARING": 43200, "CANCELLING": 3600}
    assert LIMITS.limit_for("TRANSFERRING") is None


@pytest.mark.parametrize(
    ("text", "problem"),
    [("LAUNCH=60", "expected PHASE=SECONDS"), ("LAUNCHING=soon", "whole number"), ("LAUNCHING", "PHASE=SECONDS")],
)
def test_bad_phase_limits_are_refused_with_the_offending_item(text: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        PhaseLimits.parse(text)


def test_an_ended_execution_finishes_the_wait() -> None:
    assert check("SUCCESS", 5).action == "finished"
    assert check("ERROR", 5).action == "finished"


def test_an_agent_offline_for_longer_than_the_launching_limit_is_cancelled_with_a_reason() -> None:
    decision = check("LAUNCHING", 31)
    assert decision.action == "cancel"
    assert decision.overrun is not None
    assert decision.overrun.reason == (
        "stayed in LAUNCHING for 31 min (limit 30 min): the agent is probably offline or cannot reach AWS"
    )


def test_a_cancel_is_requested_only_once() -> None:
    assert check("LAUNCHING", 45, cancel_requested=True).action == "wait"


def test_a_cancel_that_never_completes_is_given_up_on() -> None:
    decision = check("CANCELLING", 61, cancel_requested=True)
    assert decision.action == "abandon"
    assert decision.overrun is not None and decision.overrun.phase == "CANCELLING"


def test_cancelling_and_unknown_statuses_keep_the_workflow_waiting() -> None:
    assert check("CANCELLING", 5).action == "wait"
    assert check("LAUNCHED", 500).action == "wait"  # a console-only status the API does not list


def test_without_events_the_check_looks_every_fallback_interval() -> None:
    assert check("TRANSFERRING", 60).wait_seconds == 900


def test_the_check_wakes_right_after_a_phase_limit_instead_of_a_whole_interval_later() -> None:
    assert check("LAUNCHING", 20).wait_seconds == 10 * 60 + 1


def test_while_events_flow_the_check_waits_for_the_expected_end_of_the_phase() -> None:
    decision = check("TRANSFERRING", 60, events_flowing=True, remaining_seconds=7 * 3600)
    assert decision.wait_seconds == 7 * 3600 + 900


def test_while_events_flow_the_safety_net_still_looks_at_least_daily() -> None:
    assert check("TRANSFERRING", 60, events_flowing=True).wait_seconds == MAX_TRUSTING_WAIT_SECONDS
    assert check("TRANSFERRING", 60, events_flowing=True, remaining_seconds=9e9).wait_seconds == (
        MAX_TRUSTING_WAIT_SECONDS
    )


@given(
    status=st.sampled_from(["QUEUED", "LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING", "CANCELLING", "NEW"]),
    elapsed=st.integers(min_value=0, max_value=200_000),
    fallback=st.integers(min_value=60, max_value=86_400),
    events_flowing=st.booleans(),
    remaining=st.one_of(st.none(), st.floats(min_value=0, max_value=1e7)),
)
def test_a_wait_is_bounded_by_the_phase_limit_and_never_trivially_short(
    status: str, elapsed: int, fallback: int, events_flowing: bool, remaining: float | None
) -> None:
    wait = wait_seconds(LIMITS, status, elapsed, fallback, events_flowing=events_flowing, remaining_seconds=remaining)
    assert wait >= MIN_WAIT_SECONDS
    assert wait <= max(MIN_WAIT_SECONDS, MAX_TRUSTING_WAIT_SECONDS, fallback)
    limit = LIMITS.limit_for(status)
    if limit is not None and limit > elapsed:
        assert wait <= max(MIN_WAIT_SECONDS, limit - elapsed + 1)
    if not events_flowing:
        assert wait <= max(MIN_WAIT_SECONDS, fallback)


def test_a_run_past_its_deadline_is_cancelled_whatever_its_phase() -> None:
    deadline = (T0 + timedelta(hours=6), 6 * 3600)
    decision = check("TRANSFERRING", 6 * 60, deadline=deadline)
    assert decision.action == "cancel"
    assert decision.overrun is not None
    assert decision.overrun.reason == "was still in TRANSFERRING when the run reached its deadline of 6 h"


def test_the_check_wakes_at_the_deadline_rather_than_later() -> None:
    deadline = (T0 + timedelta(hours=1), 3600)
    decision = check("TRANSFERRING", 50, events_flowing=True, remaining_seconds=5 * 3600, deadline=deadline)
    assert decision.wait_seconds == 10 * 60 + 1


# --- the stall watchdog and the announced end ---------------------------------------------------

STALL = StallLimit(seconds=4 * 3600, action="cancel")


def marked(minutes_still: float, phase: str = "TRANSFERRING") -> ProgressMark:
    return ProgressMark(phase, {"bytesTransferred": 10}, T0 - timedelta(minutes=minutes_still))


def test_counters_that_stood_still_for_the_stall_limit_cancel_the_execution_with_a_reason() -> None:
    decision = check("TRANSFERRING", 0, progress=marked(240), stall=STALL)
    assert decision.action == "cancel"
    assert isinstance(decision.overrun, Stall)
    assert decision.overrun.reason == (
        "made no progress in TRANSFERRING for 4 h (stall limit 4 h): its byte and file counters did not move"
    )


def test_before_the_stall_limit_the_next_look_is_when_it_would_be_reached() -> None:
    decision = check("VERIFYING", 0, progress=marked(180), stall=STALL, events_flowing=True)
    assert (decision.action, decision.wait_seconds) == ("wait", 3601)


def test_only_phases_that_show_progress_and_unknown_statuses_are_watched_for_stalls() -> None:
    assert check("PREPARING", 0, progress=marked(600, "PREPARING"), stall=STALL).action == "wait"
    assert check("QUEUED", 0, progress=marked(600, "QUEUED"), stall=STALL).action == "wait"
    assert check("REBALANCING", 0, progress=marked(240, "REBALANCING"), stall=STALL).action == "cancel"


def test_a_reported_stall_keeps_the_run_waiting_and_survives_the_deadline_adjustment() -> None:
    decision = check(
        "TRANSFERRING",
        0,
        progress=marked(300),
        stall=StallLimit(seconds=4 * 3600, action="report"),
        deadline=(T0 + timedelta(hours=1), 7200),
    )
    assert decision.action == "wait" and decision.overrun is None
    assert decision.stall is not None and decision.stall.stalled_seconds == 300 * 60
    assert decision.wait_seconds == 900


def test_a_mark_is_kept_while_status_and_counters_stay_and_renewed_when_either_changes() -> None:
    first = next_mark(None, "TRANSFERRING", {"bytesTransferred": 1}, T0)
    later = T0 + timedelta(hours=1)
    assert next_mark(first, "TRANSFERRING", {"bytesTransferred": 1}, later) is first
    assert next_mark(first, "TRANSFERRING", {"bytesTransferred": 2}, later).since == later
    assert next_mark(first, "VERIFYING", {"bytesTransferred": 1}, later).since == later


def test_an_announced_end_is_looked_at_again_a_bounded_number_of_times() -> None:
    assert confirm_end("SUCCESS", 1) == ("agreed", 0)
    assert confirm_end("ERROR", 3) == ("agreed", 0)  # Describe's own end is the outcome
    waits = [confirm_end("VERIFYING", look) for look in range(1, 7)]
    assert waits == [*(("look_again", wait) for wait in (30, 60, 120, 240, 480)), ("gave_up", 0)]
    assert sum(CONFIRM_WAITS_SECONDS) == 930


def test_every_attempts_looks_fit_the_history_step_functions_keeps_for_a_run() -> None:
    # 25,000 events at most: 2,000 kept for the rest of the run, 20 for each look.
    assert max_looks(3) == 383
    assert max_looks(10) == 115
    for attempts in range(1, 11):
        assert attempts * max_looks(attempts) * 20 + 2_000 <= 25_000


def test_a_run_that_has_taken_all_its_looks_stops_watching_and_leaves_the_execution_running() -> None:
    going = check("TRANSFERRING", 60, budget=WatchBudget(looks=382, max_looks=383, run_started=T0))
    assert going.action == "wait"
    stopped = check("TRANSFERRING", 60, budget=WatchBudget(looks=383, max_looks=383, run_started=T0))
    assert stopped.action == "abandon" and isinstance(stopped.overrun, WatchLimit)
    assert "after 383 looks over 1 h" in stopped.overrun.reason
    assert "left running" in stopped.overrun.reason


def test_a_run_stops_watching_a_week_before_step_functions_year_is_up() -> None:
    began = T0 - timedelta(days=358)
    decision = check("VERIFYING", 5, budget=WatchBudget(looks=3, max_looks=383, run_started=began))
    assert decision.action == "abandon" and isinstance(decision.overrun, WatchLimit)
    younger = check("VERIFYING", 5, budget=WatchBudget(looks=3, max_looks=383, run_started=began + timedelta(days=1)))
    assert younger.action == "wait"


def test_an_execution_that_ended_or_is_being_cancelled_is_not_left_for_the_watch_limit() -> None:
    spent = WatchBudget(looks=500, max_looks=383, run_started=T0)
    assert check("SUCCESS", 60, budget=spent).action == "finished"
    # A phase limit's cancel comes first: the execution is not left running when it can be stopped.
    assert check("LAUNCHING", 31, budget=spent).action == "cancel"
