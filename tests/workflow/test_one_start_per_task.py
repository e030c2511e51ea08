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
