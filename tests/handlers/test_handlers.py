"""Each handler, invoked the way Lambda invokes it, with the template's environment."""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.sns.models import sns_backends

from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.workflow.start_sync import WORKFLOW_TAG
from emulator.local_aws import LocalAws, local_aws
from emulator.stack import ACCOUNT_ID, REGION
from tests.handlers.sync_events import WORKFLOW, attempt, report_rejected_input, start_sync

EVENTS = Path(__file__).resolve().parents[2] / "events"


def invoke(aws: LocalAws, function: str, event: Any) -> Any:
    result, error = aws.router.invoke(function, event)
    if error is not None:
        raise AssertionError(f"{function} raised {error['errorType']}: {error['errorMessage']}")
    return result


def ledger(aws: LocalAws) -> DynamoDbLedger:
    return DynamoDbLedger(aws.stack.tables["RunLedger"], boto3.client("dynamodb", region_name="us-east-1"))


def state_change(execution_arn: str, state: str, time: str = "2026-11-21T23:05:00Z") -> dict[str, Any]:
    event = json.loads((EVENTS / "execution-state-change-success.json").read_text())
    event.update(time=time, resources=[execution_arn], detail={"State": state})
    return event


def test_validation_rejects_a_bad_request_with_an_error_the_workflow_can_catch(aws: LocalAws) -> None:
    _, error = aws.router.invoke(
        "ValidateSyncRequestFunction", {"input": {"taskArn": "nope", "extra": 1}, "workflowExecution": WORKFLOW}
    )
    assert error is not None
    assert error["errorType"] == "InvalidSyncRequest"
    assert "taskArn:" in error["errorMessage"] and "extra: unknown field" in error["errorMessage"]


def test_the_sample_start_input_is_valid(aws: LocalAws) -> None:
    # The sample names a task in eu-west-1: valid for a stack there, so moved to this stack's Region.
    sample = (EVENTS / "start-sync.json").read_text()
    raw = json.loads(sample.replace(":eu-west-1:123456789012:", f":{REGION}:{ACCOUNT_ID}:"))
    validated = invoke(aws, "ValidateSyncRequestFunction", {"input": raw, "workflowExecution": WORKFLOW})
    assert validated["request"]["overrides"] == {"LogLevel": "BASIC", "VerifyMode": "ONLY_FILES_TRANSFERRED"}
    # The run's state starts here: the input is not echoed, every later field is present and null.
    assert validated == {
        "request": raw,
        "startedAt": validated["startedAt"],
        "attempts": {
            "attempt": 1,
            "scope": {"kind": "all"},
            "done": [],
            "retry": False,
            "waitSeconds": 0,
            "decision": None,
        },
        "taskExecution": None,
        "analysis": None,
        "analysisError": None,
        "failure": None,
        "releaseError": None,
    }


def test_starting_tags_the_execution_with_the_workflow_and_opens_its_record(aws: LocalAws, task_arn: str) -> None:
    run = invoke(
        aws,
        "StartSyncFunction",
        start_sync({"taskArn": task_arn, "overrides": {"LogLevel": "BASIC"}, "excludes": "*.tmp"}),
    )
    assert run["status"] == "QUEUED" and run["finished"] is False
    assert run["timeoutSeconds"] == 900
    (execution,) = aws.datasync.executions()
    assert execution.arn == run["executionArn"]
    assert {"Key": WORKFLOW_TAG, "Value": WORKFLOW} in execution.start_params["Tags"]
    assert execution.start_params["OverrideOptions"] == {"LogLevel": "BASIC"}
    assert execution.start_params["Excludes"] == [{"FilterType": "SIMPLE_PATTERN", "Value": "*.tmp"}]
    record = ledger(aws).get(run["executionArn"])
    assert record is not None and record.workflow_execution == WORKFLOW and "QUEUED" in record.phase_times


def test_a_start_datasync_refuses_raises_start_refused(aws: LocalAws) -> None:
    missing = "arn:aws:datasync:us-east-1:123456789012:task/task-00000000000000000"
    _, error = aws.router.invoke("StartSyncFunction", start_sync({"taskArn": missing}))
    assert error is not None and error["errorType"] == "StartRefused"


def test_a_state_change_event_is_recorded_at_datasyncs_time(aws: LocalAws) -> None:
    execution = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0/execution/exec-0fcddf3728817690d"
    outcome = invoke(aws, "ExecutionEventsFunction", state_change(execution, "TRANSFERRING", "2026-11-21T23:03:20Z"))
    assert outcome == {"executionArn": execution, "status": "TRANSFERRING", "recorded": True, "resumed": False}
    record = ledger(aws).get(execution)
    assert record is not None
    assert record.phase_times["TRANSFERRING"].isoformat() == "2026-11-21T23:03:20+00:00"


@pytest.mark.parametrize("broken", [{"detail": {}}, {"resources": []}, {"source": None}])
def test_a_malformed_event_is_refused_loudly(aws: LocalAws, broken: dict[str, Any]) -> None:
    event = state_change(
        "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0/execution/exec-0fcddf3728817690d",
        "SUCCESS",
    )
    event.update(broken)
    _, error = aws.router.invoke("ExecutionEventsFunction", event)
    assert error is not None and error["errorType"] == "ValidationError"


def test_a_duplicate_start_of_the_same_attempt_does_not_start_datasync_twice(aws: LocalAws, task_arn: str) -> None:
    event = {"request": {"taskArn": task_arn}, "workflowExecution": WORKFLOW, "attempts": attempt(1)}
    first = invoke(aws, "StartSyncFunction", event)
    second = invoke(aws, "StartSyncFunction", event)
    assert first == second
    assert len(aws.datasync.executions()) == 1


def test_the_next_attempt_starts_a_new_execution_tagged_with_its_number(aws: LocalAws, task_arn: str) -> None:
    invoke(
        aws,
        "StartSyncFunction",
        {"request": {"taskArn": task_arn}, "workflowExecution": WORKFLOW, "attempts": attempt(1)},
    )
    invoke(
        aws,
        "StartSyncFunction",
        {"request": {"taskArn": task_arn}, "workflowExecution": WORKFLOW, "attempts": attempt(2)},
    )
    first, second = aws.datasync.executions()
    assert {"Key": "datasync-scheduler:attempt", "Value": "2"} in second.start_params["Tags"]
    assert first.arn != second.arn


def test_a_run_whose_history_cannot_be_written_is_still_reported(
    aws: LocalAws, caplog: pytest.LogCaptureFixture
) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=aws.stack.tables["RunLedger"])
    report = invoke(aws, "ReportRunFunction", report_rejected_input({"taskArn": "nope"}, "taskArn: bad"))
    assert report["result"]["verdict"]["error"] == "InvalidSyncRequest"
    assert "history could not be written" in caplog.text


def sent_messages(aws: LocalAws) -> list[str]:
    sns = boto3.client("sns", region_name="us-east-1")
    topic_arn = sns.list_topics()["Topics"][0]["TopicArn"]
    return [message for _, message, *_ in sns_backends[ACCOUNT_ID][REGION].topics[topic_arn].sent_notifications]


def test_a_report_run_retried_after_publishing_sends_no_second_message(aws: LocalAws) -> None:
    event = report_rejected_input({"taskArn": "nope"}, "taskArn: bad")
    first = invoke(aws, "ReportRunFunction", event)
    again = invoke(aws, "ReportRunFunction", event)
    assert len(sent_messages(aws)) == 1
    assert again["messageId"] == first["messageId"]
    # The mark the state machine reads before its plain message, in the run ledger.
    mark = boto3.client("dynamodb", region_name="us-east-1").get_item(
        TableName=aws.stack.tables["RunLedger"], Key={"executionArn": {"S": f"message#{WORKFLOW}"}}
    )
    assert mark["Item"]["messageId"] == {"S": first["messageId"]}


def test_a_message_whose_mark_cannot_be_kept_is_still_sent_once_and_the_report_succeeds(
    aws: LocalAws, caplog: pytest.LogCaptureFixture
) -> None:
    boto3.client("dynamodb", region_name="us-east-1").delete_table(TableName=aws.stack.tables["RunLedger"])
    report = invoke(aws, "ReportRunFunction", report_rejected_input({"taskArn": "nope"}, "taskArn: bad"))
    assert report["messageId"]
    assert len(sent_messages(aws)) == 1
    assert "its mark was not written" in caplog.text


def test_a_task_in_another_region_than_the_stacks_is_refused_before_any_datasync_call(aws: LocalAws) -> None:
    raw = json.loads((EVENTS / "start-sync.json").read_text())  # a task in eu-west-1; this stack is elsewhere
    assert REGION != "eu-west-1"
    result, error = aws.router.invoke("ValidateSyncRequestFunction", {"input": raw, "workflowExecution": WORKFLOW})
    assert result is None and error is not None
    assert error["errorType"] == "InvalidSyncRequest"
    assert (
        f"taskArn: Region eu-west-1 is not among the stack's Regions ({REGION}): deploy member/template.yaml in "
        "eu-west-1 and add it to the stack's TaskRegions parameter"
    ) in error["errorMessage"]


def test_a_task_in_a_region_the_stack_is_set_up_for_is_accepted() -> None:
    raw = json.loads((EVENTS / "start-sync.json").read_text())  # a task in eu-west-1
    with local_aws() as aws:
        aws.deploy({"TaskRegions": "eu-west-1,ap-south-1", "MemberAccounts": "222222222222"})
        result, error = aws.router.invoke("ValidateSyncRequestFunction", {"input": raw, "workflowExecution": WORKFLOW})
    assert error is None and result is not None
    assert result["request"]["taskArn"] == raw["taskArn"]
