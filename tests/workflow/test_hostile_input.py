"""A run or a batch started with input it cannot use ends at once, with its one message naming the
problem, and nothing started."""

import pytest

from emulator.stack import ACCOUNT_ID, REGION
from tests.workflow.conftest import run

TASK = f"arn:aws:datasync:{REGION}:{ACCOUNT_ID}:task/task-0123456789abcdef0"


@pytest.mark.parametrize(("raw", "kind"), [([TASK], "an array"), (None, "null"), (True, "true")])
def test_a_run_started_with_json_that_is_not_an_object_is_rejected_with_one_message(raw: object, kind: str) -> None:
    summary = run("bad-input", rawInput=raw)

    assert summary["status"] == "FAILED"
    assert summary["error"] == "InvalidSyncRequest"
    assert summary["cause"].startswith(
        f"The run was not started. Invalid sync request: the input must be a JSON object, got {kind}"
    )
    assert summary["executions"] == []
    (message,) = summary["notifications"]
    assert message["subject"] == "DataSync unknown task: sync FAILED (InvalidSyncRequest)"
    assert f"the input must be a JSON object, got {kind}" in message["message"]


@pytest.mark.parametrize(("raw", "kind"), [([{"taskArn": TASK}], "an array"), ("nightly", "a string"), (7, "a number")])
def test_a_batch_started_with_json_that_is_not_an_object_is_rejected_with_one_message(raw: object, kind: str) -> None:
    summary = run("bad-input", rawInput=raw, trigger="batch")

    assert summary["status"] == "FAILED"
    assert summary["error"] == "InvalidBatchRequest"
    assert f"Invalid batch request: the input must be a JSON object, got {kind}" in summary["cause"]
    assert summary["executions"] == [] and summary["batch"]["children"] == []
    (message,) = summary["notifications"]
    assert message["subject"] == "DataSync batch: FAILED (InvalidBatchRequest)"


def test_a_batch_naming_the_same_task_twice_is_refused_before_any_start() -> None:
    summary = run("duplicate-task-batch")

    assert summary["status"] == "FAILED"
    assert summary["error"] == "InvalidBatchRequest"
    assert "tasks[1] (task-0123456789abcdef0): the same task as tasks[0]" in summary["cause"]
    assert summary["executions"] == [] and summary["batch"]["children"] == []
    (message,) = summary["notifications"]
    assert "the same task as tasks[0]" in message["message"]
