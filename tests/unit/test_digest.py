"""A firing's digest and which runs of a firing send their own message: bounded for 500 tasks in
every rendering, and safe whatever the tasks are called."""

import json
from datetime import UTC, datetime

import pytest

from datasync_scheduler.composition.settings import SummarizeBatchSettings
from datasync_scheduler.domain.batch import TaskOutcome, summarize_batch
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.per_task_messages import (
    IN_THE_TASKS_OWN_MESSAGE,
    digest_needed,
    firing_for_each_run,
    sends_own_message,
)
from datasync_scheduler.domain.schedules import Firing
from datasync_scheduler.domain.sync_request import StackHome, parse_sync_request
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.digest import DIGEST_TASK_LINES, digest_message
from datasync_scheduler.messages.email import SUBJECT_LIMIT, render_email
from datasync_scheduler.messages.message import batch_message
from datasync_scheduler.messages.publication import SNS_PUBLISH_LIMIT, sns_publication
from datasync_scheduler.messages.slack_blocks import render_slack
from datasync_scheduler.ports import ApiCallFailed
from datasync_scheduler.workflow.publish import publication_of, run_publication
from datasync_scheduler.workflow.state.batch import SummarizeBatchInput
from datasync_scheduler.workflow.summarize_batch import summarize_batch_step
from tests.fakes import FakeBucket, FakeTopic
from tests.slack_payloads import assert_cannot_ping_or_forge_links, assert_valid_block_kit
from tests.template_environment import template_settings
from tests.unit import test_chatbot

ACCOUNT = "arn:aws:datasync:eu-west-1:123456789012"
SYNC_WORKFLOW = "arn:aws:states:eu-west-1:123456789012:stateMachine:stack-SyncWorkflow"
BATCH = "arn:aws:states:eu-west-1:123456789012:execution:stack-BatchWorkflow:finance-nightly-2026-11-26"
HOME = StackHome(partition="aws", region="eu-west-1", account="123456789012")
MESSAGES = template_settings(SummarizeBatchSettings, "SummarizeBatchFunction")
FIRING = Firing(
    schedule="finance-nightly",
    scheduled_time=datetime(2026, 11, 26, tzinfo=UTC),
    per_task_messages="problems",
    route="finance-team",
)
HOSTILE = (
    "<!channel> urgent",
    "report\u202egpj.exe",
    "line\nforged line",
    "<https://evil.example/login|Open the AWS console>",
    "*bold* `code`",
)


def task_arn(index: int) -> str:
    return f"{ACCOUNT}:task/task-{index:017x}"


def run_arn(index: int) -> str:
    return f"{SYNC_WORKFLOW.replace(':stateMachine:', ':execution:')}:finance-nightly-{index}"


def outcome(index: int, kind: str, name: str | None = None) -> TaskOutcome:
    if kind == "failed":
        return TaskOutcome(
            index=index,
            task_arn=task_arn(index),
            status="FAILED",
            execution_arn=run_arn(index),
            task_name=name or f"share-{index}",
            error="DataSync.ExecutionError",
            cause="DataSync ended the execution in ERROR: " + "a long reason from DataSync " * 20,
        )
    return TaskOutcome(
        index=index,
        task_arn=task_arn(index),
        status="SUCCEEDED",
        execution_arn=run_arn(index),
        task_name=name or f"share-{index}",
        files_transferred=1000,
        bytes_transferred=2**30,
        attempts=2 if kind == "recovered" else 1,
    )


def night(kinds: list[str], names: list[str] | None = None) -> list[TaskOutcome]:
    return [outcome(i, kind, names[i % len(names)] if names else None) for i, kind in enumerate(kinds)]


# --- which runs of a firing send their own message ----------------------------------------------


@pytest.mark.parametrize(
    ("policy", "sent"),
    [
        ("all", {"succeeded": True, "recovered": True, "failed": True}),
        ("problems", {"succeeded": False, "recovered": True, "failed": True}),
        ("none", {"succeeded": False, "recovered": False, "failed": False}),
    ],
)
def test_a_firings_run_sends_its_own_message_as_per_task_messages_says(policy: str, sent: dict[str, bool]) -> None:
    firing = FIRING.model_copy(update={"per_task_messages": policy})
    assert {outcome: sends_own_message(firing, outcome) for outcome in sent} == sent


def test_a_run_without_a_firing_always_sends_its_message() -> None:
    assert all(sends_own_message(None, outcome) for outcome in ("succeeded", "recovered", "failed"))


def test_a_one_task_firing_gives_its_run_every_message_and_sends_no_digest() -> None:
    quiet = FIRING.model_copy(update={"per_task_messages": "none"})
    assert firing_for_each_run(quiet, 1).per_task_messages == "all"
    assert firing_for_each_run(quiet, 2).per_task_messages == "none"
    ran = summarize_batch(night(["succeeded"]), max_concurrency=1, batch_execution=BATCH)
    assert not digest_needed(ran)
    # A run that could not even be started sent nothing: the digest is the firing's one message.
    never_started = TaskOutcome(index=0, task_arn=task_arn(0), status="FAILED", execution_arn=None, error="X")
    assert digest_needed(summarize_batch([never_started], max_concurrency=1, batch_execution=BATCH))


def test_a_withheld_run_message_is_not_published_and_says_where_it_went() -> None:
    digest = digest_message(summarize_batch(night(["succeeded"] * 2), max_concurrency=2, batch_execution=BATCH), FIRING)
    run_like = digest.model_copy(update={"kind": "run", "task": "share-0"})
    publication, withheld = run_publication(run_like, MESSAGES, workflow_execution=run_arn(0), firing=FIRING)
    assert publication["publish"] is False
    assert withheld == "in the firing's digest"


# --- the sync request's firing -------------------------------------------------------------------


def test_a_sync_request_carries_its_firing_checked_like_the_schedules_file() -> None:
    request = parse_sync_request(
        {"taskArn": task_arn(0), "firing": {"schedule": "finance-nightly", "perTaskMessages": "none"}}, home=HOME
    )
    assert request.firing is not None and request.firing.per_task_messages == "none"
    # What DataSync is asked to do is the same with or without the firing.
    assert request.to_sync() == {"taskArn": task_arn(0), "overrides": {}}
    with pytest.raises(ValueError, match=r"firing: route: String should match pattern"):
        parse_sync_request({"taskArn": task_arn(0), "firing": {"schedule": "x", "route": "two words"}}, home=HOME)
    with pytest.raises(ValueError, match=r"firing\.perTaskMessages: Input should be 'none', 'problems' or 'all'"):
        parse_sync_request({"taskArn": task_arn(0), "firing": {"schedule": "x", "perTaskMessages": "some"}}, home=HOME)


# --- the digest ----------------------------------------------------------------------------------


def test_the_digest_counts_lists_only_the_tasks_that_need_a_look_and_totals_the_rest() -> None:
    summary = summarize_batch(
        night(["succeeded", "failed", "recovered", "succeeded"]), max_concurrency=4, batch_execution=BATCH
    )
    email = render_email(digest_message(summary, FIRING))

    assert email.subject == "DataSync finance-nightly: 3 of 4 tasks succeeded, 1 FAILED"
    lines = email.message.splitlines()
    assert lines[0] == (
        "The schedule finance-nightly (firing for 2026-11-26 00:00 UTC) ran 4 task(s), at most 4 at a time: "
        "3 succeeded (1 after a retry), 1 failed."
    )
    assert lines[1] == "The tasks that succeeded transferred 3,000 file(s), 3.0 GiB."
    section = email.message.split("\nTasks that failed or recovered:\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split(":")[0].split() for line in section[::2]] == [["FAILED", "share-1"], ["SUCCEEDED", "share-2"]]
    assert section[1].strip().endswith(run_arn(1))  # the failed task's run, one tap away
    assert "recovered on attempt 2" in section[2]


def test_a_long_schedule_name_is_cut_in_the_subject_but_the_counts_never_are() -> None:
    summary = summarize_batch(night(["failed"] * 500), max_concurrency=100, batch_execution=BATCH)
    firing = FIRING.model_copy(update={"schedule": "s" * 64})
    subject = render_email(digest_message(summary, firing)).subject
    assert len(subject) <= SUBJECT_LIMIT
    assert subject.endswith(": 0 of 500 tasks succeeded, 500 FAILED")


def test_a_500_task_digest_fits_sns_slack_chatbot_and_a_phone_with_hostile_names() -> None:
    kinds = ["failed" if i % 3 == 0 else "recovered" if i % 3 == 1 else "succeeded" for i in range(500)]
    summary = summarize_batch(night(kinds, list(HOSTILE)), max_concurrency=100, batch_execution=BATCH)
    message = digest_message(summary, FIRING)

    # Bounded: the first lines, then how many more.
    problems = sum(1 for kind in kinds if kind != "succeeded")
    assert len(message.tasks) == DIGEST_TASK_LINES
    assert message.tasks_not_listed == problems - DIGEST_TASK_LINES
    email = render_email(message)
    assert f"  and {problems - DIGEST_TASK_LINES:,} more" in email.message
    assert len(email.subject) <= SUBJECT_LIMIT
    # Nothing from a name forges a line, a mention or a link in any rendering.
    assert "\nforged line" not in email.message and "\u202e" not in email.message
    slack = render_slack(message)
    assert_valid_block_kit(slack)
    assert_cannot_ping_or_forge_links(slack)
    assert "*Tasks that failed or recovered*" in json.dumps(slack, ensure_ascii=False)
    assert f"and {problems - DIGEST_TASK_LINES:,} more tasks" in json.dumps(slack, ensure_ascii=False)
    chatbot = render_chatbot(message)
    test_chatbot.assert_follows_the_custom_notification_schema(chatbot)
    test_chatbot.assert_cannot_ping_or_forge_links(chatbot)
    # The one publish, with every rendering and its attributes, within SNS's 256 KiB.
    publication = sns_publication(message, chatbot=chatbot, workflow_execution=BATCH, route=FIRING.route)
    attributes = sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
        for name, value in publication["attributes"].items()
    )
    assert len(publication["structured"].encode()) + attributes < SNS_PUBLISH_LIMIT
    assert publication["attributes"]["route"]["StringValue"] == "finance-team"


def firing_event(count: int) -> SummarizeBatchInput:
    return SummarizeBatchInput.model_validate(
        {
            "batch": {
                "names": [f"finance-nightly-{i}" for i in range(count)],
                "maxConcurrency": 4,
                "firing": FIRING.model_dump(mode="json", by_alias=True),
                "results": [
                    {"succeeded": False, "index": i, "taskArn": task_arn(i), "error": "DataSync.ExecutionError"}
                    if i % 2
                    else {
                        "succeeded": True,
                        "index": i,
                        "taskArn": task_arn(i),
                        "taskName": HOSTILE[i % len(HOSTILE)],
                        "filesTransferred": 10,
                        "bytesTransferred": 1024,
                        "attempts": 1,
                    }
                    for i in range(count)
                ],
            },
            "batchExecution": BATCH,
            "batchName": "finance-nightly-2026-11-26",
            "syncWorkflow": SYNC_WORKFLOW,
        }
    )


def test_every_task_of_the_firing_is_written_to_s3_and_the_digest_links_it() -> None:
    bucket, topic = FakeBucket(), FakeTopic()
    summarize_batch_step(firing_event(40), lambda arn: None, topic, MESSAGES, full_list=bucket.line_upload)

    key = "digests/finance-nightly/finance-nightly-2026-11-26.jsonl"
    lines = [json.loads(line) for line in bucket.text(key).splitlines()]
    assert [line["index"] for line in lines] == list(range(40))
    assert lines[0]["task"] == HOSTILE[0]  # kept exactly: JSON escapes it, nothing shows it
    assert {line["outcome"] for line in lines} == {"succeeded", "failed"}
    (published,) = topic.published
    email = published.renderings["email"]
    listed = email.split("\nTasks that failed or recovered:\n", 1)[1].split("\n\n", 1)[0]
    assert listed.count("  FAILED") == 20 and " more" not in listed  # 20 lines fit: nothing counted
    assert f"Full list: s3://failure-reports/{key}" in email
    assert "Every task of the firing (JSON Lines): https://s3.console.aws.amazon.com/s3/object/" in email


def test_a_full_list_s3_refuses_leaves_the_digest_saying_so() -> None:
    class Refusing:
        def __init__(self, key: str) -> None:
            self.key = key

        def write(self, lines: object) -> str:
            raise ApiCallFailed(Cause.of("PutObject", "AccessDenied", "not allowed"))

    topic = FakeTopic()
    summarize_batch_step(firing_event(4), lambda arn: None, topic, MESSAGES, full_list=Refusing)
    (published,) = topic.published
    assert "Not written: the full list of tasks could not be written: PutObject" in published.renderings["email"]


def test_summarize_batch_publishes_the_digest_with_the_route_and_a_one_task_firing_nothing() -> None:
    def event(count: int) -> SummarizeBatchInput:
        return SummarizeBatchInput.model_validate(
            {
                "batch": {
                    "names": [f"finance-nightly-{i}" for i in range(count)],
                    "maxConcurrency": 4,
                    "firing": FIRING.model_dump(mode="json", by_alias=True),
                    "results": [
                        {
                            "succeeded": True,
                            "index": i,
                            "taskArn": task_arn(i),
                            "taskName": f"share-{i}",
                            "filesTransferred": 10,
                            "bytesTransferred": 1024,
                            "attempts": 1,
                        }
                        for i in range(count)
                    ],
                },
                "batchExecution": BATCH,
                "batchName": "finance-nightly",
                "syncWorkflow": SYNC_WORKFLOW,
            }
        )

    topic = FakeTopic()
    result = summarize_batch_step(event(3), lambda arn: None, topic, MESSAGES).result
    (published,) = topic.published
    assert published.subject == "DataSync finance-nightly: 3 of 3 tasks succeeded"
    assert published.attributes["route"] == {"DataType": "String", "StringValue": "finance-team"}
    assert result.message_id is not None and result.message is None

    alone = FakeTopic()
    result = summarize_batch_step(event(1), lambda arn: None, alone, MESSAGES).result
    assert alone.published == []
    assert result.message == IN_THE_TASKS_OWN_MESSAGE
    assert "message" in json.dumps(result.to_state())


def test_a_batch_without_a_firing_publishes_its_overview_as_before() -> None:
    summary = summarize_batch(night(["succeeded", "failed"]), max_concurrency=2, batch_execution=BATCH)
    publication = publication_of(batch_message(summary), MESSAGES, workflow_execution=BATCH)
    assert publication["subject"] == "DataSync batch: 1 of 2 tasks succeeded, 1 FAILED"
    assert set(publication["attributes"]) == {"kind", "outcome", "severity", "message_id"}
