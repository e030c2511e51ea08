"""Many tasks per night: the BatchWorkflow runs one SyncWorkflow per task and tells the outcome once."""

from datetime import datetime
from functools import cache
from typing import Any

import pytest
from moto.core.exceptions import AWSError
from moto.sns.exceptions import InvalidParameterValue
from moto.sns.models import Topic
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from datasync_scheduler.adapters.notification_topic import NotPublished, SnsTopic
from datasync_scheduler.workflow import summarize_batch, validate_batch
from datasync_scheduler.workflow.state.batch import SyncRunOutput
from datasync_scheduler_cli.cli import main
from tests.workflow.conftest import run


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@cache
def nightly_batch() -> dict[str, Any]:
    """The `nightly-batch` scenario, run once per test process (it takes a few seconds)."""
    return run("nightly-batch")


def most_at_once(executions: list[dict[str, Any]]) -> int:
    """The most DataSync executions running at the same virtual moment (an end and a start may touch)."""
    moments = []
    for execution in executions:
        moments.append((at(execution["phases"][0]["at"]), 1))
        moments.append((at(execution["phases"][-1]["at"]), -1))
    running = peak = 0
    for _, change in sorted(moments):  # at the same moment, ends (-1) sort before starts (+1)
        running += change
        peak = max(peak, running)
    return peak


def task_names(summary: dict[str, Any]) -> list[str]:
    """The tasks' names, in the batch's order, as the batch's message lists them."""
    (message,) = batch_messages(summary)
    return [line.split()[1].rstrip(":") for line in task_lines(message)]


def task_lines(message: dict[str, Any]) -> list[str]:
    """The batch message's line per task: its outcome, then its name."""
    return str(message["message"]).split("\nTasks:\n", 1)[1].split("\n\n", 1)[0].splitlines()


def batch_messages(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [n for n in summary["notifications"] if n["attributes"].get("kind", {}).get("Value") == "batch"]


def test_each_task_of_the_nightly_batch_runs_in_its_own_sync_workflow_execution() -> None:
    summary = nightly_batch()

    children = summary["batch"]["children"]
    assert [child["name"] for child in children] == [f"nightly-batch-run-1-{index}" for index in range(5)]
    # Each child was started with exactly the task's sync request, as the schedule gave it.
    assert [set(child["input"]) for child in children] == [{"taskArn"}] * 5
    assert [child["status"] for child in children] == ["SUCCEEDED", "SUCCEEDED", "FAILED", "SUCCEEDED", "SUCCEEDED"]
    # Every task run keeps its own history; the batch's stays small.
    assert all(child["history_events"] < 100 for child in children)
    assert summary["history_events"] < 100
    # Six DataSync executions: one per task, and design-share's retry of only its three changed files.
    assert len(summary["executions"]) == 6
    (retry,) = [execution for execution in summary["executions"] if execution["manifest"]]
    assert retry["manifest"]["paths"] == [
        "projects/atrium/plan-rev7.dwg",
        "projects/atrium/render.png",
        "projects/lobby/notes.txt",
    ]


def test_no_more_than_the_concurrency_limit_runs_at_once() -> None:
    summary = nightly_batch()

    # NightlyMaxConcurrency, set from the scenario's maxConcurrency, reached the batch.
    assert "at most 2 at a time" in summary["notifications"][-1]["message"]
    assert most_at_once(summary["executions"]) == 2
    # The third task waits for a free slot. (Usually it starts the very second one frees up; with
    # several executions in flight on a loaded machine the virtual clock can run a little ahead of
    # the Map's thread, so only the order is asserted.)
    first, second, third = summary["executions"][:3]
    assert third["phases"][0]["at"] >= min(first["phases"][-1]["at"], second["phases"][-1]["at"])


def test_the_batch_fails_because_one_task_failed_and_says_which() -> None:
    summary = nightly_batch()

    assert summary["status"] == "FAILED"
    assert summary["error"] == "Batch.TasksFailed"
    assert summary["cause"] == "1 of 5 task(s) failed: partner-drop (DataSync.ExecutionError)."


def test_one_batch_message_counts_the_outcomes_next_to_each_tasks_own_message() -> None:
    summary = nightly_batch()

    batch_only = batch_messages(summary)
    task_messages = [n for n in summary["notifications"] if n not in batch_only]
    assert len(task_messages) == 5
    assert "DataSync partner-drop: sync FAILED (DataSync.ExecutionError)" in {n["subject"] for n in task_messages}
    (batch_message,) = batch_only
    assert batch_message["subject"] == "DataSync batch: 4 of 5 tasks succeeded, 1 FAILED"
    assert batch_message == summary["notifications"][-1]  # after every task's run
    lines = batch_message["message"].splitlines()
    assert lines[0] == "The DataSync batch ran 5 task(s), at most 2 at a time: 4 succeeded, 1 failed."
    tasks_section = batch_message["message"].split("\nTasks:\n", 1)[1].split("\n\n", 1)[0]
    task_lines = [line.split(":")[0].split() for line in tasks_section.splitlines()]
    assert task_lines == [
        ["SUCCEEDED", "finance-share"],
        ["SUCCEEDED", "design-share"],
        ["FAILED", "partner-drop"],
        ["SUCCEEDED", "photo-archive"],
        ["SUCCEEDED", "hr-records"],
    ]
    assert "design-share: recovered on attempt 2 (3 file(s), 70.0 MiB)" in batch_message["message"]
    # Published by Summarize Batch, so nothing was counted as lost.
    assert [d for d in summary["metric_data"] if d["name"] == "NotificationsNotPublished"] == []


def test_each_task_runs_result_says_what_happened_to_it() -> None:
    summary = nightly_batch()
    # A FAILED batch has no output (like any Fail state); each task's run has its own.
    children = summary["batch"]["children"]
    failed = children[2]
    assert failed["error"] == "DataSync.ExecutionError"
    assert "not retried: only permanent failures (access_denied)" in failed["cause"]
    succeeded = children[1]
    assert succeeded["output"]["verdict"]["status"] == "SUCCEEDED"
    assert len(succeeded["output"]["attempts"]) == 2


def test_a_bad_item_is_rejected_before_any_datasync_call_naming_its_index_and_field() -> None:
    raw = nightly_batch_scenario()
    raw["trigger"] = "manual"
    raw["tasks"][3]["input"] = {"overrides": {"VerifyMode": "SOMETIMES"}}
    summary = run("nightly-batch", **raw)

    assert summary["status"] == "FAILED"
    assert summary["error"] == "InvalidBatchRequest"
    assert "tasks[3]" in summary["cause"] and "overrides.VerifyMode" in summary["cause"]
    for index in (0, 1, 2, 4):
        assert f"tasks[{index}]" not in summary["cause"]
    assert summary["executions"] == []
    assert summary["batch"]["children"] == []
    # The Slack notifier, subscribed to the topic, posts the batch's message.
    assert {call["function"] for call in summary["invocations"]} == {
        "ValidateBatchFunction",
        "SummarizeBatchFunction",
        "NotifySlackFunction",
    }
    (notification,) = summary["notifications"]
    assert notification["subject"] == "DataSync batch: FAILED (InvalidBatchRequest)"
    assert "tasks[3]" in notification["message"]


def test_a_manual_batch_runs_the_same_way_with_its_own_concurrency() -> None:
    raw = nightly_batch_scenario()
    raw.update(trigger="manual", maxConcurrency=1, tasks=[raw["tasks"][0], raw["tasks"][4]])
    summary = run("nightly-batch", **raw)

    assert summary["status"] == "SUCCEEDED"
    assert summary["output"]["counts"] == {"tasks": 2, "succeeded": 2, "failed": 0}
    assert task_names(summary) == ["finance-share", "hr-records"]
    assert most_at_once(summary["executions"]) == 1
    first, second = summary["executions"]
    assert second["phases"][0]["at"] == first["phases"][-1]["at"]


def test_the_demo_prints_each_task_run_and_the_batch_message(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scenario", "nightly-batch"]) == 0  # the scenario expects FAILED
    printed = capsys.readouterr().out
    assert "Task runs (one SyncWorkflow execution each): 5" in printed
    assert "nightly-batch-run-1-2  FAILED    partner-drop" in printed
    assert "  | Subject: DataSync batch: 4 of 5 tasks succeeded, 1 FAILED" in printed


def nightly_batch_scenario() -> dict[str, Any]:
    import json

    from emulator.scenario import SCENARIO_DIR

    return dict(json.loads((SCENARIO_DIR / "nightly-batch.json").read_text()))


def test_every_succeeded_runs_output_has_what_the_batch_reads_of_it() -> None:
    # The SyncWorkflow's real output, against the fields Run Task's ResultSelector reads (`.sync:2`'s Output).
    for child in nightly_batch()["batch"]["children"]:
        if child["status"] == "SUCCEEDED":
            SyncRunOutput.model_validate(child["output"])


def test_the_batchs_state_stays_small_and_never_carries_a_request_or_a_message() -> None:
    summary = nightly_batch()
    assert summary["batch"]["largest_state_bytes"] < 8 * 1024


def test_a_summary_that_keeps_failing_still_ends_with_one_message_and_no_verdict_it_cannot_show(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the summary broke")

    monkeypatch.setattr(summarize_batch, "summarize_batch_step", broken)
    summary = nightly_batch_run()

    # The runs' results are in S3 (the Map run's ResultWriter), which no state can count: the batch
    # says how many tasks ran and where their results are, and ends FAILED for a person to look.
    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.OutcomeUnknown")
    assert summary["cause"].startswith("5 task(s) ran; the batch summary failed with RuntimeError")
    (message,) = batch_messages(summary)
    assert message["subject"] == "DataSync batch: 5 tasks ran, outcome unknown (no summary)"
    assert "ran 5 task(s)" in message["message"] and "RuntimeError" in message["message"]
    assert "batches/nightly-batch-run-1/results/" in message["message"]
    assert message["attributes"]["outcome"]["Value"] == "failed"
    # Every task still ran exactly once, and Summarize Batch was retried before the fallback.
    assert len(summary["batch"]["children"]) == 5
    assert [call["function"] for call in summary["invocations"]].count("SummarizeBatchFunction") == 5


def test_a_summary_that_fails_after_every_task_succeeded_claims_no_success_it_cannot_show(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(summarize_batch, "summarize_batch_step", lambda *args, **kwargs: 1 / 0)
    raw = nightly_batch_scenario()
    raw.update(trigger="manual", maxConcurrency=2, tasks=[raw["tasks"][0], raw["tasks"][4]])
    summary = run("nightly-batch", **raw)

    assert [child["status"] for child in summary["batch"]["children"]] == ["SUCCEEDED", "SUCCEEDED"]
    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.OutcomeUnknown")
    (message,) = batch_messages(summary)
    assert message["subject"] == "DataSync batch: 2 tasks ran, outcome unknown (no summary)"
    assert "ZeroDivisionError" in message["message"]


def test_a_validation_that_breaks_is_named_in_the_batchs_message_and_nothing_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise KeyError("tasks")

    monkeypatch.setattr(validate_batch, "validate_batch", broken)
    summary = nightly_batch_run()

    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.ValidationFailed")
    assert summary["cause"].startswith("The batch was not started: Validate Batch failed with KeyError: 'tasks'")
    assert summary["executions"] == [] and summary["batch"]["children"] == []
    (message,) = batch_messages(summary)
    assert message["subject"] == "DataSync batch: FAILED (Batch.ValidationFailed)"


def test_when_validation_and_summary_both_break_the_message_names_both(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate_batch, "validate_batch", lambda *args, **kwargs: {}["tasks"])
    monkeypatch.setattr(summarize_batch, "summarize_batch_step", lambda *args, **kwargs: 1 / 0)
    summary = nightly_batch_run()

    assert (summary["status"], summary["error"]) == ("FAILED", "KeyError")
    assert "Summarize Batch failed with ZeroDivisionError" in summary["cause"]
    (message,) = batch_messages(summary)
    assert message["subject"] == "DataSync batch: FAILED (not started, no summary)"
    assert "Validate Batch ended with KeyError" in message["message"]


def test_a_batch_message_sns_refuses_is_counted_and_the_verdict_stands(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: SnsTopic, **kwargs: Any) -> str:
        # Only the batch's message: each task's run publishes its own through the same class.
        if "batch" in kwargs["subject"]:
            raise NotPublished("KMSDisabled", "the key is disabled")
        return original(self, **kwargs)

    original = SnsTopic.publish
    monkeypatch.setattr(SnsTopic, "publish", refuse)
    summary = nightly_batch_run()

    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.TasksFailed")
    assert batch_messages(summary) == []
    counted = [datum for datum in summary["metric_data"] if datum["name"] == "NotificationsNotPublished"]
    assert [datum["value"] for datum in counted] == [1]


def nightly_batch_run() -> dict[str, Any]:
    raw = nightly_batch_scenario()
    raw["trigger"] = "manual"
    return run("nightly-batch", **raw)


def test_when_even_the_fallback_message_is_refused_it_is_counted_and_the_verdict_stands(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse_fallback(self: Topic, message: str, subject: str | None = None, **kwargs: Any) -> str:
        if subject and "no summary" in subject:
            raise InvalidParameterValue("the topic refuses it")
        return original(self, message, subject, **kwargs)

    original = Topic.publish
    monkeypatch.setattr(Topic, "publish", refuse_fallback)
    monkeypatch.setattr(summarize_batch, "summarize_batch_step", lambda *args, **kwargs: 1 / 0)
    summary = nightly_batch_run()

    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.OutcomeUnknown")
    assert batch_messages(summary) == []
    counted = [datum for datum in summary["metric_data"] if datum["name"] == "NotificationsNotPublished"]
    assert [datum["value"] for datum in counted] == [1]


class ExecutionLimitExceeded(AWSError):
    TYPE = "ExecutionLimitExceeded"
    STATUS = 400


def test_a_task_whose_run_cannot_start_is_reported_by_its_error_name_and_the_others_still_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    refused: list[str] = []

    def start_execution(self: Any, state_machine_arn: str, name: Any = None, *args: Any, **kwargs: Any) -> Any:
        if isinstance(name, str) and name.endswith("-3"):
            refused.append(name)
            raise ExecutionLimitExceeded("Execution limit exceeded")
        return original(self, state_machine_arn, name, *args, **kwargs)

    original = StepFunctionsParserBackend.start_execution
    monkeypatch.setattr(StepFunctionsParserBackend, "start_execution", start_execution)
    summary = nightly_batch_run()

    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.TasksFailed")
    # The emulator names the integration's error after the SDK's exception; AWS's name is not
    # documented, and Run Task retries both (docs/aws-facts.md#step-functions-and-cloudformation-names).
    error = "StepFunctions.ExecutionLimitExceededException"
    assert summary["cause"] == (
        f"2 of 5 task(s) failed: partner-drop (DataSync.ExecutionError), photo-archive ({error})."
    )
    assert len(refused) == 6  # the first start and Run Task's five retries
    assert len(summary["batch"]["children"]) == 4
    (message,) = batch_messages(summary)
    assert f"FAILED    photo-archive: {error}" in message["message"]


def test_tasks_whose_report_breaks_are_counted_by_their_syncs_outcome_and_the_batch_still_tells_it_once() -> None:
    # A run whose sync succeeded but whose Report Run broke ends SUCCEEDED without a run result, so
    # Run Task's ResultSelector finds no taskArn (States.Runtime, which no Catch takes). The batch
    # must still count that task by its run's own status and send its one message.
    summary = run("nightly-batch", faults=[{"function": "ReportRunFunction", "error": "RuntimeError", "calls": "all"}])

    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.TasksFailed")
    (message,) = batch_messages(summary)
    assert message["subject"].endswith("4 of 5 tasks succeeded, 1 FAILED")
    lines = {line.split()[1].rstrip(":"): line.split()[0] for line in task_lines(message)}
    assert lines == {
        "finance-share": "SUCCEEDED",
        "design-share": "SUCCEEDED",
        "partner-drop": "FAILED",
        "photo-archive": "SUCCEEDED",
        "hr-records": "SUCCEEDED",
    }
    assert "partner-drop" in summary["cause"]
