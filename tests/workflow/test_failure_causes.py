"""Every way a run can fail ends with one message that names its real cause.

Each cause is decided from data (error names, the watchdog's limit), and a run whose report itself
broke still sends a plain message and ends on DataSync's outcome.
"""

import json
from typing import Any

import pytest

from datasync_scheduler.workflow import analyze_run, check_sync, plan_next_attempt, report_run
from tests.workflow.conftest import run


def attributes(notification: dict[str, Any]) -> dict[str, str]:
    return {name: value["Value"] for name, value in notification["attributes"].items()}


def broken(name: str) -> Any:
    def fail(*args: object, **kwargs: object) -> Any:
        raise RuntimeError(f"{name} is broken")

    return fail


def the_message(summary: dict[str, Any]) -> dict[str, Any]:
    (notification,) = summary["notifications"]
    return notification


def test_a_task_busy_past_the_wait_limit_is_named_as_such_not_as_a_refusal() -> None:
    # The other execution holds the task for 3 hours; WhenTaskBusy=wait looks for 2 hours.
    summary = run(
        "task-busy",
        parameters={"WhenTaskBusy": "wait"},
        alreadyRunning={
            "phases": [{"status": "LAUNCHING", "seconds": 20}, {"status": "TRANSFERRING", "seconds": 3 * 3600}],
            "outcome": "SUCCESS",
            "files": 1,
            "bytes": 1,
        },
        expect={},
    )
    assert (summary["status"], summary["error"]) == ("FAILED", "Start.TaskBusy")
    assert summary["cause"].startswith("The task stayed busy with another execution past the wait limit")
    message = the_message(summary)["message"]
    assert "move one of the schedules" in message
    assert len(summary["executions"]) == 1  # only the other one


def test_a_check_that_keeps_failing_says_the_task_execution_may_still_be_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(check_sync, "check_sync", broken("the check"))
    summary = run("events-lost", expect={})

    assert (summary["status"], summary["error"]) == ("FAILED", "CheckSync.Failed")
    assert "lost track of task execution arn:aws:datasync:" in summary["cause"]
    assert "Check Sync failed with RuntimeError, Lambda request " in summary["cause"]
    assert "may still be running" in summary["cause"]
    assert attributes(the_message(summary))["outcome"] == "failed"
    assert len(summary["executions"]) == 1


def test_a_plan_that_fails_is_reported_with_its_cause_and_nothing_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plan_next_attempt, "plan_next_attempt", broken("planning"))
    summary = run("checksum-failure-recovers", expect={})

    assert (summary["status"], summary["error"]) == ("FAILED", "PlanNextAttempt.Failed")
    assert "planning the next attempt failed: Plan Next Attempt failed with RuntimeError" in summary["cause"]
    assert "planning is broken" in summary["cause"]
    assert "were not retried" in the_message(summary)["message"]
    assert len(summary["executions"]) == 1


def test_an_analysis_that_fails_leaves_the_verdict_to_datasync_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(analyze_run, "analyze_run", broken("the analysis"))
    summary = run("execution-error", expect={})

    assert (summary["status"], summary["error"]) == ("FAILED", "DataSync.FsS3HeadBucketFailed")
    assert summary["output"] is None
    message = the_message(summary)["message"]
    said = "the analysis failed: Analyze Run failed with RuntimeError: the analysis is broken"
    assert f"Which files failed is unknown: {said}" in message
    assert "Analyze Run failed, so which files failed is unknown" in message


def test_a_sync_that_succeeded_stays_succeeded_when_its_report_breaks_and_a_plain_message_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_run, "report_run", broken("the report"))
    summary = run("events-lost", expect={})

    assert summary["status"] == "SUCCEEDED"
    assert summary["output"]["status"] == "SUCCESS"
    notification = the_message(summary)
    found = attributes(notification)
    # The plain message names the run as Report Run would have: a subscriber shows the run once.
    assert found.pop("message_id").startswith("run:arn:aws:states:")
    assert found == {"kind": "run", "outcome": "succeeded", "severity": "error"}
    assert notification["subject"] == "DataSync run: the report failed"
    assert "succeeded: task execution arn:aws:datasync:" in notification["message"]
    assert "Report Run failed with RuntimeError" in notification["message"]
    assert "the report is broken" in notification["message"]
    reports = [call for call in summary["invocations"] if call["function"] == "ReportRunFunction"]
    assert len(reports) == 5  # the first try and four retries, none of which published anything


def test_a_failed_sync_whose_report_breaks_ends_failed_as_report_run_failed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_run, "report_run", broken("the report"))
    summary = run("execution-error", expect={})

    assert (summary["status"], summary["error"]) == ("FAILED", "ReportRunFailed")
    assert json.loads(summary["cause"])["errorType"] == "RuntimeError"
    notification = the_message(summary)
    found = attributes(notification)
    # The plain message names the run as Report Run would have: a subscriber shows the run once.
    assert found.pop("message_id").startswith("run:arn:aws:states:")
    assert found == {"kind": "run", "outcome": "failed", "severity": "error"}
    assert "ended ERROR" in notification["message"]


def test_a_rejected_run_whose_report_breaks_still_sends_a_plain_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(report_run, "report_run", broken("the report"))
    summary = run("bad-input", expect={})

    assert (summary["status"], summary["error"]) == ("FAILED", "ReportRunFailed")
    assert "started no task execution" in the_message(summary)["message"]


def test_a_run_that_fails_while_its_logs_cannot_be_read_says_which_call_failed_and_its_error() -> None:
    # One attempt only: the run fails on DataSync's verification error, and its analysis could not
    # read the task's logs because CloudWatch Logs answered every call with a server error: the
    # analysis waited the outage out for as long as its Retry allows, then the report says why.
    summary = run(
        "checksum-failure-recovers",
        parameters={"MaxAttempts": "1"},
        faults=[{"api": "logs:FilterLogEvents", "error": "ServiceUnavailableException", "calls": "all"}],
    )
    assert summary["status"] == "FAILED" and len(summary["executions"]) == 1
    # Analyze Run's first try and its 16 retries while CloudWatch Logs was unreachable.
    assert sum(call["function"] == "AnalyzeRunFunction" for call in summary["invocations"]) == 17
    message = the_message(summary)["message"]
    assert (
        "Which files failed is unknown: AWS stayed unreachable while the analysis waited: "
        "FilterLogEvents failed with ServiceUnavailableException" in message
    )
    assert "Failure report" not in message
