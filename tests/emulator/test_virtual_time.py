"""The virtual clock drives moto's Step Functions interpreter: hours of workflow in moments of real time.

One test per moto internal the emulator patches (Wait states, Retry back-off, task-token timeouts),
so an upgrade of moto that moves them fails here first.
"""

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator.clock import Deadlock
from emulator.lambda_router import LambdaFunction
from emulator.runner import LocalAws, local_aws

HERE = Path(__file__).resolve().parent
SAMPLE_FUNCTIONS = HERE / "sample_functions"  # a function's code: the sample handlers' folder
REGION = "us-east-1"


def register(aws: LocalAws, name: str, handler: str) -> str:
    arn = f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
    aws.router.register(LambdaFunction(name, name, arn, f"sample_handlers.{handler}", SAMPLE_FUNCTIONS, 30, 128))
    return arn


def run_machine(aws: LocalAws, definition: dict[str, Any], payload: Any = None) -> dict[str, Any]:
    sfn = boto3.client("stepfunctions", region_name=REGION)
    machine = sfn.create_state_machine(
        name=f"test-{time.monotonic_ns()}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/x",
    )["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=machine, name="run", input=json.dumps(payload or {}))[
        "executionArn"
    ]
    aws.clock.run_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING", real_timeout=30)
    return sfn.describe_execution(executionArn=execution)


def test_a_wait_state_of_eight_hours_passes_in_virtual_time() -> None:
    with local_aws() as aws:
        start, real = aws.clock.now(), time.monotonic()
        result = run_machine(
            aws, {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 28800, "End": True}}}
        )
        assert result["status"] == "SUCCEEDED"
        assert aws.clock.now() - start == timedelta(hours=8)
        assert time.monotonic() - real < 10


def test_retry_back_off_passes_in_virtual_time_and_error_names_match_like_on_aws() -> None:
    with local_aws() as aws:
        arn = register(aws, "flaky", "always_fails")
        start = aws.clock.now()
        retry = {"ErrorEquals": ["FlakyDependency"], "IntervalSeconds": 600, "MaxAttempts": 2, "BackoffRate": 2}
        definition = {
            "StartAt": "Call",
            "States": {"Call": {"Type": "Task", "Resource": arn, "Retry": [retry], "End": True}},
        }
        result = run_machine(aws, definition)
        assert result["status"] == "FAILED" and result["error"] == "FlakyDependency"
        assert aws.clock.now() - start == timedelta(seconds=600 + 1200)
        assert [call.error_type for call in aws.router.invocations] == ["FlakyDependency"] * 3


def test_a_task_token_wait_times_out_in_virtual_time() -> None:
    with local_aws() as aws:
        arn = register(aws, "echo", "echo")
        start = aws.clock.now()
        definition = {
            "StartAt": "Wait For Callback",
            "States": {
                "Wait For Callback": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": arn, "Payload": {"token.$": "$$.Task.Token"}},
                    "TimeoutSeconds": 7200,
                    "End": True,
                }
            },
        }
        result = run_machine(aws, definition)
        assert result["status"] == "FAILED" and result["error"] == "States.Timeout"
        assert aws.clock.now() - start == timedelta(hours=2)


def test_the_router_reports_a_handler_result_and_context_like_lambda() -> None:
    with local_aws() as aws:
        arn = register(aws, "echo", "echo")
        response = boto3.client("lambda", region_name=REGION).invoke(FunctionName=arn, Payload=b'{"a": 1}')
        assert "FunctionError" not in response
        assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}, "function": "echo"}


def test_parallel_branches_wait_side_by_side_in_exact_virtual_time() -> None:
    with local_aws() as aws:
        start = aws.clock.now()
        branch = {"StartAt": "Nap", "States": {"Nap": {"Type": "Wait", "Seconds": 0, "End": True}}}
        definition = {
            "StartAt": "Both",
            "States": {
                "Both": {
                    "Type": "Parallel",
                    "Branches": [
                        {**branch, "States": {"Nap": {"Type": "Wait", "Seconds": 100, "End": True}}},
                        {**branch, "States": {"Nap": {"Type": "Wait", "Seconds": 300, "End": True}}},
                    ],
                    "End": True,
                }
            },
        }
        result = run_machine(aws, definition)
        assert result["status"] == "SUCCEEDED"
        assert aws.clock.now() - start == timedelta(seconds=300)


def test_map_iterations_one_at_a_time_add_up_exactly() -> None:
    with local_aws() as aws:
        start = aws.clock.now()
        definition = {
            "StartAt": "Each",
            "States": {
                "Each": {
                    "Type": "Map",
                    "ItemsPath": "$.items",
                    "MaxConcurrency": 1,
                    "ItemProcessor": {
                        "StartAt": "Nap",
                        "States": {"Nap": {"Type": "Wait", "Seconds": 60, "End": True}},
                    },
                    "End": True,
                }
            },
        }
        result = run_machine(aws, definition, {"items": [1, 2, 3]})
        assert result["status"] == "SUCCEEDED"
        assert aws.clock.now() - start == timedelta(minutes=3)


def test_a_task_token_nobody_sends_without_a_timeout_is_reported_as_a_deadlock() -> None:
    with local_aws() as aws:
        arn = register(aws, "echo", "echo")
        definition = {
            "StartAt": "Wait For Callback",
            "States": {
                "Wait For Callback": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": arn, "Payload": {"token.$": "$$.Task.Token"}},
                    "End": True,
                }
            },
        }
        sfn = boto3.client("stepfunctions", region_name=REGION)
        with pytest.raises(Deadlock, match="waits for an event") as raised:
            run_machine(aws, definition)
        assert "callback" in str(raised.value)
        for execution in sfn.list_executions(
            stateMachineArn=sfn.list_state_machines()["stateMachines"][0]["stateMachineArn"]
        )["executions"]:
            sfn.stop_execution(executionArn=execution["executionArn"])
