"""A task token answered as Step Functions answers it, in virtual time.

A `.waitForTaskToken` task that ran out of TimeoutSeconds has failed with States.Timeout, and its
token is spent: SendTaskSuccess answers TaskTimedOut (docs/aws-facts.md#task-token-after-timeout).
A token that arrives at the very moment the timeout ends has not come after it: the task has run
for TimeoutSeconds, not longer, so it succeeds (docs/local-emulator.md, "the same virtual moment").
"""

import json
import time
from datetime import datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from datasync_scheduler.adapters.callbacks import StepFunctionsCallbacks
from emulator.lambda_router import LambdaFunction
from emulator.local_aws import local_aws
from tests.emulator import received_events
from tests.emulator.test_virtual_time import REGION, SAMPLE_FUNCTIONS

TIMEOUT_SECONDS = 60


class SendTaskSuccessAt:
    """A caller outside the workflow that sends the task's token at one virtual moment, as the
    execution-events function does when DataSync's event arrives."""

    def __init__(self, at: datetime, through_adapter: bool) -> None:
        self._at, self._through_adapter = at, through_adapter
        # "accepted", the error code Step Functions answered, or "stale" (the project's adapter said so)
        self.answer: str | None = None

    def next_change_at(self) -> datetime | None:
        return self._at if self.answer is None else None

    def advance_to(self, now: datetime) -> None:
        (token,) = [event["token"] for name, event in received_events.RECEIVED if name == "token-keeper"]
        sfn = boto3.client("stepfunctions", region_name=REGION)
        if self._through_adapter:
            self.answer = "accepted" if StepFunctionsCallbacks(sfn).resume(token, "SUCCESS") else "stale"
            return
        try:
            sfn.send_task_success(taskToken=token, output='"SUCCESS"')
            self.answer = "accepted"
        except ClientError as error:
            self.answer = error.response["Error"]["Code"]


def run_with_token_sent_after(seconds: int, through_adapter: bool = False) -> tuple[str | None, list[str], str]:
    """Runs a task that waits TIMEOUT_SECONDS for its token (a timeout is caught, then the execution
    lingers 10 minutes); the token is sent `seconds` after the task started. Returns the answer to
    SendTaskSuccess, the task's history event types and how the execution ended."""
    received_events.RECEIVED.clear()
    with local_aws() as aws:
        arn = f"arn:aws:lambda:{REGION}:123456789012:function:token-keeper"
        aws.router.register(
            LambdaFunction("token-keeper", "token-keeper", arn, "sample_handlers.remember", SAMPLE_FUNCTIONS, 30, 128)
        )
        sender = SendTaskSuccessAt(aws.clock.now() + timedelta(seconds=seconds), through_adapter)
        aws.clock.attach(sender)
        definition = {
            "StartAt": "Await Token",
            "States": {
                "Await Token": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                    "Parameters": {"FunctionName": arn, "Payload": {"token.$": "$$.Task.Token"}},
                    "TimeoutSeconds": TIMEOUT_SECONDS,
                    "Catch": [{"ErrorEquals": ["States.Timeout"], "Next": "Linger"}],
                    "End": True,
                },
                "Linger": {"Type": "Wait", "Seconds": 600, "End": True},
            },
        }
        sfn = boto3.client("stepfunctions", region_name=REGION)
        role = "arn:aws:iam::123456789012:role/x"
        name = f"tokens-{time.monotonic_ns()}"
        created = sfn.create_state_machine(name=name, definition=json.dumps(definition), roleArn=role)
        execution = sfn.start_execution(stateMachineArn=created["stateMachineArn"], name="run")["executionArn"]

        def status() -> str:
            return str(sfn.describe_execution(executionArn=execution)["status"])

        aws.clock.run_until(lambda: status() != "RUNNING", real_timeout=60)
        history: list[dict[str, Any]] = sfn.get_execution_history(executionArn=execution)["events"]
        kinds = [event["type"] for event in history]
        return sender.answer, [kind for kind in kinds if kind.startswith("Task") and "State" not in kind], status()


def test_a_token_sent_after_its_task_timed_out_is_refused_with_task_timed_out() -> None:
    answer, task_events, status = run_with_token_sent_after(TIMEOUT_SECONDS + 60)
    assert answer == "TaskTimedOut"
    assert task_events == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskTimedOut"]
    assert status == "SUCCEEDED"  # through the Catch and the Wait


@pytest.mark.parametrize("repetition", range(3))
def test_a_token_sent_at_the_moment_the_timeout_ends_completes_the_task_every_time(repetition: int) -> None:
    answer, task_events, status = run_with_token_sent_after(TIMEOUT_SECONDS)
    assert answer == "accepted"
    assert task_events == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]
    assert status == "SUCCEEDED"


def test_a_token_sent_before_the_timeout_completes_the_task() -> None:
    answer, task_events, _ = run_with_token_sent_after(TIMEOUT_SECONDS - 1)
    assert answer == "accepted"
    assert task_events == ["TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"]


def test_the_projects_callback_adapter_takes_a_timed_out_token_as_stale_without_an_error() -> None:
    # What the execution-events function meets when DataSync's end event comes after the await step
    # timed out: the token is not put back, and the fallback check, already under way, finds the end.
    answer, task_events, status = run_with_token_sent_after(TIMEOUT_SECONDS + 60, through_adapter=True)
    assert answer == "stale"
    assert task_events[-1] == "TaskTimedOut" and status == "SUCCEEDED"
