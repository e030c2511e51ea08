"""Reading DataSync's logs and writing the failure report, against moto and against awkward servers."""

import json
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

from datasync_scheduler.adapters import aws_clients
from datasync_scheduler.adapters.execution_logs import ExecutionLogs
from datasync_scheduler.adapters.failure_report import S3FailureReport
from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.ports import ServiceThrottled, ServiceUnreachable
from emulator.faults import RawBody
from emulator.local_aws import LocalAws

T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


# The HTTP status CloudWatch Logs answers each error with (botocore `logs/2014-03-28`: a `fault`
# is a server error).
ERROR_STATUS = {"ThrottlingException": 400, "ServiceUnavailableException": 500}


class ScriptedLogs:
    """CloudWatch Logs' HTTP answers from a script (pages, empty pages, throttling), given to a real
    botocore client built as the adapter's is, so botocore's own retries and parsing run."""

    def __init__(self, answers: list[dict[str, Any] | str], monkeypatch: pytest.MonkeyPatch) -> None:
        self.answers = answers
        self.calls: list[dict[str, Any]] = []
        self.pauses: list[float] = []
        # botocore sleeps between attempts in real time: record the pauses instead of waiting them.
        real_time = vars(botocore.endpoint)["time"]
        recorded = SimpleNamespace(**{**vars(real_time), "sleep": self.pauses.append})
        monkeypatch.setattr(botocore.endpoint, "time", recorded)
        self.client = boto3.client(
            "logs",
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=aws_clients.config("logs"),
        )
        self.client.meta.events.register("before-send.logs.FilterLogEvents", self._answer)

    def _answer(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        self.calls.append(json.loads(request.body or b"{}"))
        answer = self.answers.pop(0)
        if isinstance(answer, str):  # an error code, as CloudWatch Logs' JSON protocol sends it
            status, body = ERROR_STATUS[answer], {"__type": answer, "message": "injected"}
        else:
            status, body = 200, answer
        return AWSResponse(request.url, status, HTTPHeaders.from_dict({}), RawBody(json.dumps(body).encode()))


def test_every_page_is_read_including_empty_pages_that_promise_more(monkeypatch: pytest.MonkeyPatch) -> None:
    server = ScriptedLogs(
        [
            {"events": [{"message": "one", "logStreamName": "s1"}], "nextToken": "t1"},
            {"events": [], "nextToken": "t2"},
            {"events": [], "nextToken": "t2"},  # the same token again: still more to read
            {"events": [{"message": "two", "logStreamName": "s2"}]},
        ],
        monkeypatch,
    )
    logs = ExecutionLogs(server.client)
    assert list(logs.events("/g", T0, T0 + timedelta(hours=1), "pattern")) == [("one", "s1"), ("two", "s2")]
    assert [call.get("nextToken") for call in server.calls] == [None, "t1", "t2", "t2"]
    assert server.calls[0]["startTime"] == int(T0.timestamp() * 1000)
    assert server.calls[0]["filterPattern"] == "pattern"


def test_throttling_is_waited_out_by_botocores_retries_with_growing_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    server = ScriptedLogs(
        ["ThrottlingException", "ThrottlingException", {"events": [{"message": "m", "logStreamName": "s"}]}],
        monkeypatch,
    )
    assert list(ExecutionLogs(server.client).events("/g", T0, T0)) == [("m", "s")]
    assert len(server.calls) == 3 and len(server.pauses) == 2


def test_endless_throttling_fails_as_throttled_after_botocores_attempts(monkeypatch: pytest.MonkeyPatch) -> None:
    attempts = aws_clients.SERVICE_TOTAL_ATTEMPTS["logs"]
    server = ScriptedLogs(["ThrottlingException"] * (attempts + 5), monkeypatch)
    with pytest.raises(ServiceThrottled) as failed:
        list(ExecutionLogs(server.client).events("/g", T0, T0))
    assert (failed.value.cause.where, failed.value.cause.error) == ("FilterLogEvents", "ThrottlingException")
    assert len(server.calls) == attempts  # each page is asked for at most this often


def test_a_server_error_that_lasts_fails_as_unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    server = ScriptedLogs(["ServiceUnavailableException"] * 20, monkeypatch)
    with pytest.raises(ServiceUnreachable) as failed:
        list(ExecutionLogs(server.client).events("/g", T0, T0))
    assert failed.value.cause.error == "ServiceUnavailableException"


def test_a_large_failure_report_is_uploaded_in_parts_and_reads_back_whole(aws: LocalAws) -> None:
    s3 = boto3.client("s3", region_name="us-east-1")
    bucket = aws.stack.buckets["FailureReportBucket"]
    report = S3FailureReport(bucket, "failure-reports/big.jsonl", s3, part_size=5 * 1024 * 1024)
    count = 40_000
    failures = (FileFailure(f"/data/{index:06d}/" + "x" * 200, "checksum_mismatch", "NOTICE") for index in range(count))
    assert report.store(failures) == f"s3://{bucket}/failure-reports/big.jsonl"
    body = s3.get_object(Bucket=bucket, Key="failure-reports/big.jsonl")["Body"].read().decode()
    lines = body.splitlines()
    assert len(lines) == count
    assert json.loads(lines[-1])["path"].startswith(f"/data/{count - 1:06d}/")
