"""The AWS Chatbot custom notification of a run or a batch: the documented schema, within its limits."""

import json
import re
from typing import Any

from hypothesis import HealthCheck, given, settings

from datasync_scheduler.domain.failures import CATEGORIES
from datasync_scheduler.messages.chat_text import size
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.message import Message, TaskLine
from tests.slack_payloads import CONSOLE_ADDRESS, LINK
from tests.unit.test_slack_message import CONSOLE, HOSTILE_PATHS, MESSAGES, WORKFLOW, failed_run, group, succeeded_run


def assert_follows_the_custom_notification_schema(notification: dict[str, Any]) -> None:
    assert notification["version"] == "1.0" and notification["source"] == "custom"
    assert isinstance(notification["id"], str) and notification["id"]
    content = notification["content"]
    assert content["textType"] == "client-markdown"
    assert 0 < size(content["title"]) <= 250
    assert 0 < size(content["description"]) <= 8000
    assert all(0 < size(step) <= 350 for step in content.get("nextSteps", []))
    assert all(0 < size(keyword) <= 75 for keyword in content.get("keywords", []))
    metadata = notification["metadata"]
    assert isinstance(metadata["threadId"], str) and isinstance(metadata["summary"], str)
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in metadata["additionalContext"].items())
    assert all(resource.startswith("arn:") for resource in metadata.get("relatedResources", []))
    json.dumps(notification)  # what travels in the topic's "https" key


def assert_cannot_ping_or_forge_links(notification: dict[str, Any]) -> None:
    everything = json.dumps(notification, ensure_ascii=False)
    for control in ("<!", "<@", "<#"):
        assert control not in everything
    for url in LINK.findall(everything):
        assert CONSOLE_ADDRESS.match(url), url


def test_a_successful_run_becomes_a_custom_notification_threaded_by_its_task() -> None:
    notification = render_chatbot(succeeded_run())

    assert_follows_the_custom_notification_schema(notification)
    assert notification["id"] == WORKFLOW
    assert notification["content"]["title"] == ":white_check_mark: nightly-archive: sync succeeded"
    assert "*Files transferred:* 12,000 of 12,000" in notification["content"]["description"]
    assert notification["content"]["nextSteps"][0].startswith(f"Open <{CONSOLE}/states/home?region=eu-west-1")
    assert notification["metadata"]["threadId"] == "datasync-scheduler/nightly-archive"
    assert notification["metadata"]["eventType"] == "datasync-scheduler/run/succeeded"
    assert notification["metadata"]["relatedResources"][1] == WORKFLOW
    assert notification["content"]["keywords"] == ["DataSync", "run", "succeeded", "nightly-archive"]


def test_hostile_file_names_cannot_ping_or_link_in_a_chatbot_notification_either() -> None:
    notification = render_chatbot(failed_run((group("checksum_mismatch", 5, HOSTILE_PATHS),), task="archive @here"))

    assert_follows_the_custom_notification_schema(notification)
    assert_cannot_ping_or_forge_links(notification)
    description = notification["content"]["description"]
    assert "`/in/&lt;!channel&gt; urgent.pdf`" in description
    assert "Open Phishing (not linked: not an AWS console address)" in notification["content"]["nextSteps"]


def test_a_description_that_would_be_too_long_is_cut_and_says_how_much_is_missing() -> None:
    long_paths = tuple(("/<&>" * 75) + f"{index}" for index in range(5))
    tasks = tuple(
        TaskLine(task=f"share-{i}", status="SUCCEEDED", outcome="succeeded", detail="x" * 200) for i in range(100)
    )
    message: Message = failed_run(tuple(group(category, 300, long_paths) for category in CATEGORIES)).model_copy(
        update={"tasks": tasks}
    )
    notification = render_chatbot(message)

    assert_follows_the_custom_notification_schema(notification)
    description = notification["content"]["description"]
    assert re.search(r"\nand [\d,]+ more lines$", description)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(MESSAGES)
def test_any_message_becomes_a_valid_notification_that_cannot_ping_or_link(message: Message) -> None:
    notification = render_chatbot(message)

    assert_follows_the_custom_notification_schema(notification)
    assert_cannot_ping_or_forge_links(notification)
