"""A run's input is checked before anything is started, and errors name the field."""

import botocore.session
import pytest

from datasync_scheduler.domain.sync_request import (
    FILTER_LIMIT,
    InvalidSyncRequest,
    OverrideOptions,
    StackHome,
    SyncRequest,
    parse_sync_request,
)

TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
HOME = StackHome(partition="aws", region="eu-west-1", account="123456789012")


def rejection(raw: object) -> str:
    with pytest.raises(InvalidSyncRequest) as caught:
        parse_sync_request(raw, home=HOME)
    return str(caught.value)


def test_a_complete_request_is_accepted_as_written() -> None:
    request = parse_sync_request(
        home=HOME,
        raw={
            "taskArn": TASK,
            "overrides": {"VerifyMode": "ONLY_FILES_TRANSFERRED", "BytesPerSecond": -1, "LogLevel": "BASIC"},
            "includes": "/projects/2026*|/reports",
            "excludes": "*.tmp|*/.snapshot",
        },
    )
    assert request.taskArn == TASK
    assert request.overrides.as_api() == {
        "VerifyMode": "ONLY_FILES_TRANSFERRED",
        "BytesPerSecond": -1,
        "LogLevel": "BASIC",
    }


def test_only_the_task_is_required() -> None:
    request = parse_sync_request({"taskArn": TASK}, home=HOME)
    assert request.overrides.as_api() == {}
    assert request.includes is None and request.excludes is None


def test_a_missing_task_arn_is_named() -> None:
    assert rejection({}) == "Invalid sync request: taskArn: required field is missing"


@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:datasync:eu-west-1:123456789012:task/nightly",
        "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0",
        "arn:aws:s3:::bucket",
        "task-0123456789abcdef0",
        "",
    ],
)
def test_a_malformed_task_arn_is_rejected_with_an_example(arn: str) -> None:
    message = rejection({"taskArn": arn})
    assert message.startswith("Invalid sync request: taskArn: must be a DataSync task ARN like arn:aws:datasync:")


def test_unknown_fields_are_rejected_at_every_level() -> None:
    message = rejection({"taskArn": TASK, "priority": "high", "overrides": {"Verify": "NONE"}})
    assert "priority: unknown field" in message
    assert "overrides.Verify: unknown field" in message


def test_every_bad_field_is_reported_at_once() -> None:
    message = rejection({"taskArn": "nope", "overrides": {"VerifyMode": "SOMETIMES", "BytesPerSecond": -5}})
    assert "taskArn:" in message
    assert "overrides.VerifyMode: Input should be 'POINT_IN_TIME_CONSISTENT'" in message
    assert "overrides.BytesPerSecond:" in message


def test_include_patterns_follow_datasync_rules() -> None:
    assert "must start with '/'" in rejection({"taskArn": TASK, "includes": "projects"})
    assert "'*' only as its last character" in rejection({"taskArn": TASK, "includes": "/a*/b"})
    assert "empty pattern" in rejection({"taskArn": TASK, "excludes": "*.tmp||*.bak"})


def test_filters_longer_than_datasync_allows_are_rejected() -> None:
    message = rejection({"taskArn": TASK, "includes": "/" + "a" * FILTER_LIMIT})
    assert f"DataSync allows {FILTER_LIMIT}" in message


def test_option_combinations_datasync_refuses_are_rejected_up_front() -> None:
    message = rejection({"taskArn": TASK, "overrides": {"TransferMode": "ALL", "PreserveDeletedFiles": "REMOVE"}})
    assert "overrides: PreserveDeletedFiles REMOVE cannot be combined with TransferMode ALL" in message


def test_the_input_must_be_an_object() -> None:
    assert rejection(["taskArn"]) == "Invalid sync request: the input must be a JSON object, got an array"


def test_override_options_match_the_datasync_api_model() -> None:
    """The model is generated from botocore's `Options` shape, so it cannot drift from what DataSync accepts."""
    generated = SyncRequest.model_fields["overrides"].annotation
    assert isinstance(generated, type) and issubclass(generated, OverrideOptions)
    options = botocore.session.get_session().get_service_model("datasync").shape_for("Options")
    assert set(generated.model_fields) == set(options.members)
    for name, shape in options.members.items():
        for value in shape.metadata.get("enum", []):
            generated.model_validate({name: value})  # every value DataSync knows is accepted
        if shape.metadata.get("enum"):
            with pytest.raises(ValueError):
                generated.model_validate({name: "NOT_A_DATASYNC_VALUE"})


def test_a_run_may_carry_its_own_deadline_which_is_not_part_of_what_datasync_is_asked() -> None:
    request = parse_sync_request({"taskArn": TASK, "runDeadlineSeconds": 7200}, home=HOME)
    assert request.runDeadlineSeconds == 7200
    # Two firings with different deadlines ask DataSync for the same sync.
    without = parse_sync_request({"taskArn": TASK}, home=HOME)
    assert request.to_sync() == without.to_sync()
    assert without.runDeadlineSeconds is None


@pytest.mark.parametrize(
    ("deadline", "problem"),
    [
        (-1, "runDeadlineSeconds: Input should be greater than or equal to 0"),
        (31_536_001, "runDeadlineSeconds: Input should be less than or equal to 31536000"),
        ("3600", "runDeadlineSeconds: Input should be a valid integer"),
        (True, "runDeadlineSeconds: Input should be a valid integer"),
    ],
)
def test_a_runs_deadline_is_bounded_like_the_stacks_parameter_and_named_when_wrong(
    deadline: object, problem: str
) -> None:
    assert problem in rejection({"taskArn": TASK, "runDeadlineSeconds": deadline})
