"""Every run leaves one line of history: outcome, data moved, failures, attempts and duration."""

from datetime import datetime

from tests.workflow.conftest import run


def test_a_recovered_run_leaves_one_line_counting_both_attempts() -> None:
    summary = run("checksum-failure-recovers")

    (line,) = summary["history"]
    assert line["workflowExecution"] == summary["output"]["workflowExecution"]
    assert (line["status"], line["error"], line["attempts"]) == ("SUCCEEDED", "", 2)
    assert line["taskName"] == "design-share"
    assert line["executionArn"] == summary["executions"][1]["executionArn"]
    # Data moved by both attempts: the whole task, then the three files the manifest named.
    assert line["bytesTransferred"] == 214748364800 + 73400320
    assert line["filesTransferred"] == 48000 + 3
    assert line["failures"] == {"transient": 3}
    # From the run's start to its report, in the workflow's (virtual) time.
    started, ended = (datetime.fromisoformat(line[key]) for key in ("startedAt", "endedAt"))
    assert started == datetime.fromisoformat(summary["started_at"])
    assert line["durationSeconds"] == (ended - started).total_seconds() > 2 * 3600


def test_a_run_rejected_before_it_started_is_in_the_history_too() -> None:
    summary = run("bad-input")

    (line,) = summary["history"]
    assert (line["status"], line["error"], line["attempts"]) == ("FAILED", "InvalidSyncRequest", 0)
    assert line["bytesTransferred"] == 0 and line["durationSeconds"] == 0
    assert line["reason"].startswith("The run was not started.")


def test_a_batch_leaves_one_line_per_task_run() -> None:
    summary = run("nightly-batch")

    statuses = sorted((line["taskName"], line["status"]) for line in summary["history"])
    children = sorted((child["taskName"], child["status"]) for child in summary["batch"]["children"])
    assert statuses == children
