"""What `States.ALL` catches in the emulator is what it catches on AWS: every error but
`States.DataLimitExceeded` and `States.Runtime`, which end the execution."""

import json
import time
from typing import Any

from emulator.local_aws import local_aws
from tests.emulator.test_nested_executions import machine, run

CATCH_ALL = [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Caught"}]
# A .sync:2 result holds the run's input and output: twice this is over the 256 KiB quota.
BLOB = "x" * (150 * 1024)


def parent(run_task: dict[str, Any]) -> dict[str, Any]:
    return {
        "StartAt": "Run",
        "States": {"Run": {**run_task, "Catch": CATCH_ALL, "End": True}, "Caught": {"Type": "Succeed"}},
    }


def child() -> str:
    return machine(
        f"child-{time.monotonic_ns()}", {"StartAt": "Echo", "States": {"Echo": {"Type": "Pass", "End": True}}}
    )


def test_a_result_over_256_kib_fails_the_execution_even_under_a_catch_all() -> None:
    with local_aws() as aws:
        run_task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child(), "Input": {"blob.$": "$.blob"}},
        }
        result = run(aws, parent(run_task), {"blob": BLOB})
        assert (result["status"], result["error"]) == ("FAILED", "States.DataLimitExceeded")


def test_a_path_that_finds_nothing_fails_the_execution_even_under_a_catch_all() -> None:
    with local_aws() as aws:
        run_task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": child(), "Input": {"name.$": "$.missing"}},
        }
        result = run(aws, parent(run_task), {})
        assert (result["status"], result["error"]) == ("FAILED", "States.Runtime")


def test_any_other_error_is_still_caught_by_a_catch_all() -> None:
    with local_aws() as aws:
        failing = machine(
            f"failing-{time.monotonic_ns()}",
            {"StartAt": "Fail", "States": {"Fail": {"Type": "Fail", "Error": "Task.Broken", "Cause": "no"}}},
        )
        run_task = {
            "Type": "Task",
            "Resource": "arn:aws:states:::states:startExecution.sync:2",
            "Parameters": {"StateMachineArn": failing, "Input": {}},
        }
        result = run(aws, parent(run_task), {})
        assert result["status"] == "SUCCEEDED"
        assert json.loads(result["output"])["error"]["Error"] == "States.TaskFailed"
