"""The recorder says who made each AWS call: a function, a state machine, or nobody (AWS or the test)."""

from __future__ import annotations

import boto3

from emulator import call_recorder
from emulator.call_recorder import Principal
from emulator.local_aws import local_aws
from emulator.stack import REGION


def test_a_call_made_while_a_function_runs_is_that_functions() -> None:
    with local_aws(), call_recorder.recording() as calls:
        with call_recorder.acting_as(call_recorder.function("ReportRunFunction")):
            boto3.client("s3", region_name=REGION).list_buckets()
        boto3.client("s3", region_name=REGION).list_buckets()  # the test's own call
    assert [(call.principal, call.service, call.operation) for call in calls] == [
        (Principal("function", "ReportRunFunction"), "s3", "ListBuckets")
    ]


def test_what_a_service_does_while_serving_a_call_is_nobodys() -> None:
    with (
        local_aws(),
        call_recorder.recording() as calls,
        call_recorder.acting_as(call_recorder.function("StartSyncFunction")),
    ):
        with call_recorder.acting_as(None):
            boto3.client("logs", region_name=REGION).describe_log_groups()
        boto3.client("s3", region_name=REGION).list_buckets()
    assert [call.operation for call in calls] == ["ListBuckets"]


def test_a_state_machines_integration_calls_are_the_state_machines() -> None:
    with local_aws() as aws, call_recorder.recording() as calls:
        stack = aws.deploy()
        sfn = boto3.client("stepfunctions", region_name=REGION)
        execution = sfn.start_execution(
            stateMachineArn=stack.state_machines["SyncWorkflow"], name="bad-input", input='{"taskArn": "nope"}'
        )["executionArn"]
        aws.clock.run_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING")
    machine = Principal("state machine", stack.state_machines["SyncWorkflow"])
    assert ("lambda", "Invoke") in {(call.service, call.operation) for call in calls if call.principal == machine}
    assert all(call.principal.kind in ("function", "state machine") for call in calls)
