"""Hostile input to a run or a batch: each one is refused before anything starts, naming its field."""

import json

import pytest

from datasync_scheduler.domain.batch import InvalidBatchRequest, parse_batch_request
from datasync_scheduler.domain.sync_request import (
    JAVA_LONG_MAX,
    InvalidSyncRequest,
    StackHome,
    parse_sync_request,
)
from datasync_scheduler.workflow.report_run import _task_arn_of
from datasync_scheduler.workflow.state.sync import ReportRunInput

HOME = StackHome(partition="aws", region="eu-west-1", account="123456789012")
TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
OTHER_TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef1"


def rejection(raw: object) -> str:
    with pytest.raises(InvalidSyncRequest) as caught:
        parse_sync_request(raw, home=HOME)
    return str(caught.value)


def batch_rejection(raw: object) -> str:
    with pytest.raises(InvalidBatchRequest) as caught:
        parse_batch_request(raw, home=HOME)
    return str(caught.value)


@pytest.mark.parametrize(
    ("raw", "kind"), [([TASK], "an array"), ("x", "a string"), (5, "a number"), (True, "true"), (None, "null")]
)
def test_json_that_is_not_an_object_is_named_in_jsons_words(raw: object, kind: str) -> None:
    assert rejection(raw) == f"Invalid sync request: the input must be a JSON object, got {kind}"
    assert batch_rejection(raw) == f"Invalid batch request: the input must be a JSON object, got {kind}"


@pytest.mark.parametrize("value", [True, False, "100", 1.5, 1.0, [], {}])
def test_a_bandwidth_limit_is_a_whole_number_never_a_boolean_or_a_string(value: object) -> None:
    assert "overrides.BytesPerSecond:" in rejection({"taskArn": TASK, "overrides": {"BytesPerSecond": value}})


def test_a_bandwidth_limit_stays_within_datasyncs_long_and_its_minimum() -> None:
    assert parse_sync_request(
        {"taskArn": TASK, "overrides": {"BytesPerSecond": JAVA_LONG_MAX}}, home=HOME
    ).overrides.as_api() == {"BytesPerSecond": JAVA_LONG_MAX}
    assert "overrides.BytesPerSecond:" in rejection(
        {"taskArn": TASK, "overrides": {"BytesPerSecond": JAVA_LONG_MAX + 1}}
    )
    assert "overrides.BytesPerSecond:" in rejection({"taskArn": TASK, "overrides": {"BytesPerSecond": -2}})


@pytest.mark.parametrize("value", [1, True, ["NONE"], {"NONE": 1}])
def test_an_option_value_is_one_of_datasyncs_words_never_another_type(value: object) -> None:
    assert "overrides.VerifyMode:" in rejection({"taskArn": TASK, "overrides": {"VerifyMode": value}})


@pytest.mark.parametrize("field", ["taskArn", "includes", "excludes"])
def test_text_fields_take_text_only(field: str) -> None:
    raw: dict[str, object] = {"taskArn": TASK, field: 12}
    assert f"{field}:" in rejection(raw)


def test_overrides_must_be_an_object() -> None:
    assert "overrides:" in rejection({"taskArn": TASK, "overrides": ["LogLevel"]})


def test_access_time_preserved_needs_modification_time_preserved() -> None:
    message = rejection({"taskArn": TASK, "overrides": {"Atime": "BEST_EFFORT", "Mtime": "NONE"}})
    assert "overrides: Atime BEST_EFFORT requires Mtime PRESERVE" in message


def test_deleting_what_the_source_lacks_needs_a_comparison_so_not_transfer_mode_all() -> None:
    message = rejection({"taskArn": TASK, "overrides": {"TransferMode": "ALL", "PreserveDeletedFiles": "REMOVE"}})
    assert "overrides: PreserveDeletedFiles REMOVE cannot be combined with TransferMode ALL" in message


@pytest.mark.parametrize(
    "arn",
    [
        TASK + "\n",
        " " + TASK,
        TASK + "0",
        TASK.upper(),
    ],
)
def test_a_task_arn_is_matched_whole(arn: str) -> None:
    assert "taskArn: must be a DataSync task ARN" in rejection({"taskArn": arn})


@pytest.mark.parametrize(
    ("arn", "what"),
    [
        (TASK.replace("arn:aws:", "arn:aws-cn:"), "partition aws-cn"),
        (TASK.replace("eu-west-1", "us-east-1"), "Region us-east-1"),
        (TASK.replace("eu-west-1", "xx-nowhere-9"), "Region xx-nowhere-9"),
        (TASK.replace("123456789012", "210987654321"), "account 210987654321"),
    ],
)
def test_a_task_the_stack_cannot_reach_is_refused_naming_why(arn: str, what: str) -> None:
    message = rejection({"taskArn": arn})
    assert message.startswith("Invalid sync request: taskArn: ")
    assert what in message
    assert "deploy" in message


def test_a_thousand_unknown_fields_give_a_bounded_message_that_counts_the_rest() -> None:
    raw = {"taskArn": TASK, **{f"field-{index}\n" + "x" * 500: index for index in range(1000)}}
    message = rejection(raw)
    assert len(message.encode()) < 4096
    assert "\n" not in message
    assert "and 990 more problem(s)" in message


def test_a_long_bad_pattern_is_shortened_in_the_message() -> None:
    message = rejection({"taskArn": TASK, "includes": "a" * 100_000})
    assert "includes:" in message
    assert len(message) < 1000


def test_the_same_task_twice_in_one_batch_is_refused_naming_both_positions() -> None:
    message = batch_rejection(
        {"tasks": [{"taskArn": TASK}, {"taskArn": OTHER_TASK}, {"taskArn": TASK}], "maxConcurrency": 2}
    )
    assert "tasks[2] (task-0123456789abcdef0): the same task as tasks[0]" in message


def test_a_batch_of_a_thousand_bad_items_gives_a_bounded_message() -> None:
    items = [{"taskArn": TASK, "overrides": {"BytesPerSecond": True}, "x" * 300: 1}] * 50
    message = batch_rejection({"tasks": items, "maxConcurrency": 2})
    assert len(message.encode()) < 4096
    assert "more problem(s)" in message


def test_a_batch_too_large_for_the_workflow_is_refused_naming_the_limit() -> None:
    items = [{"taskArn": TASK, "includes": "/" + "a" * 2000}] * 40
    message = batch_rejection({"tasks": items, "maxConcurrency": 2})
    assert "a batch carries at most 64,512" in message
    assert json.dumps(items).encode()  # the batch's requests were measured as JSON


def test_a_rejected_run_names_its_task_only_when_the_arn_is_whole() -> None:
    def named(task_arn: str) -> str | None:
        failure = {"step": "Validate Sync Request", "error": {"Error": "InvalidSyncRequest", "Cause": "x"}}
        step = ReportRunInput.model_validate(
            {"request": None, "failure": failure | {"rejectedInput": {"taskArn": task_arn}}, "taskExecution": None}
            | {"workflowExecution": "arn:aws:states:eu-west-1:123456789012:execution:s:n", "startedAt": None}
            | {"attempts": None, "analysis": None, "analysisError": None}
        )
        return _task_arn_of(step)

    assert named(TASK) == TASK
    assert named(TASK + "-and-more") is None
