"""Summarize Batch reads a failed task run's cause from Step Functions, and goes on without it; a
retry of a run's failures reads the run's input."""

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from datasync_scheduler.adapters.workflow_runs import WorkflowRuns

RUN = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-x:nightly-batch-run-1-2"


def stubbed() -> tuple[WorkflowRuns, Stubber]:
    client = boto3.client("stepfunctions", region_name="us-east-1")
    return WorkflowRuns(client), Stubber(client)


def test_a_failed_runs_error_and_cause_are_read_from_step_functions() -> None:
    runs, stub = stubbed()
    described = {
        "executionArn": RUN,
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:SyncWorkflow-x",
        "status": "FAILED",
        "startDate": "2026-11-21T23:00:00Z",
        "error": "DataSync.ExecutionError",
        "cause": "Verification detected mismatches.",
    }
    stub.add_response("describe_execution", described, {"executionArn": RUN})
    with stub:
        assert runs.described(RUN) == {
            "executionArn": RUN,
            "status": "FAILED",
            "error": "DataSync.ExecutionError",
            "cause": "Verification detected mismatches.",
        }


def test_a_run_that_was_never_started_or_cannot_be_read_has_no_description() -> None:
    runs, stub = stubbed()
    stub.add_client_error("describe_execution", "ExecutionDoesNotExist", expected_params={"executionArn": RUN})
    stub.add_client_error("describe_execution", "ThrottlingException", http_status_code=400)
    stub.add_client_error("describe_execution", "AccessDeniedException", http_status_code=400)
    with stub:
        assert [runs.described(RUN) for _ in range(3)] == [None, None, None]


def test_a_runs_input_is_read_as_it_was_started_and_an_unknown_run_has_none() -> None:
    runs, stub = stubbed()
    started = {
        "executionArn": RUN,
        "stateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:SyncWorkflow-x",
        "status": "FAILED",
        "startDate": "2026-11-21T23:00:00Z",
        "input": '{"taskArn": "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"}',
    }
    stub.add_response("describe_execution", started, {"executionArn": RUN})
    stub.add_client_error("describe_execution", "ExecutionDoesNotExist", expected_params={"executionArn": RUN})
    stub.add_client_error("describe_execution", "AccessDeniedException", http_status_code=400)
    with stub:
        assert runs.input_of(RUN) == {"taskArn": "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"}
        assert runs.input_of(RUN) is None
        with pytest.raises(ClientError, match="AccessDenied"):
            runs.input_of(RUN)
