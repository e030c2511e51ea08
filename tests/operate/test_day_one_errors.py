"""A first day with the command line: each usual mistake gets one sentence that says what to do, never a
traceback (unless asked for with --debug)."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from datasync_scheduler_cli.cli import main

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_LOG = ROOT / "tests" / "fixtures" / "aws" / "logs" / "basic-checksum-mismatch.log"


@pytest.fixture
def no_aws_configuration(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A machine where nothing about AWS is set up: no profile files, no keys, no Region, no metadata service."""
    for name in list(__import__("os").environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name)
    empty = tmp_path / "empty"
    empty.write_text("")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(empty))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(empty))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A port bound but never listened on: a connection to it is refused at once, and no one else can take it."""
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        yield held.getsockname()[1]


def one_line_error(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert err.startswith("error: ")
    return err


def test_without_a_region_the_operator_is_told_to_set_one(
    no_aws_configuration: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history"]) == 2
    assert "no AWS Region is set: export AWS_REGION" in one_line_error(capsys)


def test_without_credentials_the_operator_is_told_how_to_get_them(
    no_aws_configuration: None, monkeypatch: pytest.MonkeyPatch, refusing_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    # Were credentials found after all, the call would go nowhere: the request is signed before it is sent.
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refusing_port}")
    assert main(["history"]) == 2
    err = one_line_error(capsys)
    assert "no AWS credentials found: run `aws configure`" in err
    assert "datasync-scheduler local serve" in err


def test_a_local_stack_that_is_not_running_is_named_with_how_to_start_it(
    monkeypatch: pytest.MonkeyPatch, refusing_port: int, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = f"http://127.0.0.1:{refusing_port}"
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)

    def clients(service: str) -> Any:
        # One attempt: botocore's retries of a refused connection would only slow the test down.
        return boto3.client(
            service,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            endpoint_url=endpoint,
            config=Config(retries={"max_attempts": 1, "mode": "standard"}),
        )

    assert main(["history"], clients=clients) == 2
    err = one_line_error(capsys)
    assert f"cannot reach {endpoint}" in err
    assert "start it with `datasync-scheduler local serve`" in err


def test_a_batch_file_that_is_not_there_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nightly.json"
    assert main(["run", "--batch", str(missing)], clients=_no_aws) == 2
    assert f"cannot read {missing}: No such file or directory" in one_line_error(capsys)


def test_a_batch_file_that_is_not_text_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    binary = tmp_path / "nightly.json"
    binary.write_bytes(b"\xff\xfe\x00[")
    assert main(["run", "--batch", str(binary)], clients=_no_aws) == 2
    assert "the input is not UTF-8 text" in one_line_error(capsys)


def test_a_stack_that_is_not_this_projects_is_named_with_the_output_it_lacks(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def clients(service: str) -> Any:
        assert service == "cloudformation"
        return _StackWithoutOutputs()

    assert main(["run", "--task", "arn:aws:datasync:us-east-1:111122223333:task/task-0123456789abcdef0"], clients) == 2
    err = one_line_error(capsys)
    assert "stack 'datasync-scheduler' has no output SyncWorkflowArn" in err
    assert "--stack-name" in err
    assert "--state-machine-arn" in err


def test_debug_shows_the_traceback_as_well(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--debug", "run", "--batch", str(tmp_path / "nowhere.json")], clients=_no_aws) == 2
    err = capsys.readouterr().err
    assert "Traceback" in err
    assert err.rstrip().endswith("No such file or directory")


def test_a_bug_says_so_in_one_line_and_points_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    def broken(service: str) -> Any:
        raise RuntimeError("a bug of ours")

    assert main(["history", "--ledger-table", "runs"], clients=broken) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines() == [
        "error: unexpected RuntimeError: a bug of ours",
        "run it again with --debug to see where it happened",
    ]


def test_output_piped_into_head_ends_quietly(tmp_path: Path) -> None:
    # Far more than a pipe buffer of output, so the command is still writing when the reader leaves.
    log = tmp_path / "big.log"
    record = SAMPLE_LOG.read_text(encoding="utf-8")
    log.write_text("".join(record.replace("file1.txt", f"file{index}.txt") for index in range(3000)), encoding="utf-8")
    command = [sys.executable, "-m", "datasync_scheduler_cli.cli", "analyze-logs", str(log)]
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) as reader:
        assert reader.stdout is not None and reader.stderr is not None
        first = reader.stdout.readline()
        reader.stdout.close()  # what `head -1` does after its line
        err = reader.stderr.read().decode()
        status = reader.wait(timeout=60)
    assert b"file0.txt" in first
    assert err == ""
    assert status == 1


def _no_aws(service: str) -> Any:
    raise AssertionError(f"nothing should reach AWS ({service}) before the input is read")


class _StackWithoutOutputs:
    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {"Stacks": [{"StackName": StackName, "Outputs": []}]}
