"""Stacks in one emulated account and Region: a second stack deploys beside the first, a stack name of
any allowed length deploys, and a name two stacks would share is refused as AWS refuses it."""

from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.runner import TEMPLATE, local_aws
from emulator.stack import REGION, deploy

NO_LOGS = {"LogLevel": "WARNING"}


def test_two_stacks_deploy_side_by_side_each_with_its_own_workflows_and_schedule() -> None:
    with local_aws():
        first = deploy(TEMPLATE, NO_LOGS, "nightly-eu")
        second = deploy(TEMPLATE, NO_LOGS, "nightly-us")
        assert set(first.state_machines.values()).isdisjoint(second.state_machines.values())
        schedules = boto3.client("scheduler", region_name=REGION).list_schedules()["Schedules"]
        assert len({schedule["Name"] for schedule in schedules}) == 2


def test_the_longest_stack_name_cloudformation_allows_deploys() -> None:
    with local_aws():
        stack = deploy(TEMPLATE, NO_LOGS, "s" * 128)
        assert all(len(arn.rsplit(":", 1)[-1]) <= 80 for arn in stack.state_machines.values())


def test_a_schedule_name_two_stacks_share_is_refused_for_the_second(tmp_path: Path) -> None:
    # The template as it would be without OmitName: SAM names the schedule BatchWorkflowScheduled in both.
    shared = TEMPLATE.read_text(encoding="utf-8").replace("            OmitName: true\n", "")
    (tmp_path / "template.yaml").write_text(shared, encoding="utf-8")
    (tmp_path / "statemachine").symlink_to(TEMPLATE.parent / "statemachine")
    (tmp_path / "functions").symlink_to(TEMPLATE.parent / "functions")
    (tmp_path / "observability").symlink_to(TEMPLATE.parent / "observability")
    (tmp_path / "layers").symlink_to(TEMPLATE.parent / "layers")
    with local_aws():
        deploy(tmp_path / "template.yaml", NO_LOGS, "nightly-eu")
        with pytest.raises(ClientError) as refused:
            deploy(tmp_path / "template.yaml", NO_LOGS, "nightly-us")
        assert refused.value.response["Error"]["Code"] == "ConflictException"


def test_a_state_machine_name_over_80_characters_is_refused(tmp_path: Path) -> None:
    # The names the template gave before: the stack's name plus "-SyncWorkflow".
    named = TEMPLATE.read_text(encoding="utf-8").replace(
        "        - SyncWorkflow-${StackUuid}\n", "        - ${AWS::StackName}-SyncWorkflow-${StackUuid}\n"
    )
    (tmp_path / "template.yaml").write_text(named, encoding="utf-8")
    (tmp_path / "statemachine").symlink_to(TEMPLATE.parent / "statemachine")
    (tmp_path / "functions").symlink_to(TEMPLATE.parent / "functions")
    (tmp_path / "observability").symlink_to(TEMPLATE.parent / "observability")
    (tmp_path / "layers").symlink_to(TEMPLATE.parent / "layers")
    with local_aws(), pytest.raises(ClientError) as refused:
        deploy(tmp_path / "template.yaml", NO_LOGS, "s" * 68)
    assert "less than or equal to 80" in str(refused.value)
