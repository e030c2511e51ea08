"""Deploying the schedules file: the stack's schedule group ends up holding exactly its schedules,
whatever it held before, however often the deploy runs; a bad file fails the deploy naming the
field; deleting the stack deletes them. Through the Apply Schedules function as CloudFormation
invokes it (a custom resource answered over HTTP), against moto's EventBridge Scheduler."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from emulator import faults
from emulator.custom_resources import CustomResourceFailed, send_request
from emulator.faults import parse_faults
from emulator.local_aws import LocalAws, local_aws
from emulator.stack import REGION, stack_id

TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    with local_aws() as emulated:
        emulated.deploy()
        yield emulated


class Deployer:
    """`sam deploy` of a new schedules file: a new layer version, so CloudFormation sends an Update."""

    def __init__(self, aws: LocalAws, folder: Path) -> None:
        self.aws = aws
        self.folder = folder
        self.version = 0
        self.resource = aws.stack.custom_resources[0]
        self.group = aws.stack.schedule_groups["ScheduleGroup"]

    def deploy(self, schedules: list[dict[str, Any]], request_type: str = "Update") -> Any:
        self.version += 1
        path = self.folder / f"v{self.version}" / "schedules.yaml"
        path.parent.mkdir()
        path.write_text(yaml.safe_dump({"schedules": schedules}), encoding="utf-8")
        function = self.aws.router.function("ApplySchedulesFunction")
        # A new layer version reaches only new containers: a fresh function with the new file.
        self.aws.router.register(
            dataclasses.replace(function, environment={**function.environment, "SCHEDULES_FILE": str(path)})
        )
        old = dict(self.resource.properties)
        self.resource = dataclasses.replace(
            self.resource, properties={**old, "SchedulesLayer": f"{old['SchedulesLayer']}-v{self.version}"}
        )
        return send_request(
            self.aws.router,
            self.resource,
            request_type,
            stack_id=stack_id(self.aws.stack.name),
            physical_id=self.group,
            old_properties=old,
        )

    def delete(self) -> Any:
        return send_request(
            self.aws.router, self.resource, "Delete", stack_id=stack_id(self.aws.stack.name), physical_id=self.group
        )

    def schedules(self) -> dict[str, dict[str, Any]]:
        scheduler = boto3.client("scheduler", region_name=REGION)
        names = [item["Name"] for item in scheduler.list_schedules(GroupName=self.group)["Schedules"]]
        return {name: scheduler.get_schedule(GroupName=self.group, Name=name) for name in names}


@pytest.fixture
def deployer(aws: LocalAws, tmp_path: Path) -> Deployer:
    return Deployer(aws, tmp_path)


def schedule(name: str, expression: str = "cron(0 1 * * ? *)", **fields: Any) -> dict[str, Any]:
    return {"name": name, "expression": expression, "tasks": [{"taskArn": TASK}], **fields}


def test_the_stack_deploys_an_empty_group_from_the_repositorys_empty_file(deployer: Deployer) -> None:
    groups = boto3.client("scheduler", region_name=REGION).list_schedule_groups()["ScheduleGroups"]
    assert deployer.group in [group["Name"] for group in groups]
    assert deployer.schedules() == {}


def test_each_named_schedule_becomes_one_schedule_that_starts_the_batch_for_its_firing(
    aws: LocalAws, deployer: Deployer
) -> None:
    answer = deployer.deploy(
        [
            schedule("finance-nightly", timezone="Europe/Berlin", flexibleWindowMinutes=15),
            schedule("render-farm", "rate(4 hours)", startDate="2026-12-01T00:00:00", endDate="2027-06-01T00:00:00"),
        ]
    )
    assert answer.physical_id == deployer.group
    assert answer.data["Summary"] == "2 added, 0 changed, 0 removed"
    deployed = deployer.schedules()
    assert sorted(deployed) == ["finance-nightly", "render-farm"]
    finance = deployed["finance-nightly"]
    assert finance["ScheduleExpression"] == "cron(0 1 * * ? *)"
    assert finance["ScheduleExpressionTimezone"] == "Europe/Berlin"
    assert finance["FlexibleTimeWindow"] == {"Mode": "FLEXIBLE", "MaximumWindowInMinutes": 15}
    assert finance["State"] == "ENABLED"
    target = finance["Target"]
    assert target["Arn"] == aws.stack.state_machines["BatchWorkflow"]
    assert target["RoleArn"].endswith(":role/datasync-scheduler-local-SchedulerRole")
    assert json.loads(target["Input"]) == {
        "schedule": "finance-nightly",
        "scheduledTime": "<aws.scheduler.scheduled-time>",
    }
    assert target["DeadLetterConfig"]["Arn"].endswith(":datasync-scheduler-local-ScheduleDeadLetterQueue")
    assert target["RetryPolicy"] == {"MaximumRetryAttempts": 5, "MaximumEventAgeInSeconds": 3600}
    render = deployed["render-farm"]
    assert render["FlexibleTimeWindow"] == {"Mode": "OFF"}
    assert render["StartDate"].isoformat().startswith("2026-12-01T00:00:00")  # UTC is the default zone


def test_a_deploy_adds_changes_and_removes_until_the_group_matches_the_file(deployer: Deployer) -> None:
    deployer.deploy([schedule("finance-nightly"), schedule("archives", "cron(0 3 ? * SUN *)")])
    answer = deployer.deploy(
        [schedule("finance-nightly", "cron(30 1 * * ? *)", timezone="Europe/Berlin"), schedule("render-farm")]
    )
    assert answer.data["Summary"] == "1 added, 1 changed, 1 removed"
    deployed = deployer.schedules()
    assert sorted(deployed) == ["finance-nightly", "render-farm"]
    assert deployed["finance-nightly"]["ScheduleExpression"] == "cron(30 1 * * ? *)"
    assert deployed["finance-nightly"]["ScheduleExpressionTimezone"] == "Europe/Berlin"


def test_deploying_the_same_file_again_changes_nothing(deployer: Deployer) -> None:
    schedules = [schedule("finance-nightly", timezone="America/New_York", flexibleWindowMinutes=30)]
    deployer.deploy(schedules)
    before = deployer.schedules()
    answer = deployer.deploy(schedules)
    assert answer.data["Summary"] == "0 added, 0 changed, 0 removed"
    after = deployer.schedules()
    assert after["finance-nightly"]["LastModificationDate"] == before["finance-nightly"]["LastModificationDate"]


def test_a_schedule_changed_by_hand_is_put_back_by_the_next_deploy(deployer: Deployer) -> None:
    deployer.deploy([schedule("finance-nightly")])
    scheduler = boto3.client("scheduler", region_name=REGION)
    by_hand = scheduler.get_schedule(GroupName=deployer.group, Name="finance-nightly")
    scheduler.update_schedule(
        GroupName=deployer.group,
        Name="finance-nightly",
        ScheduleExpression="cron(0 5 * * ? *)",
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": by_hand["Target"]["Arn"], "RoleArn": by_hand["Target"]["RoleArn"]},
    )
    answer = deployer.deploy([schedule("finance-nightly")])
    assert answer.data["Summary"] == "0 added, 1 changed, 0 removed"
    restored = deployer.schedules()["finance-nightly"]
    assert restored["ScheduleExpression"] == "cron(0 1 * * ? *)"
    assert restored["Target"]["RetryPolicy"]["MaximumRetryAttempts"] == 5


def test_a_bad_file_fails_the_deploy_naming_the_schedule_and_field_and_changes_nothing(deployer: Deployer) -> None:
    deployer.deploy([schedule("finance-nightly")])
    with pytest.raises(CustomResourceFailed) as failed:
        deployer.deploy([schedule("finance-nightly"), schedule("archives", "cron(0 3 * * * *)")])
    assert "InvalidSchedules" in str(failed.value)
    assert "schedules[1] (archives).expression: cron(): exactly one of day-of-month and day-of-week" in str(
        failed.value
    )
    assert sorted(deployer.schedules()) == ["finance-nightly"]


def test_deleting_the_stack_deletes_every_schedule_of_the_group(deployer: Deployer) -> None:
    deployer.deploy([schedule("finance-nightly"), schedule("archives", "rate(7 days)")])
    answer = deployer.delete()
    assert answer.status == "SUCCESS"
    assert deployer.schedules() == {}
    # CloudFormation may repeat a Delete (a lost answer): nothing is left, and it still succeeds.
    assert deployer.delete().status == "SUCCESS"


def test_a_delete_after_the_group_is_gone_still_answers_success(aws: LocalAws, deployer: Deployer) -> None:
    boto3.client("scheduler", region_name=REGION).delete_schedule_group(Name=deployer.group)
    assert deployer.delete().status == "SUCCESS"


def test_a_firing_starts_the_batch_with_the_schedules_name_and_its_scheduled_time(
    aws: LocalAws, deployer: Deployer
) -> None:
    deployer.deploy([schedule("finance-nightly", timezone="Europe/Berlin")])
    execution = aws.fire_schedule(deployer.group, "finance-nightly", datetime(2026, 11, 27, 0, 0, tzinfo=UTC))
    described = boto3.client("stepfunctions", region_name=REGION).describe_execution(executionArn=execution)
    assert described["stateMachineArn"] == aws.stack.state_machines["BatchWorkflow"]
    assert json.loads(described["input"]) == {"schedule": "finance-nightly", "scheduledTime": "2026-11-27T00:00:00Z"}


def test_scheduler_refusing_a_change_fails_the_deploy_with_its_error(aws: LocalAws, deployer: Deployer) -> None:
    # EventBridge Scheduler down at deploy: CreateSchedule fails after botocore's retries, and
    # CloudFormation is told why (instead of waiting an hour for an answer).
    down = parse_faults(
        [{"api": "scheduler:CreateSchedule", "error": "InternalServerException", "calls": "all"}],
        aws.stack.functions,
    )
    with faults.injecting(faults.FaultInjector(down)), pytest.raises(CustomResourceFailed) as failed:
        deployer.deploy([schedule("finance-nightly")])
    assert "InternalServerException" in str(failed.value)
    assert deployer.schedules() == {}
