"""An operator runs, watches and looks back at runs with `datasync-scheduler`, over HTTP to the local stack."""

import io
import itertools
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from datasync_scheduler_cli.cli import main
from emulator.server import LocalStackServer
from tests.operate.conftest import http_clients

ROOT = Path(__file__).resolve().parents[2]
FAST = ["--interval", "0.05"]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def cli(served: LocalStackServer, *argv: str, stdout: io.StringIO | None = None) -> tuple[int, list[str]]:
    """Runs the command line with clients pointed at the server; returns its exit code and output lines."""
    out = stdout or io.StringIO()
    previous, sys.stdout = sys.stdout, out
    try:
        code = main(list(argv), clients=http_clients(served))
    finally:
        sys.stdout = previous
    return code, out.getvalue().splitlines()


def quick_copy(served: LocalStackServer) -> str:
    return served.task_arns[0]


def changing_share(served: LocalStackServer) -> str:
    return served.task_arns[1]


def test_an_operator_runs_a_task_and_watches_it_to_success(served: LocalStackServer) -> None:
    code, lines = cli(served, "run", "--task", quick_copy(served), "--watch", *FAST)

    assert code == 0
    assert lines[0].startswith(
        served.stack.outputs["SyncWorkflowArn"].replace(":stateMachine:", ":execution:") + ":manual-"
    )
    progress, verdict = lines[1:-1], lines[-1]
    assert verdict == "SUCCEEDED: DataSync completed the execution successfully."
    # Not a terminal: plain lines, each one only when something changed.
    assert not any("\r" in line for line in lines)
    assert all(earlier != later for earlier, later in itertools.pairwise(progress))
    transferring = [line for line in progress if line.startswith("TRANSFERRING")]
    assert transferring and "of 10.0 GiB" in transferring[-1] and "of 2,400 files  attempt 1" in transferring[-1]
    assert progress[-1].startswith("SUCCESS  100%  10.0 GiB of 10.0 GiB  2,400 of 2,400 files  attempt 1")
    # All of it came over HTTP: the stack's outputs, the start, the workflow and DataSync's progress.
    for request in ("DescribeStacks", "AWSStepFunctions.StartExecution", "FmrsService.DescribeTaskExecution"):
        assert request in served.requests


def test_watching_a_failing_run_on_a_terminal_redraws_one_line_and_exits_1(served: LocalStackServer) -> None:
    code, lines = cli(served, "run", "--task", changing_share(served))
    assert code == 0
    (execution_arn,) = lines

    terminal = Terminal()
    code, _ = cli(served, "watch", execution_arn, *FAST, stdout=terminal)

    assert code == 1
    redrawn, verdict = terminal.getvalue().rstrip("\n").split("\n")
    assert redrawn.startswith("\r") and redrawn.count("\r") > 1  # one line, drawn again and again in place
    assert "[" in redrawn and "]" in redrawn and "attempt 1" in redrawn
    assert verdict.startswith("FAILED (DataSync.ExecutionError): DataSync ended the execution in ERROR")


def test_history_lists_a_tasks_last_runs_newest_first(served: LocalStackServer) -> None:
    runs = []
    for task in (quick_copy(served), quick_copy(served), changing_share(served)):
        code, lines = cli(served, "run", "--task", task, "--watch", *FAST)
        runs.append(lines[0])

    code, lines = cli(served, "history", "--task", quick_copy(served), "--limit", "1", "--format", "json")
    assert code == 0
    (latest,) = json.loads("\n".join(lines))
    assert latest["workflowExecution"] == runs[1]
    assert (latest["status"], latest["attempts"], latest["bytesTransferred"]) == ("SUCCEEDED", 1, 10 * 1024**3)

    code, lines = cli(served, "history", "--format", "json")
    assert [entry["workflowExecution"] for entry in json.loads("\n".join(lines))] == runs[::-1]

    code, lines = cli(served, "history")
    header, failed, *succeeded = lines
    assert header.split() == ["ENDED", "(UTC)", "TASK", "OUTCOME", "DATA", "FILES", "FAILURES", "ATTEMPTS", "DURATION"]
    assert failed.split()[2:8] == ["changing-share", "FAILED", "DataSync.ExecutionError", "1.0", "GiB", "100"]
    assert "1 transient" in failed
    assert [line.split()[2:4] for line in succeeded] == [["quick-copy", "SUCCEEDED"]] * 2


def test_analyze_execution_lists_the_failed_files_of_a_run_on_the_local_stack(served: LocalStackServer) -> None:
    cli(served, "run", "--task", changing_share(served), "--watch", *FAST)
    _, lines = cli(served, "history", "--format", "json")
    execution_arn = json.loads("\n".join(lines))[0]["executionArn"]

    code, lines = cli(served, "analyze-execution", execution_arn, "--format", "json")

    assert code == 0
    report = json.loads("\n".join(lines))
    assert report["by_category"] == {"checksum_mismatch": 1}
    assert [failure["path"] for failure in report["failures"]] == ["/reports/q3.xlsx"]
    assert "Logs_20140328.FilterLogEvents" in served.requests


def test_a_batch_from_a_file_runs_every_task_and_fails_when_one_does(served: LocalStackServer, tmp_path: Path) -> None:
    batch = tmp_path / "batch.json"
    tasks: list[dict[str, Any]] = [{"taskArn": arn} for arn in served.task_arns]
    batch.write_text(json.dumps({"tasks": tasks, "maxConcurrency": 2}))

    code, lines = cli(served, "run", "--batch", str(batch), "--watch", *FAST)

    assert code == 1
    assert lines[0].startswith(
        served.stack.outputs["BatchWorkflowArn"].replace(":stateMachine:", ":execution:") + ":manual-"
    )
    assert lines[-1].startswith("FAILED (Batch.TasksFailed)")


def test_a_stack_that_is_not_there_is_named_with_what_to_do(
    served: LocalStackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _ = cli(served, "history", "--stack-name", "elsewhere")
    assert code == 2
    assert "cannot read the outputs of stack 'elsewhere'" in capsys.readouterr().err


def test_from_another_process_aws_endpoint_url_is_all_it_takes(served: LocalStackServer) -> None:
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        "AWS_ENDPOINT_URL": served.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "PYTHONPATH": f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT}",
    }
    command = [
        sys.executable,
        "-m",
        "datasync_scheduler_cli.cli",
        "run",
        "--task",
        quick_copy(served),
        "--watch",
        *FAST,
    ]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)

    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.splitlines()[-1] == "SUCCEEDED: DataSync completed the execution successfully."
    assert "AWSStepFunctions.StartExecution" in served.requests


def test_history_of_a_schedule_lists_only_the_runs_its_firings_started(served: LocalStackServer) -> None:
    sfn = http_clients(served)("stepfunctions")
    fired = {"taskArn": quick_copy(served), "firing": {"schedule": "nightly", "scheduledTime": "2026-11-22T00:00:00Z"}}
    started = sfn.start_execution(stateMachineArn=served.stack.outputs["SyncWorkflowArn"], input=json.dumps(fired))
    cli(served, "watch", started["executionArn"], *FAST)
    cli(served, "run", "--task", changing_share(served), "--watch", *FAST)  # by hand: belongs to no schedule

    code, lines = cli(served, "history", "--schedule", "nightly", "--format", "json")
    assert code == 0
    (entry,) = json.loads("\n".join(lines))
    assert entry["workflowExecution"] == started["executionArn"]
    assert (entry["schedule"], entry["scheduledTime"]) == ("nightly", "2026-11-22T00:00:00Z")

    code, lines = cli(served, "history", "--schedule", "nightly")
    header, row = lines
    assert header.split()[:4] == ["ENDED", "(UTC)", "TASK", "SCHEDULE"]
    assert row.split()[2:5] == ["quick-copy", "nightly", "SUCCEEDED"]
    _, lines = cli(served, "history", "--schedule", "weekly")
    assert lines == ["no runs recorded yet for schedule weekly"]


def test_history_of_a_schedule_name_eventbridge_would_refuse_is_an_error_naming_it(
    served: LocalStackServer, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli(served, "history", "--schedule", "night ly")
    assert exited.value.code == 2
    assert "--schedule: must be 1-64 letters, digits" in capsys.readouterr().err
