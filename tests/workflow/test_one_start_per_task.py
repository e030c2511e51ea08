"""Two runs of one task started at the same moment: DataSync is started once, never twice.

DescribeTask answers in 300 ms (virtual time), so both runs look at the task before either has
started it: the busy check alone lets both through. The per-task lease makes the check and the
start one atomic step."""

from typing import Any

import pytest

from tests.workflow.conftest import run


def runs_of(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """Both runs, the first one's summary in the same shape as the others'."""
    first = {key: summary[key] for key in ("status", "error", "cause", "output")}
    return [first, *summary["other_runs"]]


def started_by_workflow(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [execution for execution in summary["executions"] if execution["startedByWorkflow"]]


def messages_per_run(summary: dict[str, Any]) -> list[str]:
    return sorted(notification["subject"] for notification in summary["notifications"])


def test_with_fail_two_simultaneous_manual_starts_start_datasync_once_and_the_other_is_refused_naming_the_owner() -> (
    None
):
    summary = run("simultaneous-starts")

    (execution,) = started_by_workflow(summary)
    assert execution["status"] == "SUCCESS"
    runs = runs_of(summary)
    (winner,) = [each for each in runs if each["status"] == "SUCCEEDED"]
    (refused,) = [each for each in runs if each["status"] == "FAILED"]
    assert winner["output"]["executionArn"] == execution["executionArn"]
    assert refused["error"] == "DataSync.StartRefused"
    assert "another run of the scheduler holds the task" in refused["cause"]
    assert winner["output"]["workflowExecution"] in refused["cause"]
    # One message per run: the success, and the refusal.
    assert messages_per_run(summary) == [
        "DataSync nightly-archive: sync FAILED (DataSync.StartRefused)",
        "DataSync nightly-archive: sync succeeded",
    ]


def test_with_wait_the_second_of_two_simultaneous_starts_runs_after_the_first_has_ended() -> None:
    summary = run("simultaneous-starts", parameters={"WhenTaskBusy": "wait"})

    first, second = started_by_workflow(summary)
    assert [run_["status"] for run_ in runs_of(summary)] == ["SUCCEEDED", "SUCCEEDED"]
    first_end = first["phases"][-1]["at"]
    assert second["phases"][0]["at"] >= first_end  # never two at once
    assert messages_per_run(summary) == ["DataSync nightly-archive: sync succeeded"] * 2


@pytest.mark.parametrize("mode", ["queue"])
def test_with_queue_two_simultaneous_identical_starts_never_run_side_by_side(mode: str) -> None:
    summary = run("simultaneous-starts", parameters={"WhenTaskBusy": mode})

    first, second = started_by_workflow(summary)
    assert [run_["status"] for run_ in runs_of(summary)] == ["SUCCEEDED", "SUCCEEDED"]
    assert second["phases"][0]["at"] >= first["phases"][-1]["at"]
    assert messages_per_run(summary) == ["DataSync nightly-archive: sync succeeded"] * 2


def test_a_batch_child_takes_the_same_lease_so_two_batches_at_once_start_the_task_once() -> None:
    # The nightly schedule's batch and a second batch naming the same task, at the same moment:
    # each batch starts a SyncWorkflow child, and the children's Start Sync share the task's lease.
    summary = run(
        "nightly-success",
        concurrentStarts=2,
        parameters={"WhenTaskBusy": "fail"},
        faults=[{"api": "datasync:DescribeTask", "latency_seconds": 0.3, "calls": "all"}],
    )

    (execution,) = started_by_workflow(summary)
    assert execution["status"] == "SUCCESS"
    batches = runs_of(summary)
    assert sorted(batch["status"] for batch in batches) == ["FAILED", "SUCCEEDED"]
    (failed,) = [batch for batch in batches if batch["status"] == "FAILED"]
    assert "nightly-archive (DataSync.StartRefused)" in failed["cause"]
    # One message per run and per batch: the refused child says who holds the task.
    assert messages_per_run(summary) == [
        "DataSync batch: 0 of 1 task succeeded, 1 FAILED",
        "DataSync batch: 1 of 1 task succeeded",
        "DataSync nightly-archive: sync FAILED (DataSync.StartRefused)",
        "DataSync nightly-archive: sync succeeded",
    ]
    (refusal,) = [m for m in summary["notifications"] if "DataSync.StartRefused" in m["subject"]]
    assert "another run of the scheduler holds the task" in refusal["message"]


def test_a_lease_that_is_no_longer_the_runs_own_is_left_alone_without_a_warning() -> None:
    # The run's lease ended and went (or another run holds it now): the release's condition fails.
    # Nothing of this run's is left to release, so its message says nothing about the lease.
    summary = run(
        "nightly-success",
        faults=[{"api": "dynamodb:DeleteItem", "error": "ConditionalCheckFailedException", "calls": "all"}],
    )

    assert summary["status"] == "SUCCEEDED"
    assert [fault["target"] for fault in summary["faults_injected"]] == ["dynamodb:DeleteItem"]
    assert summary["notifications"]
    assert not [note["subject"] for note in summary["notifications"] if "lease" in note["message"]]
