"""A task in another Region or account: its run calls DataSync there (through the member role in
another account), and ends on the event a member stack forwards, or, with no forwarder, on the
fallback check (docs/regions.md)."""

from collections.abc import Iterator

import boto3
import pytest

from datasync_scheduler.adapters.aws_clients import TaskClients
from datasync_scheduler.domain.where import Where
from emulator.local_aws import LocalAws, local_aws
from emulator.stack import ACCOUNT_ID, REGION

OTHER = "us-west-2"
MEMBER = "222222222222"
ROLE = "DataSyncSchedulerMember"
AGENT = f"arn:aws:datasync:{OTHER}:123456789012:agent/agent-0123456789abcdef0"


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    assert REGION != OTHER
    with local_aws() as emulated:
        emulated.deploy({"TaskRegions": OTHER, "MemberAccounts": MEMBER})
        yield emulated


def task_in(region: str, account: str = ACCOUNT_ID) -> str:
    """A task created as its owner would: with the account's own credentials (here the member role)."""
    client = TaskClients("datasync", frozenset({MEMBER}), ROLE).at(Where("aws", region, account))
    source = client.create_location_nfs(
        ServerHostname="files.example.internal", Subdirectory="/share", OnPremConfig={"AgentArns": [AGENT]}
    )["LocationArn"]
    destination = client.create_location_s3(
        S3BucketArn="arn:aws:s3:::archive",
        S3Config={"BucketAccessRoleArn": "arn:aws:iam::123456789012:role/datasync"},
    )["LocationArn"]
    return str(client.create_task(SourceLocationArn=source, DestinationLocationArn=destination)["TaskArn"])


def run(aws: LocalAws, task_arn: str) -> tuple[str, int]:
    """The run's status and how many times Check Sync looked."""
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = next(arn for name, arn in aws.stack.state_machines.items() if name == "SyncWorkflow")
    execution = sfn.start_execution(stateMachineArn=machine, input=f'{{"taskArn": "{task_arn}"}}')["executionArn"]
    aws.clock.run_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING")
    checks = sum(1 for call in aws.router.invocations if call.function == "CheckSyncFunction")
    return str(sfn.describe_execution(executionArn=execution)["status"]), checks


def test_each_region_and_account_has_its_own_datasync() -> None:
    with local_aws() as aws:
        task = task_in(OTHER)
        member_task = task_in(OTHER, MEMBER)
        assert task.startswith(f"arn:aws:datasync:{OTHER}:{ACCOUNT_ID}:")
        assert member_task.startswith(f"arn:aws:datasync:{OTHER}:{MEMBER}:")
        assert boto3.client("datasync", region_name=REGION).list_tasks()["Tasks"] == []
        assert [t["TaskArn"] for t in boto3.client("datasync", region_name=OTHER).list_tasks()["Tasks"]] == [task]
        assert aws.datasync_in(OTHER) is not aws.datasync_in(OTHER, MEMBER)


@pytest.mark.parametrize("account", [ACCOUNT_ID, MEMBER])
def test_a_run_in_another_region_or_account_ends_on_the_forwarded_event(aws: LocalAws, account: str) -> None:
    aws.forwarded.add((OTHER, account))
    status, checks = run(aws, task_in(OTHER, account))
    assert status == "SUCCEEDED"
    events = [call for call in aws.router.invocations if call.function == "ExecutionEventsFunction"]
    assert events, "the forwarded events reached the home bus's rule"
    assert checks <= 1  # at most the one look that confirms the end the event announced


@pytest.mark.parametrize("account", [ACCOUNT_ID, MEMBER])
def test_without_a_forwarder_the_fallback_check_ends_the_run(aws: LocalAws, account: str) -> None:
    status, checks = run(aws, task_in(OTHER, account))
    assert status == "SUCCEEDED"
    assert not [call for call in aws.router.invocations if call.function == "ExecutionEventsFunction"]
    assert checks >= 1
