"""Retry what a retry can fix — only the failed files — and never what it cannot."""

from datetime import datetime
from typing import Any

from tests.workflow.conftest import run


def calls(summary: dict[str, Any], function: str) -> list[dict[str, Any]]:
    return [call for call in summary["invocations"] if call["function"] == function]


def test_files_changed_during_the_transfer_are_retried_alone_and_the_run_recovers() -> None:
    summary = run("checksum-failure-recovers")

    assert summary["status"] == "SUCCEEDED"
    first, second = summary["executions"]
    assert first["manifest"] is None
    # The second execution transfers exactly the three files that failed, by manifest.
    assert sorted(second["manifest"]["paths"]) == [
        'projects/atrium/"final" render.png',
        "projects/atrium/plan, rev 7.dwg",
        "projects/lobby/notes.txt",
    ]
    assert summary["output"]["verdict"]["reason"].startswith("Recovered: attempt 2 of the run succeeded.")
    attempts = summary["output"]["attempts"]
    assert [(a["attempt"], a["status"], a["scope"]["kind"]) for a in attempts] == [
        (1, "ERROR", "all"),
        (2, "SUCCESS", "manifest"),
    ]
    assert attempts[1]["scope"]["paths"] == 3
    # One message for the whole run, not one per attempt.
    (notification,) = summary["notifications"]
    assert "Attempts: 2" in notification["message"]


def test_the_retry_waits_the_back_off_in_the_state_machine() -> None:
    summary = run("checksum-failure-recovers")
    first, second = summary["executions"]
    first_end = first["phases"][-1]["at"]
    second_start = second["phases"][0]["at"]
    gap = datetime.fromisoformat(second_start.replace("Z", "+00:00")) - datetime.fromisoformat(
        first_end.replace("Z", "+00:00")
    )
    assert gap.total_seconds() == 900  # RetryBackoffSeconds, waited by a Wait state
    assert "Wait Before Retry" in summary["states_entered"]


def test_a_permanent_cause_is_never_retried() -> None:
    summary = run("permission-denied")

    assert summary["status"] == "FAILED"
    assert len(summary["executions"]) == 1
    assert "Wait Before Retry" not in summary["states_entered"]
    assert "not retried: only permanent failures (access_denied)" in summary["cause"]
    message = summary["notifications"][0]["message"]
    assert "access_denied: 2 - fix the permissions" in message


def test_permanent_failures_are_left_out_of_the_retry_and_keep_the_run_failed() -> None:
    summary = run("verification-mismatch")

    assert summary["status"] == "FAILED"
    assert summary["error"] == "DataSync.PermanentFailures"
    _, retry = summary["executions"]
    assert retry["manifest"]["paths"] == ["finance/q3 report.xlsx"]  # not the metadata mismatch
    assert "files with metadata_mismatch were not retried" in summary["cause"]


def test_an_agent_that_stays_offline_is_retried_until_the_attempts_run_out() -> None:
    summary = run("agent-offline")

    assert summary["status"] == "FAILED"
    assert len(summary["executions"]) == 3
    assert all(execution["phases"][-2]["phase"] == "CANCELLING" for execution in summary["executions"])
    assert "no attempts left" in summary["cause"]
    assert len(summary["notifications"]) == 1


def test_an_agent_that_comes_back_makes_the_second_attempt_succeed() -> None:
    summary = run("agent-offline-recovers")
    assert summary["status"] == "SUCCEEDED"
    assert [execution["status"] for execution in summary["executions"]] == ["ERROR", "SUCCESS"]
    assert summary["output"]["attempts"][1]["scope"] == {"kind": "all"}


def test_attempts_never_exceed_the_configured_maximum() -> None:
    summary = run("agent-offline", parameters={"MaxAttempts": "2"})
    assert len(summary["executions"]) == 2
    assert len(calls(summary, "StartSyncFunction")) == 2


def test_a_start_whose_response_is_lost_is_retried_and_adopts_the_execution_it_started() -> None:
    summary = run("crash-after-start")

    assert summary["status"] == "SUCCEEDED"
    assert len(summary["executions"]) == 1  # never started twice
    starts = calls(summary, "StartSyncFunction")
    assert [call["error"] for call in starts] == ["DataSyncUnavailable", None]
    assert summary["output"]["executionArn"] == summary["executions"][0]["executionArn"]


def test_a_run_that_outlives_its_deadline_is_cancelled_and_not_retried() -> None:
    summary = run(
        "nightly-success",
        trigger="manual",
        parameters={"RunDeadlineSeconds": "7200"},
        expect={},
    )
    assert summary["status"] == "FAILED"
    assert summary["error"] == "Watchdog.RunDeadline"
    (execution,) = summary["executions"]
    assert [mark["phase"] for mark in execution["phases"]][-2:] == ["CANCELLING", "ERROR"]
    cancelled = datetime.fromisoformat(execution["phases"][-2]["at"].replace("Z", "+00:00"))
    started = datetime.fromisoformat(summary["started_at"].replace("Z", "+00:00"))
    assert 7200 <= (cancelled - started).total_seconds() <= 7200 + 60
    assert "reached its deadline of 2 h" in summary["cause"]
    assert "no time for another attempt" in summary["cause"]


def test_a_task_with_its_own_exclude_filter_retries_its_failed_files_through_an_includes_filter() -> None:
    # The example stack's task keeps temporary files out with an exclude filter, and DataSync refuses a
    # manifest on a task with filters: the retry names the files in an Includes filter instead.
    summary = run("task-with-excludes-recovers")

    assert summary["status"] == "SUCCEEDED", summary.get("cause")
    _first, second = summary["executions"]
    assert second["manifest"] is None
    assert second["includes"] == [
        {"FilterType": "SIMPLE_PATTERN", "Value": "/uploads/2026/survey-results.csv|/uploads/2026/site plan, v2.pdf"}
    ]
    # The task's own exclude filter goes with the retry, whether DataSync keeps a task's Excludes
    # under an execution's Includes or not.
    assert second["excludes"] == [
        {"FilterType": "SIMPLE_PATTERN", "Value": "*.tmp|*.temp|*.part|*.swp|*/~$*|*/.~lock.*"}
    ]
    # The batch keeps one small line per task; the run's own output has its attempts and verdict.
    (task,) = summary["output"]["tasks"]
    assert task["status"] == "SUCCEEDED"
    (task_run,) = summary["batch"]["children"]
    assert len(task_run["output"]["attempts"]) == 2
    assert task_run["output"]["verdict"]["reason"].startswith("Recovered: attempt 2 of the run succeeded.")
    assert any("2 file(s) by includes: SUCCESS" in sent["message"] for sent in summary["notifications"])


def test_a_person_retries_a_failed_runs_changed_files_and_exactly_those_run_again() -> None:
    summary = run("retry-failures-by-hand")

    assert summary["status"] == "FAILED"  # the first run: MaxAttempts 1, nothing retried by itself
    first, retried = summary["executions"]
    assert first["manifest"] is None
    # The retry transfers exactly the two changed files, by manifest; the metadata mismatch stays.
    assert sorted(retried["manifest"]["paths"]) == ["finance/q3 report.xlsx", "finance/q4, draft.xlsx"]
    (retry_run,) = summary["other_runs"]
    assert retry_run["status"] == "SUCCEEDED"
    (attempt,) = retry_run["output"]["attempts"]
    assert attempt["scope"]["kind"] == "manifest" and attempt["scope"]["paths"] == 2
    assert attempt["scope"]["retryFailuresOf"].endswith(":retry-failures-by-hand-run-1")
    assert "not retried: metadata_mismatch (1)" in attempt["scope"]["reason"]


def test_a_retry_of_a_run_with_nothing_a_retry_can_fix_is_refused_before_anything_starts() -> None:
    summary = run("permission-denied", retryFailuresAfter=True)

    assert len(summary["executions"]) == 1  # the retry started no task execution
    (retry_run,) = summary["other_runs"]
    assert retry_run["status"] == "FAILED" and retry_run["error"] == "InvalidSyncRequest"
    assert "retryFailuresOf: " in retry_run["cause"] and "no failed file a retry can fix" in retry_run["cause"]
