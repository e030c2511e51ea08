"""Reading DataSync's logs and writing the failure report, against moto and against awkward servers."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from datasync_scheduler.adapters.execution_logs import ExecutionLogs
from datasync_scheduler.adapters.failure_report import S3FailureReport
from datasync_scheduler.domain.failures import FileFailure
from emulator.runner import LocalAws

T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


class ScriptedLogs:
    """A CloudWatch Logs client that answers from a script: pages, empty pages, throttling."""

    def __init__(self, answers: list[dict[str, Any] | Exception]) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []

    def filter_log_events(self, **params: Any) -> dict[str, Any]:
        self.calls.append(params)
        answer = self.answers.pop(0)
        if isinstance(answer, Exception):
            raise answer
        return answer


def throttled() -> ClientError:
    return ClientError({"Error": {"Code": "ThrottlingException", "Message": "Rate exceeded"}}, "FilterLogEvents")


def test_every_page_is_read_including_empty_pages_that_promise_more() -> None:
    client = ScriptedLogs(
        [
            {"events": [{"message": "one", "logStreamName": "s1"}], "nextToken": "t1"},
            {"events": [], "nextToken": "t2"},
            {"events": [{"message": "two", "logStreamName": "s2"}]},
        ]
    )
    logs = ExecutionLogs(client, sleep=lambda seconds: None)
    assert list(logs.events("/g", T0, T0 + timedelta(hours=1), "pattern")) == [("one", "s1"), ("two", "s2")]
    assert [call.get("nextToken") for call in client.calls] == [None, "t1", "t2"]
    assert client.calls[0]["startTime"] == int(T0.timestamp() * 1000)
    assert client.calls[0]["filterPattern"] == "pattern"


def test_throttling_is_waited_out_with_growing_pauses() -> None:
    pauses: list[float] = []
    client = ScriptedLogs([throttled(), throttled(), {"events": [{"message": "m", "logStreamName": "s"}]}])
    logs = ExecutionLogs(client, sleep=pauses.append)
    assert list(logs.events("/g", T0, T0)) == [("m", "s")]
    assert len(pauses) == 2 and logs.requests == 3


def test_endless_throttling_eventually_fails_loudly() -> None:
    logs = ExecutionLogs(ScriptedLogs([throttled() for _ in range(10)]), sleep=lambda seconds: None)
    with pytest.raises(ClientError):
        list(logs.events("/g", T0, T0))


def test_a_large_failure_report_is_uploaded_in_parts_and_reads_back_whole(aws: LocalAws) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = aws.stack.buckets["FailureReportBucket"]
    report = S3FailureReport(bucket, "failure-reports/big.jsonl", s3, part_size=5 * 1024 * 1024)
    count = 40_000
    for index in range(count):
        report.write(FileFailure(f"/data/{index:06d}/" + "x" * 200, "checksum_mismatch", "NOTICE"))
    assert report.close() == f"s3://{bucket}/failure-reports/big.jsonl"
    body = s3.get_object(Bucket=bucket, Key="failure-reports/big.jsonl")["Body"].read().decode()
    lines = body.splitlines()
    assert len(lines) == count
    assert json.loads(lines[-1])["path"].startswith(f"/data/{count - 1:06d}/")
