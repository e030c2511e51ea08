"""A task's own DataSync schedule on the emulator: CreateTask and UpdateTask set it, DescribeTask
shows it with its state (`ScheduleDetails`) as botocore's model shapes them, and a schedule DataSync
disabled by itself (`DisabledBy` SERVICE) is scenario data, never invented by the emulator."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.emulator.test_datasync_emulator import T0, World, error_of, world

__all__ = ["world"]


def describe(world: World, task_arn: str) -> dict[str, object]:
    response: dict[str, object] = world.datasync.describe_task(TaskArn=task_arn)
    return response


def test_a_task_created_without_a_schedule_has_none(world: World) -> None:
    task = world.task()
    described = describe(world, task)
    assert "Schedule" not in described
    assert "ScheduleDetails" not in described


def test_a_task_created_with_a_schedule_shows_it_enabled_since_its_creation(world: World) -> None:
    task = world.task(Schedule={"ScheduleExpression": "cron(0 2 * * ? *)"})
    described = describe(world, task)
    assert described["Schedule"] == {"ScheduleExpression": "cron(0 2 * * ? *)", "Status": "ENABLED"}
    assert described["ScheduleDetails"] == {"StatusUpdateTime": T0}


def test_a_person_disables_the_schedule_with_update_task_and_datasync_says_so(world: World) -> None:
    task = world.task(Schedule={"ScheduleExpression": "rate(12 hours)"})
    world.advance(600)
    world.datasync.update_task(TaskArn=task, Schedule={"ScheduleExpression": "rate(12 hours)", "Status": "DISABLED"})
    described = describe(world, task)
    assert described["Schedule"] == {"ScheduleExpression": "rate(12 hours)", "Status": "DISABLED"}
    assert described["ScheduleDetails"] == {
        "StatusUpdateTime": T0 + timedelta(seconds=600),
        "DisabledBy": "USER",
        "DisabledReason": "Manually disabled by user.",
    }


def test_update_task_gives_a_task_a_schedule_and_changes_nothing_else(world: World) -> None:
    task = world.task(Name="orders")
    world.datasync.update_task(TaskArn=task, Schedule={"ScheduleExpression": "cron(0 3 ? * SUN *)"})
    described = describe(world, task)
    assert described["Name"] == "orders"
    assert described["Schedule"] == {"ScheduleExpression": "cron(0 3 ? * SUN *)", "Status": "ENABLED"}


def test_a_schedule_datasync_disabled_shows_its_reason_and_when(world: World) -> None:
    task = world.task(Schedule={"ScheduleExpression": "cron(0 2 * * ? *)"})
    reason = "Task failed repeatedly: <!channel> access denied | see s3://ledger/config"
    world.emulator.disable_schedule_by_service(task, reason, T0 + timedelta(hours=5))
    described = describe(world, task)
    assert described["Schedule"] == {"ScheduleExpression": "cron(0 2 * * ? *)", "Status": "DISABLED"}
    assert described["ScheduleDetails"] == {
        "StatusUpdateTime": T0 + timedelta(hours=5),
        "DisabledBy": "SERVICE",
        "DisabledReason": reason,
    }


def test_a_person_enables_it_again_and_the_reason_is_gone(world: World) -> None:
    task = world.task(Schedule={"ScheduleExpression": "cron(0 2 * * ? *)"})
    world.emulator.disable_schedule_by_service(task, "Task failed repeatedly.", T0)
    world.advance(60)
    world.datasync.update_task(TaskArn=task, Schedule={"ScheduleExpression": "cron(0 2 * * ? *)", "Status": "ENABLED"})
    assert describe(world, task)["ScheduleDetails"] == {"StatusUpdateTime": T0 + timedelta(seconds=60)}


def test_update_task_refuses_an_unknown_task_and_a_schedule_datasync_would_refuse(world: World) -> None:
    unknown = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
    error = error_of(world.datasync.update_task, TaskArn=unknown, Schedule={"ScheduleExpression": "rate(1 day)"})
    assert error.response["Error"]["Code"] == "InvalidRequestException"
    task = world.task()
    error = error_of(world.datasync.update_task, TaskArn=task, Schedule={"ScheduleExpression": "rate(1 day)$"})
    assert error.response["Error"]["Code"] == "InvalidRequestException"
    assert "ScheduleExpression" in error.response["Error"]["Message"]


def test_a_schedule_more_often_than_hourly_is_refused_as_datasync_documents(world: World) -> None:
    for expression in ("rate(30 minutes)", "cron(0/15 * * * ? *)", "cron(0,30 2 * * ? *)"):
        error = error_of(
            world.datasync.create_task,
            SourceLocationArn=world.location("source"),
            DestinationLocationArn=world.location("destination"),
            Schedule={"ScheduleExpression": expression},
        )
        assert error.response["Error"]["Code"] == "InvalidRequestException", expression
        assert "1 hour" in error.response["Error"]["Message"]
    # Nothing was created by the refused calls.
    assert world.datasync.list_tasks()["Tasks"] == []
    task = world.task()
    error = error_of(world.datasync.update_task, TaskArn=task, Schedule={"ScheduleExpression": "rate(1 minute)"})
    assert "1 hour" in error.response["Error"]["Message"]
    world.datasync.update_task(TaskArn=task, Schedule={"ScheduleExpression": "rate(60 minutes)"})


def test_a_reason_datasync_could_not_give_is_refused_when_the_scenario_gives_it(world: World) -> None:
    task = world.task(Schedule={"ScheduleExpression": "cron(0 2 * * ? *)"})
    with pytest.raises(ValueError, match=r"reason .* does not match"):
        world.emulator.disable_schedule_by_service(task, "mail ops@example.com", T0)
    assert describe(world, task)["Schedule"] == {"ScheduleExpression": "cron(0 2 * * ? *)", "Status": "ENABLED"}
