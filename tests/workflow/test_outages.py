"""Long outages and deleted resources: the run keeps watching, and names the cause when it stops.

Each case runs the real state machine on the emulator with an outage described by a scenario's
`faults` window (events/scenarios/README.md): DataSync's Describe calls, the run ledger or the
logs stop answering for a while, DataSync's events are lost, or the task is deleted mid-run.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.workflow.conftest import run


def the_message(summary: dict[str, Any]) -> str:
    (notification,) = summary["notifications"]
    return f"{notification['subject']}\n{notification['message']}"


def describe_outage(after: int, lasting: int, error: str = "ServiceUnavailable") -> list[dict[str, Any]]:
    """DataSync's Describe calls fail from `after` seconds into the run, for `lasting` seconds."""
    return [
        {"api": api, "error": error, "calls": "all", "afterSeconds": after, "forSeconds": lasting}
        for api in ("datasync:DescribeTaskExecution", "datasync:DescribeTask", "datasync:ListTaskExecutions")
    ]


# -- DataSync unreachable while its events are lost ------------------------------------------------------


def test_an_hour_long_datasync_outage_with_events_lost_is_waited_out_and_the_sync_succeeds() -> None:
    summary = run("datasync-outage-events-lost")

    assert (summary["status"], summary["error"]) == ("SUCCEEDED", None)
    assert [execution["status"] for execution in summary["executions"]] == ["SUCCESS"]
    # Both halves of the outage were met (throttling, then an internal error) and looked through.
    failed = {call["target"] + ":" + call["error"] for call in summary["faults_injected"]}
    assert "datasync:DescribeTaskExecution:ThrottlingException" in failed
    assert "datasync:DescribeTaskExecution:InternalException" in failed
    message = the_message(summary)
    assert "succeeded" in message
    # The message says the run waited an outage out, for how long and with which error.
    assert "the task execution's state for about 1 h" in message
    assert "until the outage ended) could not be read: DescribeTaskExecution failed with InternalException" in message
    # Waiting out an hour costs a bounded number of looks: the back-off reaches the fallback interval.
    assert summary["state_transitions"] < 60, summary["state_transitions"]


@pytest.mark.parametrize("minutes", [20, 180], ids=lambda minutes: f"outage-of-{minutes}-minutes")
def test_an_outage_of_any_length_within_the_runs_limits_ends_on_datasyncs_own_outcome(minutes: int) -> None:
    """DataSync's Describe and List calls down for N minutes from 10 minutes in, every event lost."""
    summary = run("datasync-outage-events-lost", faults=describe_outage(600, minutes * 60))

    assert summary["status"] == "SUCCEEDED", (summary["error"], summary["cause"])
    assert summary["faults_injected"], "the outage never met a call"
    assert len(summary["notifications"]) == 1


def test_an_outage_that_outlasts_the_run_deadline_is_named_as_such_with_the_error_datasync_gave() -> None:
    summary = run(
        "datasync-outage-events-lost",
        parameters={"RunDeadlineSeconds": "3600"},
        faults=describe_outage(600, 6 * 3600, error="ThrottlingException"),
        expect={},
    )

    assert (summary["status"], summary["error"]) == ("FAILED", "Outage.RunDeadline")
    assert summary["cause"].startswith("DataSync could not be reached for ")
    assert "DescribeTaskExecution failed with ThrottlingException" in summary["cause"]
    assert "the run's deadline of 1 h passed" in summary["cause"]
    assert "It may still be running" in summary["cause"]
    message = the_message(summary)
    assert "Outage.RunDeadline" in message
    assert "could not be read: DescribeTaskExecution failed with ThrottlingException" in message


def test_an_outage_with_neither_deadline_nor_phase_limit_ends_the_watch_after_a_day_saying_so() -> None:
    # The first check (at 15 min) saw TRANSFERRING, which has no limit by default.
    summary = run("datasync-outage-events-lost", faults=describe_outage(1000, 3 * 86_400), expect={})

    assert (summary["status"], summary["error"]) == ("FAILED", "Outage.TooLong")
    assert "the longest outage a run waits out (24 h) passed" in summary["cause"]
    assert len(summary["notifications"]) == 1
    # A day of looks, backing off to the 15-minute fallback interval: about 4 transitions per look.
    assert summary["state_transitions"] < 500, summary["state_transitions"]


def test_an_outage_during_a_limited_phase_ends_at_that_phases_limit() -> None:
    """The execution was last seen LAUNCHING, whose limit is 30 minutes: an outage cannot extend it."""
    summary = run(
        "datasync-outage-events-lost",
        executions=[
            {
                "phases": [{"status": "LAUNCHING", "seconds": 7200}, {"status": "TRANSFERRING", "seconds": 60}],
                "outcome": "SUCCESS",
                "files": 1,
                "bytes": 1,
            }
        ],
        parameters={"FallbackIntervalSeconds": "300"},
        faults=describe_outage(400, 6 * 3600),
        expect={},
    )

    assert (summary["status"], summary["error"]) == ("FAILED", "Outage.PhaseTimeLimit")
    assert "the LAUNCHING time limit of 30 min passed" in summary["cause"]


# -- the run ledger unreachable at report time -----------------------------------------------------------


def test_a_ledger_outage_at_report_time_still_ends_succeeded_with_one_message_that_says_what_was_not_written() -> None:
    summary = run("ledger-down-at-report")

    assert (summary["status"], summary["error"]) == ("SUCCEEDED", None)
    assert summary["output"]["verdict"]["status"] == "SUCCEEDED"
    message = the_message(summary)
    assert "sync succeeded" in message
    assert "the run's line of history could not be written: PutItem failed with" in message
    assert "ProvisionedThroughputExceededException" in message


def test_a_ledger_outage_while_watching_is_waited_out_like_datasyncs() -> None:
    """Every ledger read fails for an hour while events are lost: the check waits, then finishes."""
    summary = run(
        "datasync-outage-events-lost",
        faults=[
            {
                "api": "dynamodb:GetItem",
                "error": "InternalServerError",
                "calls": "all",
                "afterSeconds": 600,
                "forSeconds": 3600,
            }
        ],
    )

    assert summary["status"] == "SUCCEEDED", (summary["error"], summary["cause"])
    assert len(summary["notifications"]) == 1


# -- a deleted task --------------------------------------------------------------------------------------


def test_a_task_deleted_mid_run_ends_with_a_verdict_that_says_so_and_one_message() -> None:
    summary = run("task-deleted-mid-run")

    assert (summary["status"], summary["error"]) == ("FAILED", "DataSync.TaskDeleted")
    assert "was deleted while its task execution" in summary["cause"]
    assert "last seen TRANSFERRING" in summary["cause"]
    assert "DataSync.TaskDeleted" in the_message(summary)
    assert "Traceback" not in the_message(summary)
    assert [execution["taskDeleted"] for execution in summary["executions"]] == [True]


# -- throttling is named as throttling -------------------------------------------------------------------


def test_throttling_before_the_start_is_named_throttling_not_a_refusal() -> None:
    """ListTaskExecutions (looking for an execution to adopt) stays throttled on every call."""
    summary = run(
        "nightly-success",
        trigger="manual",
        faults=[{"api": "datasync:ListTaskExecutions", "error": "ThrottlingException", "calls": "all"}],
        expect={},
    )

    assert (summary["status"], summary["error"]) == ("FAILED", "Start.Throttled")
    assert summary["cause"].startswith("The start was throttled past every retry")
    assert "DataSync refused" not in summary["cause"]
    assert "ListTaskExecutions failed with ThrottlingException" in summary["cause"]
    assert summary["executions"] == []
