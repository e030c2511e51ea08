"""The datasync-scheduler command line, as a user runs it."""

import json
from pathlib import Path

import boto3
import pytest
from botocore.stub import Stubber

from datasync_scheduler_cli.cli import main
from emulator.local_aws import LocalAws
from emulator.scenario import load_scenario
from emulator.scenario_tasks import create_task

REFERENCE_LOG = """\
[NOTICE] Verification failed <> /directory1/directory2/file1.txt
[NOTICE] /directory1/directory2/file1.txt   srcMeta: type=R mode=0755 uid=65534 gid=65534 size=534528 atime=1633100003/684349800 mtime=1602647222/222919600 extAttrsHash=0
[NOTICE]   srcHash: 0c506c26bd1e43bd3ac346734f1a9c16c4ad100d1b43c2903772ca894fd24e44
[NOTICE] /directory1/directory2/file1.txt   dstMeta: type=R mode=0755 uid=65534 gid=65534 size=511001 atime=1633100003/684349800 mtime=1633106855/859227500 extAttrsHash=0
[NOTICE]   dstHash: dbd798929f11a7c0201e97f7a61191a83b4e010a449dfc79fbb8233801067c46
[ERROR] Failed to open source file /file1.dll: No such file or directory
[WARN] Failed to read metadata for file /file1.png: S3 Head Object Failed
"""  # noqa: E501 - real DataSync lines


def test_analyze_logs_lists_every_failure_of_the_guides_examples_as_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "datasync.log"
    log.write_text(REFERENCE_LOG)
    assert main(["analyze-logs", str(log), "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["total_failures"] == 3
    assert document["by_category"] == {"checksum_mismatch": 1, "source_vanished": 1, "access_denied": 1}
    assert [failure["path"] for failure in document["failures"]] == [
        "/directory1/directory2/file1.txt",
        "/file1.dll",
        "/file1.png",
    ]


FIXTURES = Path(__file__).parents[1] / "fixtures" / "aws" / "logs"


def test_analyze_logs_reads_the_guides_pretty_printed_enhanced_events(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The guide prints Enhanced-mode events indented; a user pastes two of them one after the other.
    log = tmp_path / "enhanced.json"
    pretty = (FIXTURES / "enhanced-metadata-differs.json").read_text()
    log.write_text(pretty + pretty)
    assert main(["analyze-logs", str(log)]) == 0
    out = capsys.readouterr().out
    assert "2 failure(s)" in out
    assert "metadata_mismatch      ERROR   /encoding/content-null" in out


def test_analyze_logs_says_where_json_input_is_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    log = tmp_path / "broken.json"
    log.write_text('{\n  "ErrorCode": "MetadataDiffers",\n')
    assert main(["analyze-logs", str(log)]) == 2
    assert "error: the input is not valid JSON: " in capsys.readouterr().err


def test_analyze_logs_reads_the_aws_cli_json_from_standard_input(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    events = [{"logStreamName": "s1", "message": line, "timestamp": 1} for line in REFERENCE_LOG.splitlines()]
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps({"events": events}, indent=2)))
    assert main(["analyze-logs", "-"]) == 0
    out = capsys.readouterr().out
    assert "3 failure(s)" in out
    assert "checksum_mismatch      NOTICE  /directory1/directory2/file1.txt" in out


def test_analyze_execution_reads_an_execution_from_the_account(
    aws: LocalAws, capsys: pytest.CaptureFixture[str]
) -> None:
    task_arn = create_task(load_scenario("verification-mismatch"))
    aws.datasync.script_task(task_arn, load_scenario("verification-mismatch").executions)
    execution_arn = boto3.client("datasync", region_name="us-east-1").start_task_execution(TaskArn=task_arn)[
        "TaskExecutionArn"
    ]
    aws.clock.advance(4 * 3600)
    assert main(["analyze-execution", execution_arn, "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["available"] is True and document["source"] == "logs"
    assert document["by_category"] == {"checksum_mismatch": 1, "metadata_mismatch": 1}


def test_a_scenario_that_does_not_exist_is_named_with_the_ones_that_do(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scenario", "no-such-scenario"]) == 2
    assert "available: agent-offline" in capsys.readouterr().err


def test_analyze_execution_says_which_call_aws_refused_without_a_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    task_arn = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
    execution_arn = f"{task_arn}/execution/exec-0123456789abcdef0"
    datasync = boto3.client("datasync", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stubber = Stubber(datasync)
    stubber.add_response("describe_task_execution", {"TaskExecutionArn": execution_arn, "Status": "ERROR"})
    # The task was deleted after its execution ended: DataSync no longer describes it.
    stubber.add_client_error(
        "describe_task", "InvalidRequestException", "Request references a resource which does not exist."
    )
    with stubber:
        assert main(["analyze-execution", execution_arn], clients=lambda service: datasync) == 1
    error = capsys.readouterr().err
    refused = "Request references a resource which does not exist."
    assert error == f"error: DescribeTask failed with InvalidRequestException: {refused}\n"
