"""Names and texts from outside cannot steer what a reader sees, in any rendering of any message.

A task name, an unknown input field's name, a failed file's name and DataSync's error text each
carry one character of each class the filter stands for, between the words BEFORE and FORGED. In
every rendering (the email, Slack's blocks, the Chatbot notification, the command line's text), the
character never arrives as it is, and FORGED never starts a line of its own.
"""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from datasync_scheduler.domain.batch import rejected_batch, summarize_batch
from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.run_result import judge_execution, rejected_input
from datasync_scheduler.domain.sync_request import InvalidSyncRequest, StackHome, parse_sync_request
from datasync_scheduler.domain.untrusted import FORBIDDEN, forbidden_in
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.email import render_email
from datasync_scheduler.messages.message import Message, batch_message, run_message
from datasync_scheduler.messages.slack_blocks import render_slack, slack_payload
from datasync_scheduler_cli.failure_output import PrintedFailures
from datasync_scheduler_cli.slack_readable import slack_readable
from tests.unit.test_batch import failed_task, succeeded_task
from tests.unit.test_messages import TASK, report, snapshot

CLASSES = {
    "line feed": "\n",
    "carriage return": "\r",
    "escape": "\x1b",
    "vertical tab": "\x0b",
    "delete": "\x7f",
    "NEL": "\x85",
    "CSI": "\x9b",
    "line separator": "\u2028",
    "paragraph separator": "\u2029",
    "right-to-left override": "\u202e",
    "right-to-left isolate": "\u2067",
    "right-to-left mark": "\u200f",
}


def hostile(char: str) -> str:
    return f"BEFORE{char}FORGED"


# --- the messages, each with untrusted text where it comes from outside ---------------------------
def run_with(text: str) -> Message:
    """A failed run of a task named `text`, whose DataSync error and failed file carry `text` too."""
    failed = snapshot("ERROR", Result={"ErrorCode": "OpaqueError", "ErrorDetail": f"transfer stopped: {text}"})
    failures = {
        "available": True,
        "source": "logs",
        "totalFailures": 1,
        "byCategory": {"access_denied": 1},
        "byRetryClass": {"permanent": 1},
        "examples": {"access_denied": [f"/incoming/{text}.pdf"]},
    }
    verdict = judge_execution(failed, watchdog_note=None, abandoned=False)
    return run_message(replace(report(verdict, snapshot=failed, failures=failures), task_name=text))


def batch_with(text: str) -> Message:
    """A batch whose failed task is named `text`, its run's cause quoting `text` as well."""
    failed = replace(failed_task(1, "DataSync.OpaqueError", f"DataSync ended the execution in ERROR: {text}"))
    outcomes = [succeeded_task(0, "nightly-archive"), replace(failed, task_name=text)]
    return batch_message(summarize_batch(outcomes, max_concurrency=2, batch_execution=None))


def rejection_with(text: str) -> Message:
    """A run refused because its input has a field named `text`."""
    with pytest.raises(InvalidSyncRequest) as refused:
        parse_sync_request({"taskArn": TASK, text: 1}, home=StackHome("aws", "eu-west-1", "123456789012"))
    return run_message(report(rejected_input(str(refused.value))))


def batch_rejection_with(text: str) -> Message:
    """A batch refused because its input has a field named `text`."""
    return batch_message(rejected_batch(f"Invalid batch request: {text}: unknown field", batch_execution=None))


MESSAGES: dict[str, Callable[[str], Message]] = {
    "run": run_with,
    "batch": batch_with,
    "rejected run": rejection_with,
    "rejected batch": batch_rejection_with,
}


# --- the renderings, each as the texts a reader sees --------------------------------------------
def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def email(message: Message) -> list[str]:
    rendered = render_email(message)
    return [rendered.subject, rendered.message]


def slack(message: Message) -> list[str]:
    payload = render_slack(message)
    return [*_strings(payload), slack_readable(payload)]


def slack_from_the_topic(message: Message) -> list[str]:
    # What the Slack notifier posts when the topic carries the email's text instead of the message.
    payload = slack_payload(render_email(message).message, subject="DataSync")
    return [*_strings(payload), slack_readable(payload)]


def chatbot(message: Message) -> list[str]:
    return list(_strings(render_chatbot(message)))


RENDERINGS: dict[str, Callable[[Message], list[str]]] = {
    "email": email,
    "slack": slack,
    "slack (any text on the topic)": slack_from_the_topic,
    "chatbot": chatbot,
}


def assert_nothing_steers_the_reader(texts: list[str]) -> None:
    for text in texts:
        # Line feeds are the renderings' own; nothing else may reach the reader.
        assert not forbidden_in(text) - {"\n"}, f"forbidden {forbidden_in(text) - {chr(10)}!r} in {text!r}"
        # str.splitlines breaks at every Unicode line break, as the most generous reader does.
        for line in text.splitlines():
            if "FORGED" in line:
                assert "BEFORE" in line, f"a forged line: {line!r}"


@pytest.mark.parametrize("rendering", RENDERINGS.values(), ids=RENDERINGS.keys())
@pytest.mark.parametrize("build", MESSAGES.values(), ids=MESSAGES.keys())
@pytest.mark.parametrize("char", CLASSES.values(), ids=CLASSES.keys())
def test_untrusted_text_cannot_forge_a_line_or_reach_the_reader_raw(
    char: str, build: Callable[[str], Message], rendering: Callable[[Message], list[str]]
) -> None:
    texts = rendering(build(hostile(char)))
    assert any("FORGED" in text for text in texts)  # the text is there, to be read
    assert_nothing_steers_the_reader(texts)


def test_a_task_name_with_a_line_break_stays_on_its_line_in_the_batch_email() -> None:
    body = render_email(batch_with("nightly\nThe DataSync batch ran 2 task(s): 2 succeeded, 0 failed.")).message
    assert [line for line in body.splitlines() if line.startswith("The DataSync batch ran")] == [
        "The DataSync batch ran 2 task(s), at most 2 at a time: 1 succeeded, 1 failed."
    ]
    assert "nightly\\nThe DataSync batch ran 2 task(s)" in body


def test_an_unknown_fields_name_with_line_breaks_stays_on_its_line_in_the_rejection_email() -> None:
    body = render_email(rejection_with("x\n\nThe run was started.\nAll good")).message
    assert not any(line.startswith(("The run was started", "All good")) for line in body.splitlines())
    assert "x\\n\\nThe run was started.\\nAll good: unknown field" in body


def test_c1_controls_never_reach_the_email_body() -> None:
    body = render_email(run_with("report\x85\x9b31mq3.xlsx")).message
    assert "\x85" not in body and "\x9b" not in body
    assert "/incoming/report\\u0085\\u009b31mq3.xlsx.pdf" in body


def test_legitimate_unicode_arrives_as_it_is_in_every_rendering() -> None:
    name = "Café 報告書 👩\u200d💻"
    for rendering in RENDERINGS.values():
        assert any(name in text for text in rendering(run_with(name)))


@pytest.mark.parametrize("char", CLASSES.values(), ids=CLASSES.keys())
def test_the_command_lines_failure_list_keeps_each_file_on_its_line(char: str) -> None:
    out = io.StringIO()
    printed = PrintedFailures(out, "text")
    printed.write(FileFailure(f"/{hostile(char)}.txt", "access_denied", "ERROR", {"detail": hostile(char)}))
    printed.finish()
    assert_nothing_steers_the_reader([out.getvalue()])
    # The JSON output keeps the name exactly: it is for programs, and JSON escapes it.
    out = io.StringIO()
    printed = PrintedFailures(out, "json")
    printed.write(FileFailure(f"/{hostile(char)}.txt", "access_denied", "ERROR"))
    printed.finish()
    assert json.loads(out.getvalue())["failures"][0]["path"] == f"/{hostile(char)}.txt"


# --- any name at all ----------------------------------------------------------------------------
NAMES = st.text(st.characters(codec="utf-8"), max_size=40) | st.sampled_from(sorted(FORBIDDEN)).map(hostile)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=NAMES, build=st.sampled_from(sorted(MESSAGES)), rendering=st.sampled_from(sorted(RENDERINGS)))
def test_no_rendering_of_any_name_holds_a_forbidden_code_point(name: str, build: str, rendering: str) -> None:
    texts = RENDERINGS[rendering](MESSAGES[build](name))
    for text in texts:
        assert not forbidden_in(text) - {"\n"}


@settings(max_examples=200, deadline=None)
@given(name=NAMES, build=st.sampled_from(sorted(MESSAGES)))
def test_the_emails_lines_are_the_same_whatever_the_names(name: str, build: str) -> None:
    plain = render_email(MESSAGES[build]("x")).message.splitlines()
    shown = render_email(MESSAGES[build](name)).message.splitlines()
    assert len(shown) == len(plain)


@pytest.mark.parametrize("char", CLASSES.values(), ids=CLASSES.keys())
def test_the_history_table_keeps_each_run_on_its_line(char: str) -> None:
    from datetime import UTC, datetime

    from datasync_scheduler.domain.run_history import RunHistoryEntry
    from datasync_scheduler_cli.operate import history_lines

    ended = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
    entry = RunHistoryEntry(
        workflow_execution="arn:aws:states:eu-west-1:123456789012:execution:stack-SyncWorkflow:nightly-1",
        started_at=ended.replace(hour=0),
        ended_at=ended,
        status="FAILED",
        error=f"DataSync.{hostile(char)}",
        reason="",
        task_name=hostile(char),
        attempts=1,
    )
    lines = history_lines([entry])
    assert len(lines) == 2  # the heading and the run
    assert_nothing_steers_the_reader(["\n".join(lines)])
