"""A state machine written for the China partition (`arn:aws-cn:states:::…`) runs in the emulator."""

import json
import time

from emulator.local_aws import local_aws
from tests.emulator.test_nested_executions import machine, run


def test_an_aws_cn_service_integration_resource_runs_its_child_to_the_end() -> None:
    with local_aws() as aws:
        child = machine(f"child-{time.monotonic_ns()}", {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
        run_task = {
            "Type": "Task",
            "Resource": "arn:aws-cn:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child, "Input": {"hello": "world"}},
            "End": True,
        }
        result = run(aws, {"StartAt": "Run", "States": {"Run": run_task}}, {})
        assert result["status"] == "SUCCEEDED"
        assert json.loads(result["output"])["Output"] == {"hello": "world"}
