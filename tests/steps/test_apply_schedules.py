"""Apply Schedules on fakes: the plan it follows, the order of its changes, stopping in time to
answer CloudFormation, and the custom resource protocol's one answer per request."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from datasync_scheduler.composition.custom_resource import (
    RESPONSE_LIMIT,
    CustomResourceRequest,
    custom_resource_handler,
)
from datasync_scheduler.domain.schedule_group import ScheduleTarget, desired_schedules, plan
from datasync_scheduler.domain.schedules import parse_schedules
from datasync_scheduler.workflow.apply_schedules import TIME_PER_CHANGE, OutOfTime, apply_schedules, remove_schedules
from tests.fakes import FakeScheduleGroup

TARGET = ScheduleTarget(
    batch_workflow_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:BatchWorkflow-x",
    role_arn="arn:aws:iam::123456789012:role/stack-SchedulerRole",
    dead_letter_arn="arn:aws:sqs:eu-west-1:123456789012:stack-ScheduleDeadLetterQueue",
)
TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"


def file(*schedules: tuple[str, str]) -> Any:
    return parse_schedules(
        {"schedules": [{"name": name, "expression": when, "tasks": [{"taskArn": TASK}]} for name, when in schedules]}
    )


def plenty() -> float:
    return 300.0


def test_the_group_ends_as_the_file_says_additions_first_removals_last() -> None:
    old = desired_schedules(file(("archives", "rate(7 days)"), ("finance", "cron(0 1 * * ? *)")), TARGET)
    group = FakeScheduleGroup(old.values())
    the_plan = apply_schedules(
        file(("finance", "cron(0 2 * * ? *)"), ("render", "rate(4 hours)")), group, TARGET, plenty
    )
    assert the_plan.add == ("render",) and the_plan.remove == ("archives",)
    assert [change.fields for change in the_plan.change] == [("expression",)]
    assert group.calls == [("create", "render"), ("update", "finance"), ("delete", "archives")]
    assert sorted(group.held) == ["finance", "render"]
    # Again: nothing to do.
    group.calls.clear()
    assert apply_schedules(
        file(("finance", "cron(0 2 * * ? *)"), ("render", "rate(4 hours)")), group, TARGET, plenty
    ).empty
    assert group.calls == []


def test_a_schedule_whose_target_or_retries_drifted_is_updated_naming_what_changed() -> None:
    wanted = desired_schedules(file(("finance", "cron(0 1 * * ? *)")), TARGET)["finance"]
    drifted = replace(
        wanted, role_arn="arn:aws:iam::123456789012:role/other", retry_attempts=None, dead_letter_arn=None
    )
    the_plan = plan({"finance": wanted}, {"finance": drifted})
    assert the_plan.change[0].fields == ("role", "deadLetterQueue", "retryPolicy")
    assert the_plan.lines() == [
        "~ finance  (changes role, deadLetterQueue, retryPolicy)",
        "0 to add, 1 to change, 0 to remove, 0 unchanged",
    ]


def test_it_stops_before_the_functions_time_runs_out_and_says_how_far_it_got() -> None:
    group = FakeScheduleGroup()
    left = iter([300.0, 300.0, TIME_PER_CHANGE - 1])
    with pytest.raises(OutOfTime, match="made 2 of 3 schedule changes"):
        apply_schedules(
            file(("a", "rate(1 day)"), ("b", "rate(1 day)"), ("c", "rate(1 day)")), group, TARGET, lambda: next(left)
        )
    assert sorted(group.held) == ["a", "b"]
    # The next deploy makes the rest.
    apply_schedules(file(("a", "rate(1 day)"), ("b", "rate(1 day)"), ("c", "rate(1 day)")), group, TARGET, plenty)
    assert sorted(group.held) == ["a", "b", "c"]


def test_removing_the_schedules_empties_the_group() -> None:
    group = FakeScheduleGroup(desired_schedules(file(("a", "rate(1 day)"), ("b", "rate(1 day)")), TARGET).values())
    assert remove_schedules(group, plenty) == ("a", "b")
    assert group.held == {}


class Context:
    def get_remaining_time_in_millis(self) -> int:
        return 300_000


def request(request_type: str = "Update", **fields: Any) -> dict[str, Any]:
    return {
        "RequestType": request_type,
        "ResponseURL": "https://cloudformation-custom-resource-response.example/presigned",
        "StackId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
        "RequestId": "r-1",
        "LogicalResourceId": "ApplySchedules",
        "PhysicalResourceId": "group-1",
        "ResourceProperties": {"GroupName": "group-1"},
        **fields,
    }


def handler_sending_to(sent: list[tuple[str, dict[str, Any]]], operation: Any) -> Any:
    def send(url: str, body: bytes) -> None:
        assert len(body) <= RESPONSE_LIMIT
        sent.append((url, json.loads(body)))

    return custom_resource_handler(Logger(service="test"), send)(operation)


def test_every_request_is_answered_success_with_the_resource_and_its_data() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    handler = handler_sending_to(sent, lambda req, ctx: ("group-1", {"Summary": "1 added"}))
    handler(request(), Context())
    url, answer = sent[0]
    assert url == "https://cloudformation-custom-resource-response.example/presigned"
    assert answer["Status"] == "SUCCESS"
    assert answer["PhysicalResourceId"] == "group-1"
    assert answer["Data"] == {"Summary": "1 added"}
    assert (answer["StackId"], answer["RequestId"], answer["LogicalResourceId"]) == (
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/s/1",
        "r-1",
        "ApplySchedules",
    )


def test_an_operation_that_raises_is_answered_failed_with_its_sentence_cut_to_fit() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    def operation(req: CustomResourceRequest, ctx: Any) -> tuple[str, dict[str, str]]:
        raise ValueError("schedules[3] (archives).expression: wrong\n" + "x" * 10_000)

    handler_sending_to(sent, operation)(request(), Context())
    answer = sent[0][1]
    assert answer["Status"] == "FAILED"
    assert answer["Reason"].startswith("ValueError: schedules[3] (archives).expression: wrong")
    assert "\n" not in answer["Reason"]
    assert answer["PhysicalResourceId"] == "group-1"


def test_a_create_that_fails_still_names_a_resource_for_the_delete_that_follows() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []

    def operation(req: CustomResourceRequest, ctx: Any) -> tuple[str, dict[str, str]]:
        raise RuntimeError("no")

    event = request("Create")
    del event["PhysicalResourceId"]
    handler_sending_to(sent, operation)(event, Context())
    assert sent[0][1]["PhysicalResourceId"] == "ApplySchedules-r-1"


def test_a_request_that_cannot_be_read_is_still_answered_failed() -> None:
    sent: list[tuple[str, dict[str, Any]]] = []
    handler = handler_sending_to(sent, lambda req, ctx: ("x", {}))
    with pytest.raises(ValueError):
        handler({"ResponseURL": "https://example/presigned", "RequestType": "Replace", "RequestId": "r-2"}, Context())
    assert sent[0][1]["Status"] == "FAILED"
    assert sent[0][1]["RequestId"] == "r-2"
