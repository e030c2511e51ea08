"""A state machine that runs others (`states:startExecution.sync:2`, in a Map) on the virtual clock.

One test per moto internal the emulator patches for it: the integration's AWS casing, the `.sync`
wait, and the work the clock must see so that concurrent executions keep to virtual time.
"""

import json
import time
from datetime import timedelta
from typing import Any

import boto3

from emulator.local_aws import LocalAws, local_aws

REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/x"


def machine(name: str, definition: dict[str, Any]) -> str:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    return str(sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"])


def child_waiting(seconds: int, then: dict[str, Any] | None = None) -> str:
    end = then or {"Type": "Succeed"}
    return machine(
        f"child-{time.monotonic_ns()}",
        {
            "StartAt": "Work",
            "States": {"Work": {"Type": "Wait", "Seconds": seconds, "Next": "End"}, "End": end},
        },
    )


def run_task(child: str, **extra: Any) -> dict[str, Any]:
    return {
        "Type": "Task",
        "Resource": "arn:aws:states:::states:startExecution.sync:2",
        "Parameters": {"StateMachineArn": child, "Name.$": "$.name", "Input": {"hello": "world"}},
        **extra,
    }


def run(aws: LocalAws, definition: dict[str, Any], payload: Any) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    parent = machine(f"parent-{time.monotonic_ns()}", definition)
    execution = sfn.start_execution(stateMachineArn=parent, name="run", input=json.dumps(payload))["executionArn"]
    aws.clock.run_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING", real_timeout=30)
    return dict(sfn.describe_execution(executionArn=execution))


def test_a_child_run_of_eight_hours_is_awaited_in_virtual_time_and_answers_in_aws_casing() -> None:
    with local_aws() as aws:
        start = aws.clock.now()
        child = child_waiting(8 * 3600, {"Type": "Pass", "Parameters": {"copied": 12}, "End": True})
        result = run(aws, {"StartAt": "Run", "States": {"Run": {**run_task(child), "End": True}}}, {"name": "c-1"})
        assert result["status"] == "SUCCEEDED"
        assert aws.clock.now() - start == timedelta(hours=8)
        output = json.loads(result["output"])
        assert output["Status"] == "SUCCEEDED"
        assert output["ExecutionArn"].endswith(":c-1")
        assert output["Output"] == {"copied": 12}  # `.sync:2`: the child's output as JSON, not text
        assert output["Input"] == {"hello": "world"}


def test_a_failed_child_is_caught_with_its_description_as_the_cause() -> None:
    with local_aws() as aws:
        child = child_waiting(60, {"Type": "Fail", "Error": "DataSync.ExecutionError", "Cause": "access denied"})
        definition = {
            "StartAt": "Run",
            "States": {
                "Run": {
                    **run_task(child),
                    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Done"}],
                    "End": True,
                },
                "Done": {"Type": "Succeed"},
            },
        }
        result = run(aws, definition, {"name": "c-2"})
        caught = json.loads(result["output"])["error"]
        assert caught["Error"] == "States.TaskFailed"
        described = json.loads(caught["Cause"])
        assert (described["Status"], described["Error"], described["Cause"]) == (
            "FAILED",
            "DataSync.ExecutionError",
            "access denied",
        )
        assert described["ExecutionArn"].endswith(":c-2")


def test_a_map_starts_the_next_child_the_moment_one_ends_and_keeps_to_its_concurrency() -> None:
    with local_aws() as aws:
        start = aws.clock.now()
        child = child_waiting(3600)
        definition = {
            "StartAt": "All",
            "States": {
                "All": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrencyPath": "$.concurrency",
                    "ItemProcessor": {"StartAt": "Run", "States": {"Run": {**run_task(child), "End": True}}},
                    "End": True,
                }
            },
        }
        items = [{"name": f"m-{index}"} for index in range(4)]
        result = run(aws, definition, {"items": items, "concurrency": 2})
        assert result["status"] == "SUCCEEDED"
        # Four one-hour children, two at a time: exactly two hours when the next two start the
        # moment the first two end (the clock sees every interpreter thread); one at a time would
        # take four.
        assert aws.clock.now() - start == timedelta(hours=2)
        sfn = boto3.client("stepfunctions", region_name=REGION)
        assert len(sfn.list_executions(stateMachineArn=child)["executions"]) == 4


def test_a_sync_task_with_a_timeout_gives_up_in_virtual_time() -> None:
    with local_aws() as aws:
        start = aws.clock.now()
        child = child_waiting(7200)
        definition = {"StartAt": "Run", "States": {"Run": {**run_task(child, TimeoutSeconds=3600), "End": True}}}
        result = run(aws, definition, {"name": "c-3"})
        assert result["status"] == "FAILED" and result["error"] == "States.Timeout"
        assert aws.clock.now() - start == timedelta(hours=1)
        # The child it gave up on is still running: stop it before the mock ends.
        sfn = boto3.client("stepfunctions", region_name=REGION)
        for execution in sfn.list_executions(stateMachineArn=child, statusFilter="RUNNING")["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"])
