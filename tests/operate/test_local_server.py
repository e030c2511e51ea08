"""`local serve`: the emulated AWS over HTTP answers as AWS would, from the same state the workflow uses."""

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.server import LocalStackServer
from tests.operate.conftest import http_clients


def test_the_stack_outputs_are_found_the_way_the_aws_cli_finds_them(served: LocalStackServer) -> None:
    cloudformation = http_clients(served)("cloudformation")
    (stack,) = cloudformation.describe_stacks(StackName="datasync-scheduler")["Stacks"]
    outputs = {output["OutputKey"]: output["OutputValue"] for output in stack["Outputs"]}
    # The state machine is named after the stack's id, which DescribeStacks gives with it.
    stack_uuid = stack["StackId"].rsplit("/", 1)[-1]
    assert outputs["SyncWorkflowArn"].endswith(f":stateMachine:SyncWorkflow-{stack_uuid}")
    assert outputs["RunLedgerTable"] == "datasync-scheduler-RunLedger"
    with pytest.raises(ClientError, match="Stack with id elsewhere does not exist"):
        cloudformation.describe_stacks(StackName="elsewhere")


def test_datasync_over_http_is_the_emulator_with_datasyncs_errors(served: LocalStackServer) -> None:
    datasync = http_clients(served)("datasync")
    names = {datasync.describe_task(TaskArn=arn)["Name"] for arn in served.task_arns}
    assert names == {"quick-copy", "changing-share"}
    missing = served.task_arns[0] + "/execution/exec-0123456789abcdef0"
    with pytest.raises(ClientError) as raised:
        datasync.describe_task_execution(TaskExecutionArn=missing)
    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"


def test_only_clients_given_the_endpoint_go_over_http(served: LocalStackServer) -> None:
    http_clients(served)("datasync").list_tasks()
    boto3.client("datasync", region_name="us-east-1").list_tasks()  # in-process code: served by the hook
    assert served.requests.count("FmrsService.ListTasks") == 1


def test_the_clock_runs_while_the_stack_is_served(served: LocalStackServer) -> None:
    datasync = http_clients(served)("datasync")
    execution = datasync.start_task_execution(TaskArn=served.task_arns[0])["TaskExecutionArn"]
    statuses = {datasync.describe_task_execution(TaskExecutionArn=execution)["Status"]}
    while "SUCCESS" not in statuses:  # nobody drives the clock here but the server itself
        statuses.add(datasync.describe_task_execution(TaskExecutionArn=execution)["Status"])
    assert "TRANSFERRING" in statuses
