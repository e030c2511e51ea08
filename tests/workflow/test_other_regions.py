"""A task in another Region of the stack's account: its run calls DataSync there, and ends on the
event a member stack forwards, or, with no forwarder, on the fallback check (docs/regions.md)."""

from collections.abc import Iterator

import boto3
import pytest

from emulator.local_aws import LocalAws, local_aws
from emulator.stack import REGION

OTHER = "us-west-2"
AGENT = f"arn:aws:datasync:{OTHER}:123456789012:agent/agent-0123456789abcdef0"


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    assert REGION != OTHER
    with local_aws() as emulated:
        emulated.deploy({"TaskRegions": OTHER})
        yield emulated


def task_in(region: str) -> str:
    client = boto3.client("datasync", region_name=region)
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


def test_each_region_has_its_own_datasync() -> None:
    with local_aws() as aws:
        task = task_in(OTHER)
        assert task.startswith(f"arn:aws:datasync:{OTHER}:")
        assert boto3.client("datasync", region_name=REGION).list_tasks()["Tasks"] == []
        assert [t["TaskArn"] for t in boto3.client("datasync", region_name=OTHER).list_tasks()["Tasks"]] == [task]
        assert aws.datasync_in(OTHER) is not aws.datasync


def test_a_run_in_another_region_ends_on_the_forwarded_event(aws: LocalAws) -> None:
    aws.forwarded_regions.add(OTHER)
    status, checks = run(aws, task_in(OTHER))
    assert status == "SUCCEEDED"
    events = [call for call in aws.router.invocations if call.function == "ExecutionEventsFunction"]
    assert events, "the forwarded events reached the home bus's rule"
    assert checks <= 1  # at most the one look that confirms the end the event announced


def test_without_a_forwarder_the_fallback_check_ends_the_run(aws: LocalAws) -> None:
    status, checks = run(aws, task_in(OTHER))
    assert status == "SUCCEEDED"
    assert not [call for call in aws.router.invocations if call.function == "ExecutionEventsFunction"]
    assert checks >= 1
