"""A batch of tasks: its input checked before anything starts, its outcomes told in one message."""

import json
from collections.abc import Mapping
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from datasync_scheduler.adapters.notification_topic import NotPublished
from datasync_scheduler.composition.settings import SummarizeBatchSettings
from datasync_scheduler.domain.batch import (
    EXECUTION_NAME_LIMIT,
    MAX_CONCURRENCY,
    MAX_TASKS,
    REQUESTS_LIMIT,
    InvalidBatchRequest,
    TaskOutcome,
    child_execution_name,
    failed_outcome,
    parse_batch_request,
)
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.messages.publication import email_text
from datasync_scheduler.workflow.state.batch import SummarizeBatchInput, ValidateBatchInput
from datasync_scheduler.workflow.summarize_batch import summarize_batch_step
from datasync_scheduler.workflow.validate_batch import validate_batch
from tests.fakes import FakeBatchObjects
from tests.template_environment import template_settings

ACCOUNT = "arn:aws:datasync:eu-west-1:123456789012"
# Summarize Batch's settings as the template's defaults give them.
MESSAGES = template_settings(SummarizeBatchSettings, "SummarizeBatchFunction")
HOME = StackHome(partition="aws", region="eu-west-1", account="123456789012")
TASKS = [f"{ACCOUNT}:task/task-{index:017x}" for index in range(6)]
BATCH = "arn:aws:states:eu-west-1:123456789012:execution:stack-BatchWorkflow:nightly-2026-11-22"


def rejection(raw: object) -> str:
    with pytest.raises(InvalidBatchRequest) as caught:
        parse_batch_request(raw, home=HOME)
    return str(caught.value)


def test_a_batch_is_a_list_of_sync_requests_and_a_concurrency_limit() -> None:
    batch = parse_batch_request(
        {"tasks": [{"taskArn": TASKS[0]}, {"taskArn": TASKS[1], "includes": "/a|/b*"}], "maxConcurrency": 2},
        home=HOME,
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
    assert "tasks[1]: must be a sync request object" in message and "got a string" in message
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
        (
            {"tasks": [{"taskArn": TASKS[0]}], "maxConcurrency": "2"},
            "must be a whole number from 1 to 100, got a string",
        ),
        ({"tasks": [{"taskArn": TASKS[0]}], "maxConcurrency": True}, "must be a whole number from 1 to 100, got true"),
        ([{"taskArn": TASKS[0]}], "the input must be a JSON object, got an array"),
    ],
)
def test_an_empty_batch_or_a_concurrency_outside_1_to_100_is_rejected(raw: object, expected: str) -> None:
    assert expected in rejection(raw)


def test_validate_batch_writes_each_tasks_item_to_s3_and_keeps_only_where_they_are() -> None:
    request = {"taskArn": TASKS[0], "overrides": {"LogLevel": "BASIC"}, "excludes": "*.tmp"}
    event = ValidateBatchInput(
        input={"tasks": [request, {"taskArn": TASKS[1]}], "maxConcurrency": 3},
        batch_execution=BATCH,
        batch_name="nightly",
    )
    objects = FakeBatchObjects("reports")
    # The Map reads its items from S3: the state carries how many and where, never a request.
    assert validate_batch(event, HOME, objects).to_state() == {
        "batch": {
            "tasks": 2,
            "maxConcurrency": 3,
            "items": {"bucket": "reports", "key": "batches/nightly/items.json"},
            "skipped": None,
        }
    }
    # Each item: its index, its run's name, the request exactly as given.
    assert objects.get_json("reports", "batches/nightly/items.json") == [
        {"index": 0, "name": "nightly-0", "request": request},
        {"index": 1, "name": "nightly-1", "request": {"taskArn": TASKS[1]}},
    ]


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


SYNC_WORKFLOW = "arn:aws:states:eu-west-1:123456789012:stateMachine:SyncWorkflow-1c2fa620"


def succeeded(index: int, name: str | None, attempts: int = 1) -> dict[str, Any]:
    """What Run Task's ResultSelector keeps of a run that succeeded."""
    return {
        "succeeded": True,
        "index": index,
        "taskArn": TASKS[index],
        "taskName": name,
        "filesTransferred": 1200,
        "bytesTransferred": 5 * 1024**3,
        "attempts": attempts,
    }


def not_succeeded(index: int, error: str = "States.TaskFailed") -> dict[str, Any]:
    """What the Map's `Task Failed` keeps of a run that did not succeed: the error's name."""
    return {"succeeded": False, "index": index, "taskArn": TASKS[index], "error": error}


def succeeded_task(index: int, name: str, attempts: int = 1) -> TaskOutcome:
    """A task whose run succeeded, as the batch's summary sees it."""
    return TaskOutcome(
        index=index,
        task_arn=TASKS[index],
        status="SUCCEEDED",
        execution_arn=f"{BATCH}-{index}",
        task_name=name,
        files_transferred=1200,
        bytes_transferred=5 * 1024**3,
        attempts=attempts,
    )


def failed_task(index: int, error: str, cause: str, status: str = "FAILED") -> TaskOutcome:
    """A task whose run did not succeed, with its run's own error and cause."""
    described = {"executionArn": f"{BATCH}-{index}", "status": status, "error": error, "cause": cause}
    return failed_outcome(index, TASKS[index], "States.TaskFailed", described, None)


class Topic:
    """The notification topic: keeps what was published, or refuses like SNS after its retries."""

    def __init__(self, refusal: str | None = None) -> None:
        self.refusal = refusal
        self.published: list[dict[str, Any]] = []

    def publish(self, *, subject: str, structured: str, attributes: Mapping[str, Mapping[str, str]]) -> str:
        if self.refusal:
            raise NotPublished(self.refusal, "SNS did not take the message")
        self.published.append({"subject": subject, "structured": structured, "attributes": attributes})
        return f"message-{len(self.published)}"


def summarize(
    results: list[dict[str, Any]],
    described: Mapping[str, Mapping[str, str]] | None = None,
    names: Mapping[str, str] | None = None,
    topic: Topic | None = None,
    max_concurrency: int = 2,
) -> tuple[dict[str, Any], Topic]:
    """Summarize Batch on a batch `nightly` whose Map returned `results`; `described` by run name."""
    topic = topic or Topic()
    event = SummarizeBatchInput.model_validate(
        {
            "batch": {
                "names": [f"nightly-{index}" for index in range(len(results))],
                "maxConcurrency": max_concurrency,
                "results": results,
            },
            "batchExecution": BATCH,
            "batchName": "nightly",
            "syncWorkflow": SYNC_WORKFLOW,
        }
    )
    output = summarize_batch_step(
        event,
        lambda arn: (names or {}).get(arn),
        topic,
        MESSAGES,
        described_run=lambda arn: (described or {}).get(arn.rsplit(":", 1)[-1]),
    )
    return output.to_state()["result"], topic


def failure(name: str, error: str, cause: str, status: str = "FAILED") -> dict[str, dict[str, str]]:
    """A run's DescribeExecution, as Summarize Batch reads it for a task that did not succeed."""
    return {name: {"executionArn": f"{BATCH}-x", "status": status, "error": error, "cause": cause}}


def test_a_failed_run_is_read_from_its_description() -> None:
    result, _ = summarize(
        [succeeded(0, "finance"), not_succeeded(1)],
        failure("nightly-1", "DataSync.ExecutionError", "DataSync ended the execution in ERROR"),
    )
    assert result["tasks"][1] == {
        "index": 1,
        "taskArn": TASKS[1],
        "status": "FAILED",
        "error": "DataSync.ExecutionError",
    }
    timed_out, _ = summarize([not_succeeded(0)], failure("nightly-0", "States.Timeout", "", status="TIMED_OUT"))
    assert timed_out["tasks"][0]["status"] == "TIMED_OUT"


def test_a_run_that_never_started_keeps_step_functions_own_error() -> None:
    result, _ = summarize([not_succeeded(0, "StepFunctions.ExecutionLimitExceeded")])
    assert result["tasks"][0] == {
        "index": 0,
        "taskArn": TASKS[0],
        "status": "FAILED",
        "error": "StepFunctions.ExecutionLimitExceeded",
    }
    assert (
        result["verdict"]["reason"]
        == "1 of 1 task(s) failed: task-00000000000000000 (StepFunctions.ExecutionLimitExceeded)."
    )


def test_the_summary_reads_a_failed_run_from_step_functions_by_the_name_the_batch_gave_it() -> None:
    sync_workflow = "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:SyncWorkflow-1c2fa620"
    asked: list[str] = []

    def described_run(arn: str) -> dict[str, str] | None:
        asked.append(arn)
        return {"executionArn": arn, "status": "FAILED", "error": "DataSync.ExecutionError", "cause": "disk full"}

    event = SummarizeBatchInput.model_validate(
        {
            "batch": {
                "names": ["nightly-0", "nightly-1"],
                "maxConcurrency": 2,
                "results": [succeeded(0, "finance"), not_succeeded(1)],
            },
            "batchExecution": BATCH,
            "batchName": "nightly",
            "syncWorkflow": sync_workflow,
        }
    )
    topic = Topic()
    summarize_batch_step(event, lambda arn: None, topic, MESSAGES, described_run=described_run)
    assert asked == ["arn:aws-cn:states:cn-north-1:123456789012:execution:SyncWorkflow-1c2fa620:nightly-1"]
    assert "partner" not in email_text(topic.published[0])
    assert "FAILED    task-00000000000000001: DataSync.ExecutionError - disk full" in email_text(topic.published[0])


def message_of(topic: Topic) -> str:
    (publication,) = topic.published
    return email_text(publication)


def test_the_batch_succeeds_only_when_every_task_succeeded() -> None:
    result, _ = summarize([succeeded(0, "finance"), succeeded(1, "design", attempts=2)])
    assert result["verdict"]["status"] == "SUCCEEDED"
    assert result["counts"] == {"tasks": 2, "succeeded": 2, "failed": 0}

    result, _ = summarize(
        [succeeded(0, "finance"), not_succeeded(1), succeeded(2, "hr")],
        failure("nightly-1", "DataSync.ExecutionError", "access denied"),
        names={TASKS[1]: "partner-drop"},
    )
    assert result["verdict"] == {
        "status": "FAILED",
        "error": "Batch.TasksFailed",
        "reason": "1 of 3 task(s) failed: partner-drop (DataSync.ExecutionError).",
    }
    assert result["byStatus"] == {"FAILED": 1, "SUCCEEDED": 2}


def test_the_reason_names_a_few_failed_tasks_and_counts_the_rest() -> None:
    described = {
        f"nightly-{i}": failure(f"nightly-{i}", "DataSync.ExecutionError", "x")[f"nightly-{i}"] for i in range(6)
    }
    result, _ = summarize([not_succeeded(index) for index in range(6)], described)
    reason = result["verdict"]["reason"]
    assert reason.startswith("6 of 6 task(s) failed: task-00000000000000000 (DataSync.ExecutionError), ")
    assert reason.endswith(" and 1 more.")


def test_one_message_counts_the_outcomes_and_has_one_line_per_task() -> None:
    result, topic = summarize(
        [
            succeeded(0, "finance-share"),
            succeeded(1, "design-share", attempts=2),
            not_succeeded(2),
            succeeded(3, "photo-archive"),
            succeeded(4, "hr-records"),
        ],
        failure("nightly-2", "DataSync.ExecutionError", "DataSync ended the execution in ERROR: access denied"),
        names={TASKS[2]: "partner-drop"},
    )
    (publication,) = topic.published
    assert publication["subject"] == "DataSync batch: 4 of 5 tasks succeeded, 1 FAILED"
    assert publication["attributes"]["kind"] == {"DataType": "String", "StringValue": "batch"}
    assert result["messageId"] == "message-1" and result["notificationError"] is None
    message = message_of(topic)
    lines = message.splitlines()
    assert lines[0] == "The DataSync batch ran 5 task(s), at most 2 at a time: 4 succeeded, 1 failed."
    assert task_lines(message) == [
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
    # A DataSync task name cannot hold these characters; a hand-made sync output could.
    _, topic = summarize(
        [succeeded(0, "evil\nname\x1b[31m"), not_succeeded(1)],
        failure("nightly-1", "E", "first line\nsecond line " + "x" * 500),
        max_concurrency=1,
    )
    tasks = task_lines(message_of(topic))
    assert len(tasks) == 2
    assert "evil\\nname\\u001b[31m" in tasks[0]
    assert tasks[1].endswith("...") and len(tasks[1]) < 260


@given(st.text(max_size=256), st.integers(0, 3), st.integers(0, 3))
def test_the_subject_is_always_ascii_and_within_the_sns_limit(name: str, good: int, bad: int) -> None:
    results = [succeeded(index, name) for index in range(good)] + [not_succeeded(good + i, "E") for i in range(bad)]
    if not results:
        return
    _, topic = summarize(results, names={arn: name for arn in TASKS})
    subject = topic.published[0]["subject"]
    assert len(subject) < 100 and subject.isascii() and "\n" not in subject


def test_a_rejected_batch_is_reported_with_the_reason_and_nothing_else() -> None:
    topic = Topic()
    event = SummarizeBatchInput.model_validate(
        {
            "batch": {
                "notStarted": {
                    "Error": "InvalidBatchRequest",
                    "Cause": json.dumps({"errorMessage": "Invalid batch: x", "errorType": "InvalidBatchRequest"}),
                }
            },
            "batchExecution": BATCH,
            "batchName": "nightly",
            "syncWorkflow": SYNC_WORKFLOW,
        }
    )
    result = summarize_batch_step(
        event, lambda arn: pytest.fail("no task is looked up"), topic, MESSAGES
    ).result.to_state()
    assert result["verdict"] == {
        "status": "FAILED",
        "error": "InvalidBatchRequest",
        "reason": "The batch was not started. Invalid batch: x",
    }
    assert result["tasks"] == []
    assert topic.published[0]["subject"] == "DataSync batch: FAILED (InvalidBatchRequest)"


def test_a_validation_that_itself_failed_is_named_with_its_error_and_request_not_taken_for_a_bad_input() -> None:
    topic = Topic()
    cause = {"errorMessage": "'tasks'", "errorType": "KeyError", "requestId": "c0ffee-1", "stackTrace": []}
    event = SummarizeBatchInput.model_validate(
        {
            "batch": {"notStarted": {"Error": "KeyError", "Cause": json.dumps(cause)}},
            "batchExecution": BATCH,
            "batchName": "nightly",
            "syncWorkflow": SYNC_WORKFLOW,
        }
    )
    result = summarize_batch_step(event, lambda arn: None, topic, MESSAGES).result.to_state()
    assert result["verdict"] == {
        "status": "FAILED",
        "error": "Batch.ValidationFailed",
        "reason": "The batch was not started: Validate Batch failed with KeyError: 'tasks' (request c0ffee-1)",
    }
    message = message_of(topic)
    assert "Validate Batch failed with KeyError" in message and "Fix the batch input" not in message


def test_a_message_sns_refuses_is_kept_as_notification_error_and_the_verdict_stands() -> None:
    result, topic = summarize([succeeded(0, "finance")], topic=Topic(refusal="KMSDisabled"))
    assert topic.published == []
    assert result["notificationError"] == {
        "Error": "SNS.KMSDisabled",
        "Cause": "KMSDisabled: SNS did not take the message",
    }
    assert result["messageId"] is None
    assert result["verdict"]["status"] == "SUCCEEDED"


def test_a_silent_success_publishes_nothing() -> None:
    topic = Topic()
    event = SummarizeBatchInput.model_validate(
        {
            "batch": {"names": ["nightly-0"], "maxConcurrency": 1, "results": [succeeded(0, "finance")]},
            "batchExecution": BATCH,
            "batchName": "nightly",
            "syncWorkflow": SYNC_WORKFLOW,
        }
    )
    settings = template_settings(SummarizeBatchSettings, "SummarizeBatchFunction", SuccessNotification="silent")
    result = summarize_batch_step(event, lambda arn: None, topic, settings).result.to_state()
    assert topic.published == [] and result["messageId"] is None and result["notificationError"] is None


def test_only_tasks_without_a_name_are_looked_up_and_a_failed_look_up_leaves_the_task_id() -> None:
    asked: list[str] = []

    def task_name(arn: str) -> str | None:
        asked.append(arn)
        return None

    topic = Topic()
    event = SummarizeBatchInput.model_validate(
        {
            "batch": {
                "names": ["nightly-0", "nightly-1"],
                "maxConcurrency": 2,
                "results": [succeeded(0, "finance"), not_succeeded(1, "E")],
            },
            "batchExecution": BATCH,
            "batchName": "nightly",
            "syncWorkflow": SYNC_WORKFLOW,
        }
    )
    summarize_batch_step(
        event,
        task_name,
        topic,
        MESSAGES,
        described_run=lambda arn: {"executionArn": arn, "status": "FAILED", "error": "E", "cause": "x"},
    )
    assert asked == [TASKS[1]]
    assert "FAILED    task-00000000000000001: E - x" in message_of(topic)


def test_a_map_result_outside_its_bounds_is_refused_by_the_contract() -> None:
    with pytest.raises(ValidationError):
        SummarizeBatchInput.model_validate(
            {
                "batch": {"names": ["n-0"], "maxConcurrency": 1, "results": [not_succeeded(0, "E" * 257)]},
                "batchExecution": BATCH,
                "batchName": "n",
                "syncWorkflow": SYNC_WORKFLOW,
            }
        )


# The batch's budget for its state at every step (Step Functions' own limit is 256 KiB, UTF-8).
# docs/aws-facts.md#batch-state-budget
STATE_BUDGET = 64 * 1024


def size(value: object) -> int:
    """A value's size as JSON; non-ASCII escaped, which never undercounts its UTF-8 form."""
    return len(json.dumps(value).encode())


def test_a_batch_of_more_tasks_than_its_state_can_hold_is_rejected_naming_the_field() -> None:
    raw = {"tasks": [{"taskArn": TASKS[0]}] * (MAX_TASKS + 1), "maxConcurrency": 2}
    assert f"tasks: a batch holds at most {MAX_TASKS} tasks, got {MAX_TASKS + 1}" in rejection(raw)


def test_a_batch_whose_requests_outgrow_what_it_can_carry_is_rejected_naming_the_field() -> None:
    raw = {"tasks": [{"taskArn": TASKS[0], "excludes": "/x" * 20_000}] * 2, "maxConcurrency": 2}
    assert f"a batch carries at most {REQUESTS_LIMIT:,}" in rejection(raw)


def largest_requests(task_arn: str, tasks: int) -> list[dict[str, Any]]:
    """`tasks` requests whose filters fill the batch to its limit."""
    length = REQUESTS_LIMIT // tasks
    while length >= 0:
        # Distinct tasks (a batch runs each task once): the ARNs differ only in their last digits.
        arns = [f"{task_arn[:-5]}{index:05x}" for index in range(tasks)]
        requests = [{"taskArn": arn, "excludes": '/"' * (length // 2)} for arn in arns]
        if size(requests) <= REQUESTS_LIMIT:
            return requests
        length -= 2
    raise AssertionError(f"{tasks} requests cannot fit REQUESTS_LIMIT")


def worst_state_sizes(tasks: int, caught_cause: str) -> dict[str, int]:
    """Every state of a batch of `tasks` tasks with the longest values, in bytes, by step.

    ARNs in `aws-us-gov`, an 80-character batch name, 256-character task and error names, the largest
    counters, 32,768-character run causes of characters JSON escapes, requests filling REQUESTS_LIMIT;
    `caught_cause` is the Cause a Catch writes when Summarize Batch itself fails. The runs' results
    are in S3 (the Map run's ResultWriter), as the emulator writes them, never in the state.
    """
    partition, region, account = "aws-us-gov", "ap-southeast-5", "123456789012"
    stack_uuid = "1c2fa620-982a-11e3-aff7-50e2416294e0"
    task_arn = f"arn:{partition}:datasync:{region}:{account}:task/task-0123456789abcdef0"
    sync_workflow = f"arn:{partition}:states:{region}:{account}:stateMachine:SyncWorkflow-{stack_uuid}"
    batch_name = "n" * EXECUTION_NAME_LIMIT
    batch = f"arn:{partition}:states:{region}:{account}:execution:BatchWorkflow-{stack_uuid}:{batch_name}"
    longest_task_name = "t" * 256  # DataSync's Name: at most 256 characters
    longest_error = "E" * 256  # a Step Functions error name: at most 256 characters
    longest_cause = '"' * 32_768  # its cause: at most 32,768, here each one escaped to two bytes
    bucket = "b" * 63

    requests = largest_requests(task_arn, tasks)
    raw = {"tasks": requests, "maxConcurrency": MAX_CONCURRENCY}
    validate_input = {"input": raw, "batchExecution": batch, "batchName": batch_name}
    home = StackHome(partition, region, account)
    objects = FakeBatchObjects(bucket)
    validated = validate_batch(ValidateBatchInput.model_validate(validate_input), home, objects).to_state()
    items = objects.get_json(bucket, validated["batch"]["items"]["key"])
    map_run_arn = f"arn:{partition}:states:{region}:{account}:mapRun:BatchWorkflow-{stack_uuid}/RunTasks:" + "u" * 36
    manifest_key = f"batches/{batch_name}/results/{'u' * 36}/manifest.json"
    map_run = {"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}}
    all_succeeded = [
        {
            "succeeded": True,
            "index": index,
            "taskArn": task_arn,
            "taskName": longest_task_name,
            "filesTransferred": 2**63 - 1,
            "bytesTransferred": 2**63 - 1,
            "attempts": 10,
        }
        for index in range(tasks)
    ]
    all_failed = [
        {"succeeded": False, "index": index, "taskArn": task_arn, "error": longest_error} for index in range(tasks)
    ]
    sizes = {
        "Validate Batch input (the batch's input)": size(raw),
        "Validate Batch parameters": size(validate_input),
        "Validate Batch result": size(validated),
        "Run Task input (one item)": size(items[-1]),
    }
    for label, results in (("succeeded", all_succeeded), ("failed", all_failed)):
        files = {
            "SUCCEEDED": [{"Key": f"{manifest_key}.SUCCEEDED_0.json", "Size": 1}],
            "FAILED": [],
            "PENDING": [],
        }
        objects.put_json(manifest_key, {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": files})
        children = [
            {"Status": "SUCCEEDED", "Input": json.dumps(items[result["index"]]), "Output": json.dumps(result)}
            for result in results
        ]
        objects.put_json(f"{manifest_key}.SUCCEEDED_0.json", children)
        after_map = {"batch": {**validated["batch"], "mapRun": map_run}}
        sizes[f"Run Tasks output, all {label}"] = size(after_map)
        parameters = {**after_map, "batchExecution": batch, "batchName": batch_name, "syncWorkflow": sync_workflow}
        sizes[f"Summarize Batch parameters, all {label}"] = size(parameters)
        output = summarize_batch_step(
            SummarizeBatchInput.model_validate(parameters),
            lambda arn: longest_task_name,
            Topic(),
            MESSAGES,
            described_run=lambda arn: {
                "executionArn": arn,
                "status": "TIMED_OUT",
                "error": longest_error,
                "cause": longest_cause,
            },
            objects=objects,
        )
        assert output.result.counts.tasks == tasks
        sizes[f"Summarize Batch result, all {label}"] = size(output.to_state())
        fallback = {"tasks": tasks, "anyFailed": True, "outcome": "unknown"}
        summary_error = {"Error": longest_error, "Cause": caught_cause}
        sizes[f"after Summarize Batch failed, all {label}"] = size(
            {**after_map, "summaryError": summary_error, "fallback": fallback}
        )
    return sizes


# A Python error's Cause as Lambda reports it: its message and stack trace (a few frames of our code).
REALISTIC_CAUSE = "x" * 4096
# The longest Cause Step Functions allows, of characters JSON escapes: each one takes two bytes.
THEORETICAL_CAUSE = '"' * 32_768


# A listed batch's requests fill REQUESTS_LIMIT with about 500 of the shortest requests (a task ARN
# each); 100 is as many tasks as DataSync allows per account and Region.
LISTED_TASKS = [100, 500]


@pytest.mark.parametrize("tasks", LISTED_TASKS)
def test_the_largest_batch_with_the_longest_values_keeps_its_state_within_budget_at_every_step(tasks: int) -> None:
    sizes = worst_state_sizes(tasks, REALISTIC_CAUSE)
    over = {label: bytes_ for label, bytes_ in sizes.items() if bytes_ >= STATE_BUDGET}
    assert not over, sizes


@pytest.mark.parametrize("tasks", LISTED_TASKS)
def test_even_the_longest_cause_step_functions_allows_leaves_the_state_far_under_its_quota(tasks: int) -> None:
    # Only the path where Summarize Batch failed carries a Cause (up to 32,768 characters): above the
    # budget then, never near Step Functions' 256 KiB, whose overflow no Catch could take.
    sizes = worst_state_sizes(tasks, THEORETICAL_CAUSE)
    assert max(sizes.values()) < 256 * 1024 // 2, sizes
