"""Summarize Batch reads a failed task run's cause from Step Functions, and goes on without it."""

import boto3
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
