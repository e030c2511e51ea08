"""What the workflow decides from DataSync's answers: the end its event announces against what
DescribeTaskExecution says, statuses it does not know, and executions whose counters stop moving."""

from datetime import datetime
from typing import Any

from tests.workflow.conftest import run

STALL_LIMIT = 4 * 3600  # StallMinutes' default


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def phase_times(execution: dict[str, Any]) -> dict[str, datetime]:
    return {mark["phase"]: at(mark["at"]) for mark in execution["phases"]}


def checks(summary: dict[str, Any]) -> list[datetime]:
    return [at(call["at"]) for call in summary["invocations"] if call["function"] == "CheckSyncFunction"]


def scripted(**changes: Any) -> list[dict[str, Any]]:
    """The lagging scenario's one execution script, with `changes`."""
    script: dict[str, Any] = {
        "phases": [
            {"status": "LAUNCHING", "seconds": 20},
            {"status": "PREPARING", "seconds": 180},
            {"status": "TRANSFERRING", "seconds": 3600},
            {"status": "VERIFYING", "seconds": 600},
        ],
        "outcome": "SUCCESS",
        "files": 12000,
        "bytes": 53687091200,
    }
    return [{**script, **changes}]


def test_a_success_event_that_comes_before_describe_shows_it_is_reported_as_the_success_it_was() -> None:
    summary = run("describe-lags-end-event")

    assert summary["status"] == "SUCCEEDED"
    assert summary["output"]["verdict"]["reason"] == "DataSync completed the execution successfully."
    (execution,) = summary["executions"]
    ended = phase_times(execution)["SUCCESS"]
    # The event resumed the run at once; Describe said VERIFYING for 90 s, so the check looked again
    # (after 30 s, then 60 s) until it said SUCCESS.
    after_end = [moment for moment in checks(summary) if moment >= ended]
    assert [(moment - ended).total_seconds() for moment in after_end] == [0, 30, 90]
    (message,) = summary["notifications"]
    assert message["subject"] == "DataSync nightly-archive: sync succeeded"
    assert "VERIFYING" not in summary["output"]["verdict"]["reason"]


def test_an_error_event_ahead_of_describe_still_ends_on_datasyncs_error() -> None:
    summary = run(
        "describe-lags-end-event",
        executions=scripted(outcome="ERROR", errorCode="OpNotSupp", describeLagSeconds=90),
    )

    assert summary["status"] == "FAILED"
    assert summary["error"] == "DataSync.OpNotSupp"
    assert summary["cause"].startswith("DataSync ended the execution in ERROR: OpNotSupp")


def test_when_describe_never_confirms_the_announced_end_the_verdict_says_exactly_that() -> None:
    summary = run("describe-lags-end-event", executions=scripted(describeLagSeconds=7200))

    assert summary["status"] == "FAILED"
    assert summary["error"] == "DataSync.EndNotConfirmed"
    cause = summary["cause"]
    assert cause.startswith(
        "DataSync's event said the task execution ended SUCCESS, but DescribeTaskExecution still answered VERIFYING"
    )
    assert "over 15 min 30 s" in cause
    assert "DataSync ended the execution in VERIFYING" not in cause
    # Bounded: six looks over 15.5 minutes, then the verdict; no second execution next to the first.
    (execution,) = summary["executions"]
    ended = phase_times(execution)["SUCCESS"]
    assert [(moment - ended).total_seconds() for moment in checks(summary) if moment >= ended] == [
        0,
        30,
        90,
        210,
        450,
        930,
    ]
    (message,) = summary["notifications"]
    assert "EndNotConfirmed" in message["subject"]
    assert "its status there is the outcome" in message["message"]


def test_a_transfer_that_stalls_is_cancelled_by_the_default_stall_watchdog_and_the_message_names_the_stall() -> None:
    summary = run("stalled-transferring")

    assert summary["status"] == "FAILED"
    assert summary["error"] == "Watchdog.Stalled"
    assert summary["cause"].startswith(
        "Cancelled by the watchdog: the execution made no progress in TRANSFERRING for 4 h (stall limit 4 h)"
    )
    assert len(summary["executions"]) == 3  # each attempt stalled, and was cancelled
    for execution in summary["executions"]:
        times = phase_times(execution)
        assert list(times) == ["QUEUED", "LAUNCHING", "PREPARING", "TRANSFERRING", "CANCELLING", "ERROR"]
        stalled_for = (times["CANCELLING"] - times["TRANSFERRING"]).total_seconds()
        # Noticed at the first look past the limit: never before it, never a fallback interval late.
        assert STALL_LIMIT <= stalled_for <= STALL_LIMIT + 900
    (message,) = summary["notifications"]
    assert "made no progress in TRANSFERRING" in message["message"]
    assert "raise StallMinutes (or set StallAction=report)" in message["message"]
    # Bounded work: the run ended instead of polling for ever.
    assert summary["history_events"] < 250


def test_with_stall_action_report_the_execution_runs_on_and_the_message_mentions_the_stall() -> None:
    # The destination hangs for 5 hours, then the transfer goes on and finishes.
    summary = run(
        "stalled-transferring",
        parameters={"StallMinutes": "60", "StallAction": "report"},
        executions=scripted(
            phases=[
                {"status": "LAUNCHING", "seconds": 20},
                {"status": "PREPARING", "seconds": 180},
                {"status": "TRANSFERRING", "seconds": 21600, "stalledSeconds": 18000},
                {"status": "VERIFYING", "seconds": 600},
            ]
        ),
    )

    assert summary["status"] == "SUCCEEDED"
    (execution,) = summary["executions"]
    assert "CANCELLING" not in phase_times(execution)
    reason = summary["output"]["verdict"]["reason"]
    assert reason.startswith("DataSync completed the execution successfully.")
    assert "The stall watchdog saw no progress in TRANSFERRING for 1 h" in reason
    assert "StallAction is report: the execution was left running" in reason
    (message,) = summary["notifications"]
    assert "The stall watchdog saw no progress in TRANSFERRING" in message["message"]


def test_an_execution_stalled_for_good_under_stall_action_report_ends_the_run_with_a_message() -> None:
    """Reported, never cancelled, never moving again: the run does not wait until Step Functions'
    own limits end it without a message; it stops watching and says so."""
    summary = run(
        "stalled-transferring", parameters={"StallMinutes": "60", "StallAction": "report", "MaxAttempts": "10"}
    )

    assert summary["status"] == "FAILED"
    assert summary["error"] == "Watchdog.WatchLimit"
    assert "after 115 looks" in summary["cause"]
    assert summary["history_events"] < 25_000
    (execution,) = summary["executions"]
    assert "CANCELLING" not in phase_times(execution)  # left running, as StallAction=report asks
    (message,) = summary["notifications"]
    assert "Watchdog.WatchLimit" in message["subject"]
    assert "the execution was left running; a new attempt would queue behind it" in message["message"]
