"""Analyze Run on fakes: which files failed, from the execution's own log stream, into the failure report."""

import itertools
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.ports import AnalysisPorts, ApiCallFailed
from datasync_scheduler.workflow.analyze_run import analyze_run
from datasync_scheduler.workflow.start_sync import start_sync
from tests.fakes import FakeBucket, FakeFailureSink, FakeLogs, FakeTaskReports
from tests.steps.conftest import WORKFLOW, World, settings, state

GROUP = "/aws/datasync/nightly"
GROUP_ARN = f"arn:aws:logs:us-east-1:123456789012:log-group:{GROUP}:*"
# The guide's Basic-mode verification failure: five lines of one stream, naming no execution.
GUIDE_LINES = (
    (Path(__file__).parents[1] / "fixtures/aws/attribution/basic-verification-failed.log").read_text().splitlines()
)

# Three failures: the guide's group, another file's group, and a one-line error.
LINES = (
    *GUIDE_LINES,
    *(line.replace("file1.txt", "file2.txt") for line in GUIDE_LINES),
    "[ERROR] Failed to open source file /directory1/gone.txt: No such file or directory",
)


def failed_run(world: World) -> tuple[Any, str]:
    task = world.datasync.add_task(log_group_arn=GROUP_ARN, log_level="BASIC")
    run = start_sync(SyncRequest(taskArn=task), WORKFLOW, world.ports, settings())
    execution = str(state(run)["executionArn"])
    world.datasync.advance(execution, "TRANSFERRING")
    world.pass_time(minutes=20)
    world.datasync.finish(execution, "ERROR", error_code="VerificationFailed")
    return run, execution


def analyze(world: World, run: Any, logs: FakeLogs, bucket: FakeBucket) -> dict[str, Any]:
    ports = AnalysisPorts(logs=logs, reports=FakeTaskReports(), sink_for=bucket.failure_sink)
    return dict(analyze_run(run, world.datasync, ports))


def test_a_verification_failure_in_the_executions_log_goes_to_the_failure_report(world: World) -> None:
    run, execution = failed_run(world)
    logs, bucket = FakeLogs(), FakeBucket()
    execution_id = execution.rsplit("/", 1)[-1]
    logs.put(GROUP, f"aws-datasync-{execution_id}", world.now - timedelta(minutes=1), *GUIDE_LINES)
    summary = analyze(world, run, logs, bucket)
    task_id = execution.split("/execution/")[0].rsplit("/", 1)[-1]
    assert summary["report"] == f"s3://{bucket.name}/failure-reports/{task_id}/{execution_id}.jsonl"
    assert summary["source"] == "logs" and summary["totalFailures"] == 1
    (failure,) = bucket.read_failures(summary["report"])
    assert failure["path"] == "/directory1/directory2/file1.txt"


def test_another_executions_stream_in_a_shared_group_is_left_out(world: World) -> None:
    run, _ = failed_run(world)
    logs, bucket = FakeLogs(), FakeBucket()
    logs.put(GROUP, "aws-datasync-exec-0fedcba987654321f", world.now - timedelta(minutes=1), *GUIDE_LINES)
    summary = analyze(world, run, logs, bucket)
    assert summary["totalFailures"] == 0 and summary["report"] is None
    assert bucket.objects == {}  # no failures, no report object


def test_a_log_group_that_is_gone_makes_the_analysis_unavailable_not_failed(world: World) -> None:
    run, _ = failed_run(world)
    summary = analyze(world, run, FakeLogs(), FakeBucket())
    assert summary["available"] is False
    assert f"the log group {GROUP} does not exist" in summary["note"]


def down(operation: str, code: str) -> ApiCallFailed:
    """What an adapter raises when the AWS call still fails after the SDK's retries."""
    return ApiCallFailed(Cause.of(operation, code, f"{operation} is down"))


class LogsThatAreDown(FakeLogs):
    def events(
        self, log_group: str, start: datetime, end: datetime, filter_pattern: str | None = None
    ) -> Iterator[tuple[str, str]]:
        raise down("FilterLogEvents", "ServiceUnavailableException")
        yield  # a generator, like the adapter's


class UnwritableSink(FakeFailureSink):
    """S3 refuses the list after taking its first failure."""

    def store(self, failures: Iterable[FileFailure]) -> str | None:
        next(iter(failures), None)
        raise down("UploadPart", "ServiceUnavailable")


class LogsThatFailHalfway(FakeLogs):
    """The group's events, then an outage before the last of them."""

    def events(
        self, log_group: str, start: datetime, end: datetime, filter_pattern: str | None = None
    ) -> Iterator[tuple[str, str]]:
        yield from itertools.islice(super().events(log_group, start, end, filter_pattern), 5)
        raise down("FilterLogEvents", "ThrottlingException")


def test_logs_that_cannot_be_read_leave_the_failures_unknown_and_name_the_call_and_its_error(world: World) -> None:
    run, execution = failed_run(world)
    summary = analyze(world, run, LogsThatAreDown(), FakeBucket())
    assert summary["available"] is False and summary["source"] == "unreadable"
    assert summary["cause"] == {
        "where": "FilterLogEvents",
        "error": "ServiceUnavailableException",
        "message": "FilterLogEvents is down",
    }
    assert summary["executionArn"] == execution  # a later attempt does not take it for its own
    assert (
        "the task's logs could not be read: FilterLogEvents failed with ServiceUnavailableException" in summary["note"]
    )


def test_a_failure_list_that_cannot_be_written_is_counted_but_never_pointed_to(world: World) -> None:
    run, execution = failed_run(world)
    logs, bucket = FakeLogs(), FakeBucket()
    logs.put(GROUP, f"aws-datasync-{execution.rsplit('/', 1)[-1]}", world.now - timedelta(minutes=1), *LINES)
    ports = AnalysisPorts(logs=logs, reports=FakeTaskReports(), sink_for=lambda key: UnwritableSink(bucket, key))
    summary = dict(analyze_run(run, world.datasync, ports))
    assert summary["available"] is True and summary["byCategory"] == {"checksum_mismatch": 2, "source_vanished": 1}
    assert summary["report"] is None
    assert summary["reportError"]["where"] == "UploadPart" and summary["reportError"]["error"] == "ServiceUnavailable"
    assert bucket.objects == {}


def test_logs_that_fail_while_the_list_is_written_leave_no_half_written_list(world: World) -> None:
    run, execution = failed_run(world)
    logs, bucket = LogsThatFailHalfway(), FakeBucket()
    logs.put(GROUP, f"aws-datasync-{execution.rsplit('/', 1)[-1]}", world.now - timedelta(minutes=1), *LINES)
    summary = analyze(world, run, logs, bucket)
    assert summary["available"] is False and summary["source"] == "unreadable"
    assert summary["cause"]["where"] == "FilterLogEvents"
    assert bucket.objects == {} and len(bucket.aborted) == 1


def test_a_task_that_cannot_be_described_leaves_the_failures_unknown_and_says_which_call_failed(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    run, execution = failed_run(world)

    def describe_task_down(task_arn: str) -> Any:
        raise down("DescribeTask", "InternalException")

    monkeypatch.setattr(world.datasync, "task", describe_task_down)
    summary = analyze(world, run, FakeLogs(), FakeBucket())
    assert summary["available"] is False and summary["executionArn"] == execution
    assert (summary["cause"]["where"], summary["cause"]["error"]) == ("DescribeTask", "InternalException")
