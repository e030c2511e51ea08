"""One DataSync task run, start to verdict, as a user would describe it."""

from datetime import datetime
from typing import Any

from tests.workflow.conftest import run

FALLBACK = 900


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def phases(execution: dict[str, Any]) -> list[str]:
    return [mark["phase"] for mark in execution["phases"]]


def calls(summary: dict[str, Any], function: str) -> list[dict[str, Any]]:
    return [call for call in summary["invocations"] if call["function"] == function]


def test_a_scheduled_nightly_run_succeeds_records_every_phase_and_notifies_for_the_task_and_the_batch() -> None:
    summary = run("nightly-success")

    assert summary["status"] == "SUCCEEDED"
    # The nightly schedule runs its task list as a batch: this task's run is the batch's one child.
    (task_run,) = summary["batch"]["children"]
    assert task_run["status"] == "SUCCEEDED"
    (execution,) = summary["executions"]
    assert phases(execution) == ["QUEUED", "LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING", "SUCCESS"]
    # The ledger saw every phase at the virtual time DataSync entered it.
    assert execution["recorded"]["phases"] == execution["phases"]
    # The schedule's input came from the template: ScheduledOverrides reached DataSync.
    assert execution["overrides"] == {"LogLevel": "BASIC"}
    assert task_run["output"]["verdict"] == {
        "status": "SUCCEEDED",
        "error": "",
        "reason": "DataSync completed the execution successfully.",
    }
    assert task_run["output"]["counters"]["filesTransferred"] == 12000
    task_message, batch_message = summary["notifications"]
    assert task_message["subject"] == "DataSync nightly-archive: sync succeeded"
    assert "Files transferred: 12,000 of 12,000" in task_message["message"]
    assert batch_message["subject"] == "DataSync batch: 1 of 1 task succeeded"
    assert "SUCCEEDED nightly-archive: 12,000 file(s), 50.0 GiB" in batch_message["message"]
    assert summary["output"]["counts"] == {"tasks": 1, "succeeded": 1, "failed": 0}


def test_with_events_arriving_an_eight_hour_run_costs_few_transitions_and_reacts_at_once() -> None:
    summary = run("nightly-success")
    (task_run,) = summary["batch"]["children"]
    # 14 with the check that confirms the end DataSync's event announced and the task's lease
    # released; the stall watchdog looks once per StallMinutes (4 h) while the counters move: 3
    # transitions each.
    assert task_run["state_transitions"] <= 14 + 2 * 3
    # The batch around it costs a fixed handful more.
    assert summary["state_transitions"] <= 8
    assert summary["reaction_seconds"] is not None and summary["reaction_seconds"] <= 1


def test_an_execution_error_fails_the_workflow_with_datasyncs_error_code() -> None:
    summary = run("execution-error")

    assert summary["status"] == "FAILED"
    assert summary["error"] == "DataSync.FsS3HeadBucketFailed"
    assert summary["cause"].startswith(
        "DataSync ended the execution in ERROR: FsS3HeadBucketFailed: "
        "DataSync could not access the S3 bucket archive-source: Access Denied"
    )
    # Permissions do not fix themselves: one attempt, and the message says why there was no other.
    assert "After 1 attempt(s), not retried: a permanent cause" in summary["cause"]
    (execution,) = summary["executions"]
    assert phases(execution) == ["QUEUED", "LAUNCHING", "PREPARING", "ERROR"]
    (notification,) = summary["notifications"]
    assert notification["subject"] == "DataSync nightly-archive: sync FAILED (DataSync.FsS3HeadBucketFailed)"


def test_when_every_event_is_lost_the_fallback_check_finishes_the_run_within_one_interval() -> None:
    summary = run("events-lost")

    assert summary["status"] == "SUCCEEDED"
    assert summary["events"]["delivered"] == 0
    assert calls(summary, "ExecutionEventsFunction") == []
    (execution,) = summary["executions"]
    ended = at(execution["phases"][-1]["at"])
    reported = at(calls(summary, "ReportRunFunction")[0]["at"])
    assert 0 <= (reported - ended).total_seconds() <= FALLBACK
    # Each fallback round is one await, one check and one choice.
    rounds = len(calls(summary, "CheckSyncFunction"))
    assert rounds >= 4
    assert summary["state_transitions"] <= 8 + 3 * rounds


def test_duplicated_and_late_events_change_nothing_they_should_not() -> None:
    clean = run("events-duplicated-reordered", events={})
    summary = run("events-duplicated-reordered")

    assert summary["status"] == "SUCCEEDED"
    assert summary["events"]["duplicated"] == summary["events"]["emitted"]
    (execution,) = summary["executions"]
    # Each phase is recorded once, at DataSync's own time, although QUEUED and LAUNCHING came last
    # (two hours late, after the workflow had ended).
    assert execution["recorded"]["phases"] == execution["phases"]
    assert "LAUNCHING" in execution["recorded"]["eventStatuses"]
    # The workflow was resumed once and reported once, exactly as without the faults.
    assert len(calls(summary, "ReportRunFunction")) == 1
    assert summary["states_entered"] == clean["states_entered"]
    assert len(summary["notifications"]) == 1


def test_an_agent_stuck_in_launching_is_cancelled_after_its_limit_and_the_verdict_says_why() -> None:
    summary = run("agent-offline", parameters={"MaxAttempts": "1"})

    assert summary["status"] == "FAILED"
    assert summary["error"] == "Watchdog.PhaseTimeLimit"
    assert "stayed in LAUNCHING for 30 min" in summary["cause"]
    assert "the agent is probably offline" in summary["cause"]
    (execution,) = summary["executions"]
    assert phases(execution) == ["QUEUED", "LAUNCHING", "CANCELLING", "ERROR"]
    launched, cancelled = at(execution["phases"][1]["at"]), at(execution["phases"][2]["at"])
    assert 1800 <= (cancelled - launched).total_seconds() <= 1800 + 60
    assert "Cancelled by the watchdog" in summary["notifications"][0]["message"]


def test_a_cancelling_execution_is_not_mistaken_for_a_finished_one() -> None:
    # CANCELLING lasts ten minutes here; the workflow must wait for ERROR, not stop at CANCELLING.
    summary = run(
        "agent-offline",
        parameters={"MaxAttempts": "1"},
        executions=[{"phases": [{"status": "LAUNCHING", "seconds": None}], "outcome": "SUCCESS", "cancelSeconds": 600}],
    )
    (execution,) = summary["executions"]
    assert execution["status"] == "ERROR"
    assert summary["output"] is None and summary["status"] == "FAILED"
    report = at(calls(summary, "ReportRunFunction")[0]["at"])
    assert report >= at(execution["phases"][-1]["at"])


def test_a_task_that_is_already_running_makes_the_run_wait_in_queued_and_then_succeed() -> None:
    summary = run("task-busy")

    assert summary["status"] == "SUCCEEDED"
    other, ours = summary["executions"]
    assert (other["startedByWorkflow"], ours["startedByWorkflow"]) == (False, True)
    other_end = at(other["phases"][-1]["at"])
    assert ours["phases"][0]["phase"] == "QUEUED"
    assert at(ours["phases"][1]["at"]) == other_end  # it launched the moment the other one ended
    assert summary["output"]["executionArn"] == ours["executionArn"]


def test_a_busy_task_whose_start_datasync_refuses_instead_of_queueing_is_waited_for() -> None:
    # Whether DataSync queues a start identical to the running one is not documented: when it refuses,
    # the run waits for the other execution and starts once the task is free.
    summary = run("task-busy", identicalStartWhileBusy="refuse")

    assert summary["status"] == "SUCCEEDED"
    other, ours = summary["executions"]
    assert at(ours["phases"][0]["at"]) >= at(other["phases"][-1]["at"])
    errors = [call["error"] for call in calls(summary, "StartSyncFunction")]
    assert errors[-1] is None and set(errors[:-1]) == {"TaskBusy"}


def test_bad_input_is_rejected_before_any_datasync_call_and_names_every_field() -> None:
    summary = run("bad-input")

    assert summary["status"] == "FAILED"
    assert summary["error"] == "InvalidSyncRequest"
    assert summary["executions"] == []
    assert calls(summary, "StartSyncFunction") == []
    for field in ("taskArn: must be a DataSync task ARN", "overrides.VerifyMode", "priority: unknown field"):
        assert field in summary["cause"]
    (notification,) = summary["notifications"]
    assert notification["subject"] == "DataSync unknown task: sync FAILED (InvalidSyncRequest)"


def test_a_start_datasync_refuses_is_reported_not_retried() -> None:
    summary = run(
        "nightly-success",
        trigger="manual",
        input={"taskArn": "arn:aws:datasync:us-east-1:123456789012:task/task-00000000000000000"},
    )
    assert summary["status"] == "FAILED"
    assert summary["error"] == "DataSync.StartRefused"
    assert len(calls(summary, "StartSyncFunction")) == 1
    assert summary["executions"] == []


def test_a_verification_mismatch_fails_the_run_with_datasyncs_own_words() -> None:
    summary = run("verification-mismatch", parameters={"MaxAttempts": "1"})
    assert summary["status"] == "FAILED"
    assert summary["error"] == "DataSync.ExecutionError"
    assert "Verification detected mismatches" in summary["cause"]
    (execution,) = summary["executions"]
    assert phases(execution)[-2:] == ["VERIFYING", "ERROR"]


def test_a_busy_task_can_be_waited_for_instead_of_queued_behind() -> None:
    summary = run("task-busy", parameters={"WhenTaskBusy": "wait"})

    assert summary["status"] == "SUCCEEDED"
    other, ours = summary["executions"]
    other_end = at(other["phases"][-1]["at"])
    assert at(ours["phases"][0]["at"]) >= other_end  # started only once the task was free
    errors = [call["error"] for call in calls(summary, "StartSyncFunction")]
    assert errors[-1] is None and set(errors[:-1]) == {"TaskBusy"}


def test_a_busy_task_can_fail_the_run_at_once_with_a_clear_reason() -> None:
    summary = run("task-busy", parameters={"WhenTaskBusy": "fail"}, expect={})

    assert summary["status"] == "FAILED"
    assert summary["error"] == "DataSync.StartRefused"
    assert "WhenTaskBusy is fail" in summary["cause"]
    assert len(summary["executions"]) == 1  # only the other one
