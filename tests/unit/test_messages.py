"""What a run's one message says for each outcome, and how it is published for each subscriber."""

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from moto.sns.utils import FilterPolicyMatcher

from datasync_scheduler.composition.settings import ReportRunSettings
from datasync_scheduler.domain.batch import summarize_batch
from datasync_scheduler.domain.causes import MESSAGE_LIMIT, Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.failures import CATEGORIES, EXAMPLE_PATH_LIMIT, EXAMPLES_PER_CATEGORY
from datasync_scheduler.domain.run_result import (
    RunResult,
    Verdict,
    across_attempts,
    judge_execution,
    rejected_input,
    timeline,
)
from datasync_scheduler.messages import console_links
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.email import render_email
from datasync_scheduler.messages.message import Fact, Message, batch_message, run_message
from datasync_scheduler.messages.publication import SNS_PUBLISH_LIMIT, email_text, sns_publication
from datasync_scheduler.workflow.publish import publication_of
from emulator.sns_rules import sns_as_documented
from emulator.template import NO_VALUE, Intrinsics, load_template, parameter_values
from tests.template_environment import template_settings
from tests.unit.test_batch import BATCH, failed_task, succeeded_task

TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
EXECUTION = f"{TASK}/execution/exec-0123456789abcdef0"
WORKFLOW = "arn:aws:states:eu-west-1:123456789012:execution:stack-SyncWorkflow:nightly-2026-11-22"
LOG_GROUP = "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/datasync/nightly:*"
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
STATE_LIMIT = 256 * 1024  # Step Functions: the bytes of one state's input or output


def snapshot(status: str, **fields: object) -> ExecutionSnapshot:
    return ExecutionSnapshot.from_api({"TaskExecutionArn": EXECUTION, "Status": status, **fields})


def report(verdict: Verdict, *, attempts: int = 1, failures: dict[str, Any] | None = None, **fields: Any) -> RunResult:
    attempt_list = tuple(
        {"attempt": n, "executionArn": EXECUTION if n == attempts else f"{TASK}/execution/exec-{n:017x}"}
        for n in range(1, attempts + 1)
    )
    return RunResult(
        verdict,
        task_arn=TASK,
        task_name="nightly-archive",
        execution_arn=EXECUTION,
        workflow_execution=WORKFLOW,
        phases=timeline({"QUEUED": T0, "TRANSFERRING": T0 + timedelta(minutes=3), "SUCCESS": T0 + timedelta(hours=2)}),
        failures=failures,
        attempts=attempt_list,
        **fields,
    )


def success() -> RunResult:
    done = snapshot("SUCCESS", FilesTransferred=1200, EstimatedFilesToTransfer=1200, BytesTransferred=5 << 30)
    return report(judge_execution(done, watchdog_note=None, abandoned=False), snapshot=done)


def test_a_run_that_succeeded_is_a_short_note_with_figures_and_links() -> None:
    message = run_message(success())
    assert (message.outcome, message.severity, message.subject) == (
        "succeeded",
        "info",
        "nightly-archive: sync succeeded",
    )
    assert {fact.label: fact.value for fact in message.facts}["Duration"] == "2 h"
    assert [link.label for link in message.links] == ["Workflow execution", "DataSync task (exec-0123456789abcdef0)"]
    assert message.next_steps == ()
    email = render_email(message).message
    assert "What to do next" not in email and "Files that failed" not in email
    assert "https://eu-west-1.console.aws.amazon.com/datasync/home?region=eu-west-1#/tasks/task-0123456789abcdef0" in (
        email
    )


def test_a_run_that_needed_a_retry_is_recovered_and_worth_a_warning() -> None:
    done = snapshot("SUCCESS", FilesTransferred=3)
    verdict = across_attempts(judge_execution(done, watchdog_note=None, abandoned=False), ({}, {}))
    message = run_message(report(verdict, attempts=2, snapshot=done))
    assert (message.outcome, message.severity) == ("recovered", "warning")
    assert message.subject == "nightly-archive: sync recovered after 2 attempts"
    assert render_email(message).subject == "DataSync nightly-archive: sync recovered after 2 attempts"


def test_a_recovered_run_says_which_step_or_call_kept_an_attempts_failed_files_unknown() -> None:
    done = snapshot("SUCCESS", FilesTransferred=3)
    verdict = across_attempts(judge_execution(done, watchdog_note=None, abandoned=False), ({}, {}))
    recovered = report(verdict, attempts=2, snapshot=done)
    cause = Cause.of("FilterLogEvents", "ServiceUnavailableException", "Service <b>unavailable</b>")
    first = {**recovered.attempts[0], "status": "ERROR", "unknownBecause": cause.to_dict()}
    message = run_message(
        replace(
            recovered,
            attempts=(first, recovered.attempts[1]),
            unread=(("the task's name", Cause.of("DescribeTask", "InternalException", None)),),
        )
    )
    assert message.attempts[0] == (
        "1. the whole task: ERROR; which files failed is unknown: "
        "FilterLogEvents failed with ServiceUnavailableException: Service <b>unavailable</b>"
    )
    assert Fact(
        label="Not read", value="the task's name could not be read: DescribeTask failed with InternalException"
    ) in (message.facts)
    # AWS's text is quoted as data: each rendering escapes it for its medium.
    chatbot = json.dumps(render_chatbot(message))
    assert "Service &lt;b&gt;unavailable&lt;/b&gt;" in chatbot and "<b>" not in chatbot


def test_a_failure_list_that_was_not_written_is_said_and_never_linked() -> None:
    failures = {
        "available": True,
        "totalFailures": 3,
        "byCategory": {"checksum_mismatch": 3},
        "byRetryClass": {"transient": 3},
        "report": None,
        "reportError": {
            "where": "PutObject",
            "error": "ServiceUnavailable",
            "message": "Please reduce your request rate.",
        },
        "executionArn": EXECUTION,
    }
    failed = judge_execution(snapshot("ERROR"), watchdog_note=None, abandoned=False)
    message = run_message(report(failed, failures=failures))
    assert message.failures is not None and message.failures.report is None
    assert (
        "the complete list could not be written to S3: PutObject failed with ServiceUnavailable: "
        "Please reduce your request rate."
    ) in message.failures.caveats
    assert all(link.label != "Failure report" for link in message.links)


def test_a_cause_quotes_at_most_its_bound_of_an_error_text_on_one_line() -> None:
    cause = Cause.of("PutObject", "SlowDown", "line one\nline two " + "x" * 10_000)
    assert len(cause.message) == MESSAGE_LIMIT and cause.message.endswith("…")
    assert "\n" not in cause.describe() and cause.describe().startswith(
        "PutObject failed with SlowDown: line one line two"
    )


def test_an_agent_that_stayed_offline_tells_the_reader_to_check_the_agent() -> None:
    verdict = judge_execution(
        snapshot("ERROR"),
        watchdog_note="stayed in LAUNCHING for 30 min",
        abandoned=False,
        watchdog_limit="phaseTimeLimit",
    )
    stuck = RunResult(
        verdict,
        task_arn=TASK,
        task_name="nightly-archive",
        execution_arn=EXECUTION,
        phases=timeline({"QUEUED": T0, "LAUNCHING": T0 + timedelta(seconds=5)}),
    )
    message = run_message(stuck)
    assert (message.outcome, message.severity, message.error) == ("failed", "error", "Watchdog.PhaseTimeLimit")
    assert any("agent is ONLINE" in step for step in message.next_steps)
    assert "What to do next:\n  - Check that the task's agent is ONLINE" in render_email(message).message


def test_failed_files_come_with_their_category_advice_the_log_group_and_the_report() -> None:
    failures = {
        "available": True,
        "totalFailures": 3,
        "byCategory": {"checksum_mismatch": 2, "access_denied": 1},
        "byRetryClass": {"transient": 2, "permanent": 1},
        "examples": {"checksum_mismatch": ["/a", "/b"], "access_denied": ["/c"]},
        "report": "s3://reports/failure-reports/task-x/exec-y.jsonl",
        "executionArn": EXECUTION,
        "logGroupArn": LOG_GROUP,
    }
    failed_run = report(judge_execution(snapshot("ERROR"), watchdog_note=None, abandoned=False), failures=failures)
    message = run_message(failed_run)
    assert message.failures is not None
    assert [(g.category, g.count, g.retry_class) for g in message.failures.groups] == [
        ("checksum_mismatch", 2, "transient"),
        ("access_denied", 1, "permanent"),
    ]
    links = {link.label: link.url for link in message.links}
    assert links["Task logs"].endswith("#logsV2:log-groups/log-group/$252Faws$252Fdatasync$252Fnightly")
    assert links["Failure report"] == (
        "https://s3.console.aws.amazon.com/s3/object/reports?region=eu-west-1"
        "&prefix=failure-reports%2Ftask-x%2Fexec-y.jsonl"
    )


def test_failures_that_passed_or_name_no_file_are_explained_in_every_rendering() -> None:
    from datasync_scheduler.messages.slack_blocks import render_slack

    failures = {
        "available": True,
        "totalFailures": 3,
        "byCategory": {"transient_error": 2, "unattributed": 1},
        "byRetryClass": {"transient": 2, "permanent": 1},
        "examples": {"transient_error": ["/a", "/b"], "unattributed": []},
    }
    failed_run = report(judge_execution(snapshot("ERROR"), watchdog_note=None, abandoned=False), failures=failures)
    message = run_message(failed_run)
    assert message.failures is not None
    assert [(g.category, g.count, g.retry_class, bool(g.advice)) for g in message.failures.groups] == [
        ("transient_error", 2, "transient", True),
        ("unattributed", 1, "permanent", True),
    ]
    email = render_email(message).message
    slack = json.dumps(render_slack(message))
    chatbot = json.dumps(render_chatbot(message))
    for rendering in (email, slack, chatbot):
        assert "transient_error" in rendering and "unattributed" in rendering
    assert "without a file path" in email


def test_a_run_that_never_started_says_how_to_fix_the_input() -> None:
    message = run_message(RunResult(rejected_input("Invalid sync request: taskArn: required field is missing")))
    assert message.outcome == "failed" and message.task == "unknown task"
    assert message.next_steps and "workflow input" in message.next_steps[0]
    assert message.links == ()


def test_a_batch_counts_its_outcomes_and_a_recovered_task_makes_it_a_warning() -> None:
    all_good = batch_message(
        summarize_batch(
            [succeeded_task(0, "a"), succeeded_task(1, "b", attempts=2)], max_concurrency=2, batch_execution=BATCH
        )
    )
    assert (all_good.outcome, all_good.severity, all_good.subject) == (
        "recovered",
        "warning",
        "batch: 2 of 2 tasks succeeded",
    )
    assert [line.outcome for line in all_good.tasks] == ["succeeded", "recovered"]
    one_failed = batch_message(
        summarize_batch([succeeded_task(0, "a"), failed_task(1, "E", "x")], max_concurrency=2, batch_execution=BATCH)
    )
    assert (one_failed.outcome, one_failed.severity) == ("failed", "error")
    assert one_failed.links[0].label == "Batch execution"


def test_a_silent_success_publishes_nothing_but_failures_and_recoveries_always_do() -> None:
    silent = template_settings(ReportRunSettings, "ReportRunFunction", SuccessNotification="silent")
    default = template_settings(ReportRunSettings, "ReportRunFunction")
    run = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow:nightly"
    assert publication_of(run_message(success()), silent, workflow_execution=run)["publish"] is False
    assert publication_of(run_message(success()), default, workflow_execution=run)["publish"] is True
    rejected = run_message(RunResult(rejected_input("x")))
    assert publication_of(rejected, silent, workflow_execution=run)["publish"] is True


def test_each_kind_of_subscriber_gets_its_own_rendering_and_the_attributes_say_what_happened() -> None:
    message = run_message(success())
    publication = sns_publication(message, chatbot={"version": "1.0", "source": "custom"})
    structured = json.loads(publication["structured"])
    assert set(structured) == {"default", "email", "https"}
    assert email_text(publication) == render_email(message).message
    assert Message.model_validate_json(structured["default"]) == message
    assert json.loads(structured["https"])["source"] == "custom"
    assert publication["subject"] == "DataSync nightly-archive: sync succeeded"
    assert publication["attributes"] == {
        "kind": {"DataType": "String", "StringValue": "run"},
        "outcome": {"DataType": "String", "StringValue": "succeeded"},
        "severity": {"DataType": "String", "StringValue": "info"},
        "task": {"DataType": "String", "StringValue": "nightly-archive"},
    }


def test_a_hostile_task_name_cannot_break_an_attribute_or_the_subject() -> None:
    hostile = RunResult(rejected_input("x"), task_name="evil\r\nname\u202egpj.exe" + "x" * 400)
    publication = sns_publication(run_message(hostile))
    task = publication["attributes"]["task"]["StringValue"]
    assert "\n" not in task and "\u202e" not in task and len(task) == 256
    assert publication["subject"].isascii() and len(publication["subject"]) < 100


def test_the_largest_message_the_bounds_allow_still_fits_in_one_sns_publish() -> None:
    # Nine categories, five examples each at the longest kept length, in four-byte characters.
    path = "/" + "\U0001f4c1" * (EXAMPLE_PATH_LIMIT - 1)
    failures = {
        "available": True,
        "totalFailures": 9_000_000,
        "byCategory": dict.fromkeys(CATEGORIES, 1_000_000),
        "byRetryClass": {"transient": 5_000_000, "permanent": 4_000_000},
        "examples": {category: [path] * EXAMPLES_PER_CATEGORY for category in CATEGORIES},
        "report": "s3://reports/failure-reports/x.jsonl",
        "executionArn": EXECUTION,
        "logGroupArn": LOG_GROUP,
    }
    # Every attempt's failed files unknown by a cause with the longest text AWS could send, the
    # complete list not written, the task's name not read: each cause is cut to its bound.
    endless = Cause.of("FilterLogEvents", "ServiceUnavailableException", "\U0001f4a5" * 100_000)
    failures["reportError"] = endless.to_dict()
    worst_run = report(
        judge_execution(snapshot("ERROR"), watchdog_note=None, abandoned=False),
        failures=failures,
        attempts=10,
        unread=(("the task's name", endless),),
    )
    worst_run = replace(
        worst_run, attempts=tuple({**attempt, "unknownBecause": endless.to_dict()} for attempt in worst_run.attempts)
    )
    # The longest execution ARN Step Functions makes (names of 80 characters) names the message.
    longest = "arn:aws-iso-b:states:us-isob-east-1:123456789012:execution:" + "s" * 80 + ":" + "e" * 80
    publication = sns_publication(
        run_message(worst_run), chatbot=render_chatbot(run_message(worst_run)), workflow_execution=longest
    )
    assert set(json.loads(publication["structured"])) == {"default", "email", "https"}
    # SNS counts the body's bytes and each attribute's name, type and value.
    attributes = sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
        for name, value in publication["attributes"].items()
    )
    assert len(publication["structured"].encode()) + attributes < SNS_PUBLISH_LIMIT
    # Report Run's output joins a state that already holds the analysis summary (as large again as
    # the result's failures): the two must leave room for it within Step Functions' 256 KiB.
    output = {"result": worst_run.to_dict(), "notification": publication}
    analysis = json.dumps(failures, ensure_ascii=False)
    assert len(json.dumps(output, ensure_ascii=False).encode()) + len(analysis.encode()) < STATE_LIMIT

    # A batch of 100 tasks (twice the most Validate Batch accepts), each failed with a long reason: Summarize Batch's
    # output is the whole state.
    tasks = [failed_task(index % 6, "DataSync.ExecutionError", "\U0001f4a5" * 500) for index in range(100)]
    summary = summarize_batch(tasks, max_concurrency=40, batch_execution=BATCH)
    batch = sns_publication(batch_message(summary), chatbot=render_chatbot(batch_message(summary)))
    output = {"result": summary.to_dict(), "notification": batch}
    assert len(json.dumps(output, ensure_ascii=False).encode()) < STATE_LIMIT


def test_a_batch_lists_a_hundred_tasks_and_counts_the_rest() -> None:
    tasks = [failed_task(index % 6, "DataSync.ExecutionError", "x") for index in range(1000)]
    batch = batch_message(summarize_batch(tasks, max_concurrency=40, batch_execution=BATCH))
    assert batch.tasks_not_listed == 900
    assert "  and 900 more" in render_email(batch).message


@pytest.mark.parametrize(
    ("partition", "host"),
    [
        ("aws", "https://eu-west-1.console.aws.amazon.com"),
        ("aws-cn", "https://console.amazonaws.cn"),
        ("aws-us-gov", "https://console.amazonaws-us-gov.com"),
    ],
)
def test_console_links_follow_the_partition_and_region_of_the_arn(partition: str, host: str) -> None:
    execution = WORKFLOW.replace("arn:aws:", f"arn:{partition}:")
    assert console_links.state_machine_execution(execution) == (
        f"{host}/states/home?region=eu-west-1#/v2/executions/details/{execution}"
    )
    assert console_links.state_machine_execution("not an arn") is None


def email_filter_policy(email_on: str) -> dict[str, Any] | None:
    """The email subscription's filter policy as CloudFormation would resolve it."""
    template = load_template(Path(__file__).parents[2] / "template.yaml")
    parameters = parameter_values(template, {"EmailOn": email_on, "NotificationEmail": "ops@example.com"})
    intrinsics = Intrinsics(parameters, {}, {}, template["Conditions"], {})
    policy = intrinsics.resolve(template["Resources"]["NotificationEmailSubscription"]["Properties"]["FilterPolicy"])
    return None if policy is NO_VALUE else dict(policy)


def delivered(policy: dict[str, Any] | None, attributes: dict[str, dict[str, str]]) -> bool:
    if policy is None:
        return True
    as_sns = {name: {"Type": value["DataType"], "Value": value["StringValue"]} for name, value in attributes.items()}
    with sns_as_documented():
        return bool(FilterPolicyMatcher(policy, "MessageAttributes").matches(as_sns, "{}"))


@pytest.mark.parametrize(
    ("email_on", "expected"),
    [
        ("all", {"succeeded", "recovered", "failed"}),
        ("problems", {"recovered", "failed"}),
        ("failures", {"failed"}),
    ],
)
def test_email_on_chooses_which_messages_reach_the_email_subscriber(email_on: str, expected: set[str]) -> None:
    done = snapshot("SUCCESS")
    recovered = across_attempts(judge_execution(done, watchdog_note=None, abandoned=False), ({}, {}))
    messages = {
        "succeeded": run_message(success()),
        "recovered": run_message(report(recovered, attempts=2, snapshot=done)),
        "failed": run_message(RunResult(rejected_input("x"))),
    }
    policy = email_filter_policy(email_on)
    reached = {name for name, message in messages.items() if delivered(policy, sns_publication(message)["attributes"])}
    # A CloudWatch alarm published to the same topic carries no attributes.
    if delivered(policy, {}):
        reached.add("alarm")
    assert reached == expected
