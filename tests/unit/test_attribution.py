"""A list of failed files drives a retry by file list only when it is this execution's, and all of it."""

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from botocore.stub import Stubber

from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.attribution import file_list_doubt
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.retry_policy import AttemptOutcome, RetrySettings, decide_retry
from datasync_scheduler.domain.run_result import RunResult, judge_execution
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.email import render_email
from datasync_scheduler.messages.message import run_message
from datasync_scheduler.messages.slack_blocks import render_slack
from datasync_scheduler.workflow.analyze_run import analyze

TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
THIS = "exec-0123456789abcdef0"
OTHER = "exec-fedcba98765432100"
EXECUTION = f"{TASK}/execution/{THIS}"
GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/datasync/shares:*"
NOW = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)
# The guide's Basic-mode verification failure: five lines of one stream, naming no execution.
GUIDE_LINES = (Path(__file__).parent.parent / "fixtures/aws/attribution/basic-verification-failed.log").read_text()


def written_to(stream: str) -> list[tuple[str, str]]:
    return [(line, stream) for line in GUIDE_LINES.splitlines()]


def described(**fields: Any) -> ExecutionSnapshot:
    """DescribeTaskExecution as boto3 returns it; the stub refuses any member botocore's model lacks."""
    client = boto3.client("datasync", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="x")
    response = {
        "TaskExecutionArn": EXECUTION,
        "Status": "ERROR",
        "TaskMode": "ENHANCED",
        "StartTime": datetime(2026, 11, 22, 1, 0, tzinfo=UTC),
        "EndTime": datetime(2026, 11, 22, 1, 30, tzinfo=UTC),
        "Options": {"LogLevel": "BASIC"},
        **fields,
    }
    with Stubber(client) as stub:
        stub.add_response("describe_task_execution", response, {"TaskExecutionArn": EXECUTION})
        return ExecutionSnapshot.from_api(client.describe_task_execution(TaskExecutionArn=EXECUTION))


class Logs:
    def __init__(self, events: list[tuple[str, str]]) -> None:
        self._events = events

    def events(self, *_: Any, **__: Any) -> Any:
        return iter(self._events)


class NoReports:
    def detailed_documents(self, *_: Any) -> Any:
        return iter(())


class Sink:
    def __init__(self) -> None:
        self.written: list[FileFailure] = []

    def store(self, failures: Iterable[FileFailure]) -> str | None:
        self.written.extend(failures)
        return "s3://reports/failures.jsonl" if self.written else None


def analysed(events: list[tuple[str, str]], snapshot: ExecutionSnapshot | None = None) -> dict[str, Any]:
    task = TaskFacts(task_arn=TASK, log_group_arn=GROUP, log_level="BASIC")
    snapshot = snapshot or ExecutionSnapshot(EXECUTION, "ERROR", start_time=NOW, end_time=NOW)
    return analyze(snapshot, task, logs=Logs(events), reports=NoReports(), sink=Sink(), now=NOW)


SETTINGS = RetrySettings()


def test_datasyncs_failed_file_and_folder_counts_are_summed_over_their_phases() -> None:
    snapshot = described(
        FilesFailed={"Prepare": 1, "Transfer": 2, "Verify": 3, "Delete": 0},
        FoldersFailed={"List": 1, "Prepare": 0, "Transfer": 0, "Verify": 0, "Delete": 0},
    )
    assert (snapshot.files_failed, snapshot.folders_failed) == (6, 1)


def test_a_basic_mode_execution_has_no_failure_count_of_its_own() -> None:
    snapshot = described(TaskMode="BASIC")
    assert (snapshot.files_failed, snapshot.folders_failed) == (None, None)


def test_a_stream_named_after_this_execution_is_its_own_and_another_executions_stream_is_left_out() -> None:
    summary = analysed(written_to(f"aws-datasync-{OTHER}") + written_to(f"aws-datasync-{THIS}"))
    assert summary["totalFailures"] == 1
    assert summary["attribution"]["certain"] is True
    assert summary["attribution"]["otherExecutions"] == [OTHER]
    assert file_list_doubt(summary) is None


def test_a_stream_that_names_no_execution_is_read_but_leaves_the_list_uncertain() -> None:
    summary = analysed(written_to("d5e8c1a0b3f24e6f9a7c0b1d2e3f4a5b"))
    assert summary["totalFailures"] == 1  # never dropped
    assert summary["attribution"]["certain"] is False
    assert "may include another execution's" in str(file_list_doubt(summary))


def test_fewer_failures_in_the_logs_than_datasync_counted_make_the_list_incomplete() -> None:
    snapshot = described(FilesFailed={"Prepare": 0, "Transfer": 3, "Verify": 0, "Delete": 0})
    summary = analysed(written_to(f"aws-datasync-{THIS}"), snapshot)
    assert summary["dataSyncCounted"] == 3
    assert file_list_doubt(summary) == "DataSync counted 3 failed files; the logs name 1"


def test_an_uncertain_or_incomplete_list_is_retried_as_the_whole_task_never_by_file_list() -> None:
    certain = {"available": True, "totalFailures": 2, "byCategory": {"checksum_mismatch": 2}}
    assert decide_retry(AttemptOutcome("ERROR"), certain, 1, SETTINGS).action == "retry_files"
    for doubtful in (
        {**certain, "attribution": {"certain": False, "note": "lines of unknown origin"}},
        {**certain, "dataSyncCounted": 5},
        {**certain, "dataSyncCounted": 1},
    ):
        decision = decide_retry(AttemptOutcome("ERROR"), doubtful, 1, SETTINGS)
        assert decision.action == "retry_all"
        assert decision.reason.startswith("retrying the whole task, not by file list: ")


def test_the_message_says_datasync_counted_failures_the_logs_do_not_name_even_when_they_name_none() -> None:
    snapshot = described(FilesFailed={"Prepare": 0, "Transfer": 2, "Verify": 0, "Delete": 0})
    summary = analysed([], snapshot)
    verdict = judge_execution(snapshot, watchdog_note=None, abandoned=False)
    message = run_message(RunResult(verdict, task_arn=TASK, execution_arn=EXECUTION, failures=summary))
    note = "DataSync counted 2 failed files; the logs name 0"
    assert f"Note: {note}." in render_email(message).message
    assert note in json.dumps(render_slack(message))
    assert note in json.dumps(render_chatbot(message))
