"""What the handlers tell an operator besides their result: structured log lines and metric documents."""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from emulator.datasync_script import ExecutionScript
from emulator.function_output import emf_documents, routed_stdout
from emulator.local_aws import LocalAws, local_aws
from emulator.scenario import load_scenario
from emulator.scenario_tasks import create_task
from tests.handlers.sync_events import report_rejected_input, start_sync
from tests.handlers.test_handlers import EVENTS, WORKFLOW, invoke, state_change

BATCH = "arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-local-BatchWorkflow:nightly-1"


class FunctionLogs:
    """What the functions printed from the fixture on, as their CloudWatch Logs streams would hold it."""

    def __init__(self, aws: LocalAws) -> None:
        self._aws = aws
        self._from = len(aws.router.invocations)

    def lines(self) -> list[dict[str, Any]]:
        printed = "".join(call.output for call in self._aws.router.invocations[self._from :])
        found = []
        for text in printed.splitlines():
            if text.startswith("{"):
                line = json.loads(text)
                if "message" in line:  # a log line, not a metric document
                    found.append(line)
        return found


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    """The stack deployed with the template's default log level (INFO), as users deploy it; the
    emulator's own default (WARNING) keeps other tests' output short."""
    with local_aws() as emulated:
        emulated.deploy({"LogLevel": "INFO"})
        yield emulated


@pytest.fixture
def log(aws: LocalAws) -> Iterator[FunctionLogs]:
    """What the handlers log at the template's log level (INFO): one JSON object a line. Standard
    output is routed per invocation, as the emulator does for a whole run."""
    with routed_stdout() as stdout:
        aws.router.stdout = stdout
        try:
            yield FunctionLogs(aws)
        finally:
            aws.router.stdout = None


def logged(log: FunctionLogs, message: str) -> dict[str, Any]:
    """The one line logged with this message."""
    (line,) = [line for line in log.lines() if line["message"] == message]
    assert isinstance(line, dict)
    return line


def printed_by_last(aws: LocalAws) -> list[dict[str, Any]]:
    return emf_documents(aws.router.invocations[-1].output)


def run_steps(aws: LocalAws, task_arn: str) -> str:
    run = invoke(aws, "StartSyncFunction", start_sync({"taskArn": task_arn}))
    invoke(
        aws, "AwaitSyncEndFunction", {"token": "t", "executionArn": run["executionArn"], "workflowExecution": WORKFLOW}
    )
    check = {"request": {"taskArn": task_arn}, "taskExecution": run, "startedAt": None, "workflowExecution": WORKFLOW}
    invoke(aws, "CheckSyncFunction", check)
    return str(run["executionArn"])


def test_every_line_of_a_workflow_step_names_its_workflow_execution_and_datasync_execution(
    aws: LocalAws, task_arn: str, log: FunctionLogs
) -> None:
    execution_arn = run_steps(aws, task_arn)
    for message in ("DataSync execution started", "Waiting for the execution to end", "Checked the execution"):
        line = logged(log, message)
        assert line["correlation_id"] == WORKFLOW, message
        assert line["executionArn"] == execution_arn, message
        assert line["service"] == "datasync-scheduler" and line["level"] == "INFO"


def test_an_execution_event_is_logged_with_its_own_id_and_the_datasync_execution(
    aws: LocalAws, log: FunctionLogs
) -> None:
    execution = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0/execution/exec-0fcddf3728817690d"
    invoke(aws, "ExecutionEventsFunction", state_change(execution, "TRANSFERRING"))
    line = logged(log, "Execution state change")
    event_id = json.loads((EVENTS / "execution-state-change-success.json").read_text())["id"]
    assert line["correlation_id"] == event_id
    assert line["executionArn"] == execution


def test_the_execution_a_step_named_is_not_carried_into_the_next_invocation(
    aws: LocalAws, task_arn: str, log: FunctionLogs
) -> None:
    run_steps(aws, task_arn)  # leaves `executionArn` on the shared logger, were it not cleared
    sync_workflow = aws.stack.state_machines["SyncWorkflow"]
    batch = {"notStarted": {"Error": "InvalidBatchRequest", "Cause": "bad"}}
    event = {"batch": batch, "batchExecution": BATCH, "batchName": "nightly-1", "syncWorkflow": sync_workflow}
    invoke(aws, "SummarizeBatchFunction", event)
    line = logged(log, "Batch summarised")
    assert "executionArn" not in line
    assert line["correlation_id"] == BATCH


def test_a_rejected_run_publishes_one_failed_run_for_the_application(aws: LocalAws) -> None:
    invoke(aws, "ReportRunFunction", report_rejected_input({"taskArn": "nope"}, "taskArn: not an ARN"))

    (document,) = [doc for doc in printed_by_last(aws) if "RunsFailed" in doc]
    assert document["_aws"]["CloudWatchMetrics"] == [
        {
            "Namespace": "DataSyncScheduler",
            "Dimensions": [["service"]],
            "Metrics": [{"Name": "RunsSucceeded", "Unit": "Count"}, {"Name": "RunsFailed", "Unit": "Count"}],
        }
    ]
    assert (document["service"], document["RunsSucceeded"], document["RunsFailed"]) == ("datasync-scheduler", [0], [1])


def test_a_batch_publishes_how_many_of_its_tasks_succeeded_and_failed(aws: LocalAws, task_arn: str) -> None:
    def ran(index: int) -> dict[str, Any]:
        return {
            "succeeded": True,
            "index": index,
            "taskArn": task_arn,
            "taskName": "a",
            "filesTransferred": 1,
            "bytesTransferred": 1,
            "attempts": 1,
        }

    batch = {
        "names": ["nightly-1-0", "nightly-1-1", "nightly-1-2"],
        "maxConcurrency": 2,
        "results": [ran(0), {"succeeded": False, "index": 1, "taskArn": task_arn, "error": "DataSync.Failed"}, ran(2)],
    }
    sync_workflow = aws.stack.state_machines["SyncWorkflow"]
    event = {"batch": batch, "batchExecution": BATCH, "batchName": "nightly-1", "syncWorkflow": sync_workflow}
    invoke(aws, "SummarizeBatchFunction", event)

    (document,) = [doc for doc in printed_by_last(aws) if "BatchTasksSucceeded" in doc]
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "DataSyncScheduler" and directive["Dimensions"] == [["service"]]
    assert (document["BatchTasksSucceeded"], document["BatchTasksFailed"]) == ([2], [1])


def test_steps_that_publish_no_metrics_print_no_metric_document(
    aws: LocalAws, task_arn: str, log: FunctionLogs
) -> None:
    run_steps(aws, task_arn)
    printed = [call.output for call in aws.router.invocations]
    assert all(printed)  # their log lines are there to be read
    assert [emf_documents(output) for output in printed] == [[], [], []]


def test_a_stall_reported_without_cancelling_is_one_metric_document_and_a_check_without_one_prints_none() -> None:
    with local_aws() as aws:
        aws.deploy({"StallMinutes": "10", "StallAction": "report"})
        stuck = create_task(load_scenario("stalled-transferring"))
        forever = {"phases": [{"status": "LAUNCHING", "seconds": 20}, {"status": "TRANSFERRING", "seconds": None}]}
        aws.datasync.script_task(stuck, [ExecutionScript.from_dict(forever)])  # nothing ever moves
        run = invoke(aws, "StartSyncFunction", start_sync({"taskArn": stuck}))
        aws.clock.advance(600)  # well into TRANSFERRING
        check = {"request": {"taskArn": stuck}, "startedAt": None, "workflowExecution": WORKFLOW}
        run = invoke(aws, "CheckSyncFunction", {**check, "taskExecution": run})
        assert printed_by_last(aws) == []  # the counters' first sighting: nothing to count
        aws.clock.advance(600)
        run = invoke(aws, "CheckSyncFunction", {**check, "taskExecution": run})
        (document,) = printed_by_last(aws)
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "DataSyncScheduler" and directive["Dimensions"] == [["service"]]
        assert document["ExecutionsStalled"] == [1]  # what the execution-stalled alarm watches
        assert run["stalled"]["phase"] == "TRANSFERRING" and run["finished"] is False
        aws.clock.advance(600)
        invoke(aws, "CheckSyncFunction", {**check, "taskExecution": run})
        assert printed_by_last(aws) == []  # the same stall is counted once
