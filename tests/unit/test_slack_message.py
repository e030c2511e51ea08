"""The Slack message of a run or a batch: Block Kit within Slack's limits, whatever the names in it."""

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_sdk.errors import SlackObjectFormationError

from datasync_scheduler.domain.failures import ADVICE, CATEGORIES, RETRY_CLASS
from datasync_scheduler.messages.chat_text import code
from datasync_scheduler.messages.message import (
    Fact,
    FailureGroup,
    Failures,
    Link,
    Message,
    PhaseSpan,
    TaskLine,
)
from datasync_scheduler.messages.slack_blocks import render_slack, slack_payload
from datasync_scheduler_cli.slack_readable import slack_readable
from tests.slack_payloads import assert_cannot_ping_or_forge_links, assert_valid_block_kit, mrkdwn_texts

EXECUTION = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0"
WORKFLOW = "arn:aws:states:eu-west-1:123456789012:execution:stack-SyncWorkflow:nightly-1"
CONSOLE = "https://eu-west-1.console.aws.amazon.com"
LINKS = (
    Link(label="Workflow execution", url=f"{CONSOLE}/states/home?region=eu-west-1#/v2/executions/details/{WORKFLOW}"),
    Link(label="DataSync task", url=f"{CONSOLE}/datasync/home?region=eu-west-1#/tasks/task-0123456789abcdef0"),
)
REFERENCES = (
    Fact(label="DataSync execution", value=EXECUTION),
    Fact(label="Workflow execution", value=WORKFLOW),
)
PHASES = (
    PhaseSpan(phase="QUEUED", at="2026-11-21T23:00:00Z", seconds=0),
    PhaseSpan(phase="LAUNCHING", at="2026-11-21T23:00:00Z", seconds=20),
    PhaseSpan(phase="TRANSFERRING", at="2026-11-21T23:00:20Z", seconds=28_800),
    PhaseSpan(phase="SUCCESS", at="2026-11-22T07:00:20Z"),
)
HOSTILE_PATHS = (
    "/in/<!channel> urgent.pdf",
    "/in/<https://evil.example/login|Open the AWS console>.txt",
    "/in/<@U0123ABCD> and <#C0123ABCD> and <!subteam^S0123>.csv",
    "/in/*bold* _it_ ~x~ `rm -rf /`.doc",
    "/in/line\nforged line.txt",
)


def succeeded_run() -> Message:
    return Message(
        kind="run",
        outcome="succeeded",
        severity="info",
        subject="nightly-archive: sync succeeded",
        task="nightly-archive",
        summary="DataSync completed the execution successfully.",
        facts=(
            Fact(label="DataSync status", value="SUCCESS"),
            Fact(label="Files transferred", value="12,000 of 12,000"),
            Fact(label="Duration", value="8 h 0 min"),
        ),
        phases=PHASES,
        links=LINKS,
        references=REFERENCES,
    )


def failed_run(groups: tuple[FailureGroup, ...], task: str = "nightly-archive") -> Message:
    total = sum(group.count for group in groups)
    return Message(
        kind="run",
        outcome="failed",
        severity="error",
        subject=f"{task}: sync FAILED (DataSync.PermanentFailures)",
        task=task,
        summary="Verification found files that differ. <!channel> *look* at <https://evil.example|this>",
        error="DataSync.PermanentFailures",
        facts=(Fact(label="DataSync status", value="ERROR"),),
        failures=Failures(
            total=total,
            transient=total // 2,
            permanent=total - total // 2,
            groups=groups,
            report="s3://reports/failure-reports/exec-0123456789abcdef0.jsonl",
        ),
        next_steps=("The files listed under permanent categories need a fix at the source.",),
        links=(*LINKS, Link(label="Phishing", url="https://evil.example/login")),
        references=REFERENCES,
    )


def group(category: str, count: int, paths: tuple[str, ...]) -> FailureGroup:
    return FailureGroup(
        category=category,
        count=count,
        retry_class=RETRY_CLASS[category],  # type: ignore[index]
        advice=ADVICE[category],  # type: ignore[index]
        examples=paths,
    )


def texts(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


@pytest.mark.parametrize(
    "block",
    [
        pytest.param({"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}, id="header-over-150"),
        pytest.param({"type": "divider", "block_id": "b" * 256}, id="block-id-over-255"),
        pytest.param({"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}, id="eleven-fields"),
        pytest.param({"type": "section", "text": {"type": "mrkdwn", "text": "x"}, "colour": "red"}, id="unknown-key"),
    ],
)
def test_a_block_slack_would_refuse_fails_the_block_kit_check(block: dict[str, Any]) -> None:
    # The renderers build Block Kit as plain data; this check (slack_sdk's models and validators) is
    # what stands between a malformed block and Slack's invalid_blocks.
    with pytest.raises((AssertionError, SlackObjectFormationError)):
        assert_valid_block_kit({"text": "fallback", "blocks": [block]})


def test_a_successful_run_says_so_in_its_header_with_facts_phases_and_console_links() -> None:
    payload = render_slack(succeeded_run())

    assert_valid_block_kit(payload)
    assert_cannot_ping_or_forge_links(payload)
    header = payload["blocks"][0]
    assert header == {"type": "header", "text": {"type": "plain_text", "text": "✅ nightly-archive: sync succeeded"}}
    assert payload["text"].startswith("✅ nightly-archive: sync succeeded")
    shown = slack_readable(payload)
    assert "Files transferred: 12,000 of 12,000" in shown
    assert "Phases (UTC): QUEUED 23:00:00 (0 s) → LAUNCHING 23:00:00 (20 s)" in shown
    assert f"Workflow execution ({CONSOLE}/states/home?region=eu-west-1#/v2/executions/details/" in shown
    assert f"DataSync execution: `{EXECUTION}`" in shown


def test_a_recovered_run_warns_and_lists_its_attempts() -> None:
    message = succeeded_run().model_copy(
        update={
            "outcome": "recovered",
            "severity": "warning",
            "subject": "nightly-archive: sync recovered after 2 attempts",
            "attempts": (
                "1. the whole task: ERROR (checksum_mismatch 1) -> retry 1 file(s) by manifest",
                "2. 1 file(s) by manifest: SUCCESS",
            ),
        }
    )
    payload = render_slack(message)

    assert_valid_block_kit(payload)
    assert payload["blocks"][0]["text"]["text"] == "⚠️ nightly-archive: sync recovered after 2 attempts"
    shown = slack_readable(payload)
    # Prose: the underscore is a look-alike Slack does not read as italics.
    assert "*Attempts*\n1. the whole task: ERROR (checksum\u02cdmismatch 1) -> retry 1 file(s) by manifest" in shown
    assert "\n2. 1 file(s) by manifest: SUCCESS" in shown


def test_a_failed_run_with_hostile_file_names_cannot_ping_anyone_or_forge_a_link() -> None:
    payload = render_slack(failed_run((group("checksum_mismatch", 5, HOSTILE_PATHS),), task="archive @here"))

    assert_valid_block_kit(payload)
    assert_cannot_ping_or_forge_links(payload)
    assert payload["blocks"][0]["text"]["text"].startswith("❌ archive @here: sync FAILED")  # plain_text: inert
    everything = texts(payload)
    # Each path is shown, in a code span, spelled as it is (a line break shows as its escape).
    assert code("/in/<!channel> urgent.pdf") in everything
    assert code("/in/line\nforged line.txt") == "`/in/line\\nforged line.txt`"
    assert code("/in/line\nforged line.txt") in "\n".join(mrkdwn_texts(payload))
    assert "`/in/*bold* _it_ ~x~ \u02cbrm -rf /\u02cb.doc`" in everything
    # The phishing link is named, not linked.
    assert "Phishing (not linked: not an AWS console address)" in everything
    assert not any("@here" in text for text in mrkdwn_texts(payload))


def test_a_failed_run_whose_failed_files_cannot_be_told_says_why_and_what_to_do() -> None:
    message = failed_run(()).model_copy(
        update={
            "failures": Failures(unknown_because="the task's LogLevel is OFF and it writes no task report"),
            "next_steps": ("To see which files failed next time, set the task's LogLevel to TRANSFER.",),
        }
    )
    payload = render_slack(message)

    assert_valid_block_kit(payload)
    shown = slack_readable(payload)
    assert "*Which files failed is unknown:* the task's LogLevel is OFF and it writes no task report" in shown
    assert "*What to do next*\n• To see which files failed next time" in shown


def test_nine_categories_of_long_hostile_paths_fit_slacks_limits_and_count_what_is_not_shown() -> None:
    long_paths = tuple(("/<&>" * 75) + f"{index}" for index in range(5))  # 300 characters, 1,200 escaped
    groups = tuple(group(category, 300, long_paths) for category in CATEGORIES)
    payload = render_slack(failed_run(groups))

    assert_valid_block_kit(payload)
    assert_cannot_ping_or_forge_links(payload)
    sections = [block["text"]["text"] for block in payload["blocks"] if block.get("text", {}).get("type") == "mrkdwn"]
    for category in CATEGORIES:
        (section,) = [text for text in sections if text.startswith(code(category))]
        listed = section.count("\n• ")
        more = int(re.search(r"and ([\d,]+) more files$", section).group(1).replace(",", ""))  # type: ignore[union-attr]
        assert listed >= 1 and listed + more == 300, category


def test_a_batch_of_500_tasks_lists_what_fits_and_counts_every_other_task() -> None:
    lines = tuple(
        TaskLine(
            task=f"share-{index:03d}",
            status="FAILED" if index % 7 == 0 else "SUCCEEDED",
            outcome="failed" if index % 7 == 0 else "succeeded",
            detail="DataSync.FsS3HeadBucketFailed - " + "x" * 197 if index % 7 == 0 else "8,000 file(s), 40.0 GiB",
        )
        for index in range(100)
    )
    message = Message(
        kind="batch",
        outcome="failed",
        severity="error",
        subject="batch: 428 of 500 tasks succeeded, 72 FAILED",
        summary="72 of 500 task runs failed.",
        error="Batch.TasksFailed",
        facts=(Fact(label="Tasks", value="500"), Fact(label="Failed", value="72")),
        tasks=lines,
        tasks_not_listed=400,
        links=(Link(label="Batch execution", url=f"{CONSOLE}/states/home?region=eu-west-1#/v2/executions/details/x"),),
    )
    payload = render_slack(message)

    assert_valid_block_kit(payload)
    shown = slack_readable(payload)
    listed = len(re.findall(r"^(✅|❌) `share-\d{3}`", shown, flags=re.MULTILINE))
    more = int(re.search(r"and ([\d,]+) more tasks", shown).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert listed == 100 and listed + more == 500


def test_a_cloudwatch_alarm_on_the_topic_becomes_a_short_alarm_message() -> None:
    alarm = {
        "AlarmName": "datasync-scheduler-<!channel>-failures",
        "AlarmDescription": "A run failed",
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "NewStateReason": "Threshold Crossed: 1 datapoint [1.0 (21/11/26 23:00:00)] was >= the threshold (1.0).",
        "StateChangeTime": "2026-11-21T23:05:00.000+0000",
        "Region": "EU (Ireland)",
        "AlarmArn": "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:datasync-scheduler-failures",
    }
    payload = slack_payload(json.dumps(alarm))

    assert_valid_block_kit(payload)
    assert_cannot_ping_or_forge_links(payload)
    shown = slack_readable(payload)
    assert shown.startswith("🚨 ALARM: datasync-scheduler-‹!channel›-failures")
    assert "State: OK → ALARM" in shown
    assert "was &gt;= the threshold" not in shown and "was >= the threshold" in shown
    assert f"Alarm ({CONSOLE}/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/datasync-scheduler-failures)" in shown


def test_a_message_that_is_neither_ours_nor_an_alarm_is_shown_as_its_text() -> None:
    email = "The sync of DataSync task nightly-archive FAILED.\n\n  /in/<!here> *x*.txt\n```\nFull list: s3://r/k"
    payload = slack_payload(email, "DataSync nightly-archive: sync FAILED")

    assert_valid_block_kit(payload)
    assert_cannot_ping_or_forge_links(payload)
    assert payload["blocks"][0]["text"]["text"] == "DataSync nightly-archive: sync FAILED"
    body = payload["blocks"][1]["text"]["text"]
    assert body.startswith("```\n") and body.endswith("\n```") and body.count("```") == 2
    assert "  /in/&lt;!here&gt; *x*.txt" in body  # layout kept; nothing in a code block formats


def test_a_very_long_text_is_cut_and_says_how_many_lines_are_not_shown() -> None:
    payload = slack_payload("\n".join(f"line {index}: " + "y" * 90 for index in range(5000)))

    assert_valid_block_kit(payload)
    last = payload["blocks"][-1]["text"]["text"]
    shown = sum(len(re.findall(r"^line \d+: ", block["text"]["text"], re.MULTILINE)) for block in payload["blocks"])
    more = int(re.search(r"and ([\d,]+) more lines", last).group(1).replace(",", ""))  # type: ignore[union-attr]
    assert shown + more == 5000


# --- any message at all ----------------------------------------------------------------------------
ANY_TEXT = st.text(alphabet=st.characters(codec="utf-8"), max_size=400)
NAMES = st.text(alphabet=st.characters(codec="utf-8"), max_size=120)
URLS = st.sampled_from([LINKS[0].url, "https://evil.example/x", "javascript:alert(1)"]) | NAMES
OUTCOMES = st.sampled_from(["succeeded", "recovered", "failed"])
GROUPS = st.builds(
    FailureGroup,
    category=NAMES,
    count=st.integers(min_value=0, max_value=10**7),
    retry_class=st.sampled_from(["transient", "permanent"]),
    advice=ANY_TEXT,
    examples=st.lists(st.text(alphabet=st.characters(codec="utf-8"), max_size=300), max_size=5).map(tuple),
)
FAILURES = st.builds(
    Failures,
    total=st.integers(min_value=0, max_value=10**7),
    groups=st.lists(GROUPS, max_size=14).map(tuple),
    report=st.none() | NAMES,
    unknown_because=st.none() | ANY_TEXT,
    attempt=st.none() | st.integers(min_value=1, max_value=10),
)
MESSAGES = st.builds(
    Message,
    kind=st.sampled_from(["run", "batch"]),
    outcome=OUTCOMES,
    severity=st.sampled_from(["info", "warning", "error"]),
    subject=ANY_TEXT,
    task=st.none() | NAMES,
    summary=ANY_TEXT,
    error=NAMES,
    facts=st.lists(st.builds(Fact, label=NAMES, value=ANY_TEXT), max_size=24).map(tuple),
    phases=st.lists(
        st.builds(PhaseSpan, phase=NAMES, at=NAMES, seconds=st.none() | st.floats(0, 10**6)), max_size=8
    ).map(tuple),
    attempts=st.lists(ANY_TEXT, max_size=12).map(tuple),
    failures=st.none() | FAILURES,
    tasks=st.lists(st.builds(TaskLine, task=NAMES, status=NAMES, outcome=OUTCOMES, detail=ANY_TEXT), max_size=110).map(
        tuple
    ),
    tasks_not_listed=st.integers(min_value=0, max_value=10**6),
    next_steps=st.lists(ANY_TEXT, max_size=6).map(tuple),
    links=st.lists(st.builds(Link, label=NAMES, url=URLS), max_size=6).map(tuple),
    references=st.lists(st.builds(Fact, label=NAMES, value=NAMES), max_size=4).map(tuple),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(MESSAGES)
@example(Message(kind="run", outcome="failed", severity="error", subject=" ", summary=" \n ", error=" "))
def test_any_message_renders_as_valid_block_kit_that_cannot_ping_or_link(message: Message) -> None:
    payload = slack_payload(json.dumps(message.to_json_dict()))

    assert_valid_block_kit(payload)
    assert_cannot_ping_or_forge_links(payload)


@settings(max_examples=60, deadline=None)
@given(ANY_TEXT, st.none() | NAMES)
@example(" ", " ")
@example("", None)
def test_any_text_on_the_topic_renders_as_valid_block_kit_that_cannot_ping_or_link(
    text: str, subject: str | None
) -> None:
    payload = slack_payload(text, subject)

    assert_valid_block_kit(payload)
    assert_cannot_ping_or_forge_links(payload)
