"""A batch of tasks: its input checked before anything starts, its outcomes told in one message."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from datasync_scheduler.batch_steps import summarize_batch_step, validate_batch
from datasync_scheduler.domain.batch import (
    EXECUTION_NAME_LIMIT,
    InvalidBatchRequest,
    child_execution_name,
    parse_batch_request,
    summarize_batch,
    task_outcome,
)
from datasync_scheduler.domain.notification import render_batch
from datasync_scheduler.domain.publication import email_text

ACCOUNT = "arn:aws:datasync:eu-west-1:123456789012"
TASKS = [f"{ACCOUNT}:task/task-{index:017x}" for index in range(6)]
BATCH = "arn:aws:states:eu-west-1:123456789012:execution:stack-BatchWorkflow:nightly-2026-11-22"


def rejection(raw: object) -> str:
    with pytest.raises(InvalidBatchRequest) as caught:
        parse_batch_request(raw)
    return str(caught.value)


def test_a_batch_is_a_list_of_sync_requests_and_a_concurrency_limit() -> None:
    batch = parse_batch_request(
        {"tasks": [{"taskArn": TASKS[0]}, {"taskArn": TASKS[1], "includes": "/a|/b*"}], "maxConcurrency": 2}
    )
    assert [task.taskArn for task in batch.tasks] == TASKS[:2]
    assert batch.tasks[1].includes == "/a|/b*"
    assert batch.max_concurrency == 2


def test_a_bad_item_is_named_by_its_index_and_field_with_the_task_it_names() -> None:
    message = rejection(
        {
            "tasks": [{"taskArn": TASKS[0]}, {"taskArn": TASKS[1], "overrides": {"VerifyMode": "SOMETIMES"}}],
            "maxConcurrency": 2,
        }
    )
    assert message.startswith("Invalid batch request: tasks[1] (task-00000000000000001): overrides.VerifyMode: ")
    assert "tasks[0]" not in message


def test_every_problem_is_named_at_once() -> None:
    message = rejection(
        {"tasks": [{"taskArn": "task-1"}, "not a request", {"taskArn": TASKS[2], "priority": 1}], "extra": True}
    )
    assert "tasks[0]: taskArn: must be a DataSync task ARN" in message
    assert "tasks[1]: must be a sync request object" in message and "got str" in message
    assert "tasks[2] (task-00000000000000002): priority: unknown field" in message
    assert "extra: unknown field" in message
    assert "maxConcurrency: required field is missing" in message


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"tasks": [], "maxConcurrency": 1}, "tasks: the batch needs at least one task"),
        ({"maxConcurrency": 1}, "tasks: required field is missing"),
        ({"tasks": {"taskArn": TASKS[0]}, "maxConcurrency": 1}, "tasks: must be a list of sync requests, got dict"),
        ({"tasks": [{"taskArn": TASKS[0]}], "maxConcurrency": 0}, "maxConcurrency: must be from 1 to 100, got 0"),
        ({"tasks": [{"taskArn": TASKS[0]}], "maxConcurrency": 101}, "maxConcurrency: must be from 1 to 100, got 101"),
        ({"tasks": [{"taskArn": TASKS[0]}], "maxConcurrency": "2"}, "must be a whole number from 1 to 100, got str"),
        ({"tasks": [{"taskArn": TASKS[0]}], "maxConcurrency": True}, "must be a whole number from 1 to 100, got bool"),
        ([{"taskArn": TASKS[0]}], "the input must be a JSON object, got list"),
    ],
)
def test_an_empty_batch_or_a_concurrency_outside_1_to_100_is_rejected(raw: object, expected: str) -> None:
    assert expected in rejection(raw)


def test_the_map_items_carry_each_request_exactly_as_given_and_a_name_derived_from_the_batch() -> None:
    request = {"taskArn": TASKS[0], "overrides": {"LogLevel": "BASIC"}, "excludes": "*.tmp"}
    validated = validate_batch({"tasks": [request, {"taskArn": TASKS[1]}], "maxConcurrency": 3}, BATCH, "nightly")
    assert validated == {
        "tasks": [
            {"index": 0, "name": "nightly-0", "request": request},
            {"index": 1, "name": "nightly-1", "request": {"taskArn": TASKS[1]}},
        ],
        "maxConcurrency": 3,
    }


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=80), st.integers(0, 9999))
def test_a_child_name_fits_step_functions_and_is_the_same_for_the_same_task_of_the_same_batch(
    batch_name: str, index: int
) -> None:
    name = child_execution_name(batch_name, f"{BATCH}-{batch_name}", index)
    assert 1 <= len(name) <= EXECUTION_NAME_LIMIT
    assert name.endswith(f"-{index}")
    assert name == child_execution_name(batch_name, f"{BATCH}-{batch_name}", index)


def test_long_batch_names_that_share_a_prefix_still_give_different_child_names() -> None:
    long_name = "x" * 80
    first = child_execution_name(long_name, f"{BATCH}-a", 7)
    second = child_execution_name(long_name, f"{BATCH}-b", 7)
    assert first != second and len(first) == len(second) == EXECUTION_NAME_LIMIT


def succeeded(index: int, name: str, attempts: int = 1) -> dict[str, Any]:
    return {
        "index": index,
        "name": f"nightly-{index}",
        "request": {"taskArn": TASKS[index]},
        "run": {
            "status": "SUCCEEDED",
            "executionArn": f"{BATCH}-{index}",
            "taskArn": TASKS[index],
            "taskName": name,
            "verdict": {"status": "SUCCEEDED", "error": "", "reason": "DataSync completed the execution successfully."},
            "filesTransferred": 1200,
            "bytesTransferred": 5 * 1024**3,
            "attempts": attempts,
        },
    }


def failed(index: int, error: str, cause: str, status: str = "FAILED", casing: str = "Pascal") -> dict[str, Any]:
    """What the Map's Catch keeps for a child that did not succeed (Cause: its DescribeExecution, as JSON)."""
    described = {
        "ExecutionArn": f"{BATCH}-{index}",
        "Status": status,
        "Error": error,
        "Cause": cause,
        "Input": json.dumps({"taskArn": TASKS[index]}),
    }
    if casing == "camel":
        described = {key[0].lower() + key[1:]: value for key, value in described.items()}
    return {
        "index": index,
        "name": f"nightly-{index}",
        "taskArn": TASKS[index],
        "error": {"Error": "States.TaskFailed", "Cause": json.dumps(described)},
    }


def test_a_failed_child_is_read_from_the_description_step_functions_puts_in_the_cause() -> None:
    outcome = task_outcome(failed(2, "DataSync.ExecutionError", "DataSync ended the execution in ERROR"))
    assert outcome.to_dict() == {
        "index": 2,
        "taskArn": TASKS[2],
        "taskName": None,
        "status": "FAILED",
        "executionArn": f"{BATCH}-2",
        "error": "DataSync.ExecutionError",
        "cause": "DataSync ended the execution in ERROR",
    }
    # The API's own camelCase spelling reads the same.
    assert task_outcome(failed(2, "E", "C", status="TIMED_OUT", casing="camel")).status == "TIMED_OUT"


def test_a_child_that_never_started_keeps_step_functions_own_error() -> None:
    item = {
        "index": 4,
        "name": "nightly-4",
        "taskArn": TASKS[4],
        "error": {"Error": "StepFunctions.ExecutionLimitExceeded", "Cause": "Too many executions (Service: …)"},
    }
    outcome = task_outcome(item)
    assert (outcome.status, outcome.execution_arn, outcome.error) == (
        "FAILED",
        None,
        "StepFunctions.ExecutionLimitExceeded",
    )
    assert outcome.cause.startswith("Too many executions")


def test_the_batch_succeeds_only_when_every_task_succeeded() -> None:
    summary = summarize_batch(
        [succeeded(0, "finance"), succeeded(1, "design", attempts=2)], max_concurrency=2, batch_execution=BATCH
    )
    assert summary.verdict.status == "SUCCEEDED"
    assert summary.to_dict()["counts"] == {"tasks": 2, "succeeded": 2, "failed": 0}

    summary = summarize_batch(
        [succeeded(0, "finance"), failed(1, "DataSync.ExecutionError", "access denied"), succeeded(2, "hr")],
        max_concurrency=2,
        batch_execution=BATCH,
        task_names={TASKS[1]: "partner-drop"},
    )
    assert summary.verdict.status == "FAILED"
    assert summary.verdict.error == "Batch.TasksFailed"
    assert summary.verdict.reason == "1 of 3 task(s) failed: partner-drop (DataSync.ExecutionError)."
    assert summary.to_dict()["byStatus"] == {"FAILED": 1, "SUCCEEDED": 2}


def test_outcomes_are_listed_in_the_batchs_order_whatever_order_the_runs_ended_in() -> None:
    summary = summarize_batch(
        [succeeded(2, "c"), failed(0, "E", "x"), succeeded(1, "b")], max_concurrency=3, batch_execution=BATCH
    )
    assert [outcome.index for outcome in summary.outcomes] == [0, 1, 2]


def test_the_reason_names_a_few_failed_tasks_and_counts_the_rest() -> None:
    items = [failed(index, "DataSync.ExecutionError", "x") for index in range(6)]
    reason = summarize_batch(items, max_concurrency=1, batch_execution=BATCH).verdict.reason
    assert reason.startswith("6 of 6 task(s) failed: task-00000000000000000 (DataSync.ExecutionError), ")
    assert reason.endswith(" and 1 more.")


def test_one_message_counts_the_outcomes_and_has_one_line_per_task() -> None:
    summary = summarize_batch(
        [
            succeeded(0, "finance-share"),
            succeeded(1, "design-share", attempts=2),
            failed(2, "DataSync.ExecutionError", "DataSync ended the execution in ERROR: access denied"),
            succeeded(3, "photo-archive"),
            succeeded(4, "hr-records"),
        ],
        max_concurrency=2,
        batch_execution=BATCH,
        task_names={TASKS[2]: "partner-drop"},
    )
    notification = render_batch(summary)
    assert notification.subject == "DataSync batch: 4 of 5 tasks succeeded, 1 FAILED"
    lines = notification.message.splitlines()
    assert lines[0] == "The DataSync batch ran 5 task(s), at most 2 at a time: 4 succeeded, 1 failed."
    tasks = task_lines(notification.message)
    assert tasks == [
        "  SUCCEEDED finance-share: 1,200 file(s), 5.0 GiB",
        "  SUCCEEDED design-share: recovered on attempt 2 (1,200 file(s), 5.0 GiB)",
        "  FAILED    partner-drop: DataSync.ExecutionError - DataSync ended the execution in ERROR: access denied",
        "  SUCCEEDED photo-archive: 1,200 file(s), 5.0 GiB",
        "  SUCCEEDED hr-records: 1,200 file(s), 5.0 GiB",
    ]
    assert lines[-1] == f"Batch execution: {BATCH}"


def task_lines(message: str) -> list[str]:
    """The lines of the message's "Tasks:" section."""
    section = message.split("\nTasks:\n", 1)[1].split("\n\n", 1)[0]
    return section.splitlines()


def test_a_task_name_or_a_reason_cannot_break_a_line_of_the_message() -> None:
    summary = summarize_batch(
        [succeeded(0, "evil\nname\x1b[31m"), failed(1, "E", "first line\nsecond line " + "x" * 500)],
        max_concurrency=1,
        batch_execution=BATCH,
    )
    tasks = task_lines(render_batch(summary).message)
    assert len(tasks) == 2
    assert "evil?name?[31m" in tasks[0]
    assert tasks[1].endswith("...") and len(tasks[1]) < 260


@given(st.text(max_size=300), st.integers(0, 3), st.integers(0, 3))
def test_the_subject_is_always_ascii_and_within_the_sns_limit(name: str, good: int, bad: int) -> None:
    items = [succeeded(index, name) for index in range(good)]
    items += [failed(good + index, name, name) for index in range(bad)]
    subject = render_batch(summarize_batch(items, max_concurrency=1, batch_execution=BATCH)).subject
    assert len(subject) < 100 and subject.isascii() and "\n" not in subject


def test_a_rejected_batch_is_reported_with_the_reason_and_nothing_else() -> None:
    state = {
        "tasks": [{"taskArn": "bad"}],
        "inputError": {"Error": "InvalidBatchRequest", "Cause": json.dumps({"errorMessage": "Invalid batch: x"})},
    }
    report = summarize_batch_step(state, BATCH, lambda arn: pytest.fail("no task is looked up"))
    assert report["result"]["verdict"] == {
        "status": "FAILED",
        "error": "InvalidBatchRequest",
        "reason": "The batch was not started. Invalid batch: x",
    }
    assert report["result"]["tasks"] == []
    assert report["notification"]["subject"] == "DataSync batch: FAILED (InvalidBatchRequest)"


def test_only_tasks_without_a_name_are_looked_up_and_a_failed_look_up_leaves_the_task_id() -> None:
    asked: list[str] = []

    def task_name(arn: str) -> str | None:
        asked.append(arn)
        return None

    state = {"maxConcurrency": 2, "results": [succeeded(0, "finance"), failed(1, "E", "x")]}
    report = summarize_batch_step(state, BATCH, task_name)
    assert asked == [TASKS[1]]
    assert "FAILED    task-00000000000000001: E - x" in email_text(report["notification"])


def test_a_batch_that_broke_down_still_reports_what_it_knows() -> None:
    state = {
        "maxConcurrency": 2,
        "mapError": {"Error": "States.DataLimitExceeded", "Cause": "The state/task returned a result too large"},
    }
    report = summarize_batch_step(state, BATCH, lambda arn: None)
    assert report["result"]["verdict"]["error"] == "Batch.Interrupted"
    assert "too large" in report["result"]["verdict"]["reason"]
    assert report["notification"]["subject"] == "DataSync batch: FAILED (Batch.Interrupted)"
