"""What every Slack payload the notifier posts must be: valid Block Kit within Slack's limits, and
free of anything from outside that could ping people or link somewhere else."""

import json
import re
from typing import Any

from slack_sdk.models.blocks import Block

from datasync_scheduler.messages.chat_text import size

# <url|label> sequences; the only ones allowed point at an AWS console.
LINK = re.compile(r"<([^<>|]*)\|[^<>]*>")
CONSOLE_ADDRESS = re.compile(r"^https://([a-z0-9-]+\.)?console\.aws\.amazon\.com/[^\s]*$")


def mrkdwn_texts(payload: dict[str, Any]) -> list[str]:
    texts = [payload["text"]]
    for block in payload["blocks"]:
        for text_object in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(text_object, dict) and text_object.get("type") == "mrkdwn":
                texts.append(text_object["text"])
    return texts


def assert_valid_block_kit(payload: dict[str, Any]) -> None:
    assert set(payload) == {"text", "blocks"}
    assert payload["text"] and size(payload["text"]) <= 40_000
    assert 1 <= len(payload["blocks"]) <= 50
    for block in payload["blocks"]:
        # slack_sdk's classes parse it back and run their validators (header length, fields, …);
        # the round trip also shows nothing in it is unknown to Block Kit.
        parsed = Block.parse(block)
        assert parsed is not None
        assert parsed.to_dict() == block
        # Slack refuses blank texts.
        for text_object in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(text_object, dict):
                assert text_object["text"].strip(), block
        if block["type"] == "header":
            assert block["text"]["type"] == "plain_text" and size(block["text"]["text"]) <= 150
        if block["type"] == "section":
            assert "text" in block or "fields" in block
            if "text" in block:
                assert 0 < size(block["text"]["text"]) <= 3000
            assert len(block.get("fields", [])) <= 10
            assert all(0 < size(field["text"]) <= 2000 for field in block.get("fields", []))
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
            assert all(0 < size(element["text"]) <= 3000 for element in block["elements"])


def assert_cannot_ping_or_forge_links(payload: dict[str, Any]) -> None:
    everything = json.dumps(payload, ensure_ascii=False)
    for control in ("<!", "<@", "<#"):
        assert control not in everything
    for text in mrkdwn_texts(payload):
        for url in LINK.findall(text):
            assert CONSOLE_ADDRESS.match(url), url
        # Outside the links, no `<` or `>` at all: nothing else can be a control sequence.
        assert "<" not in LINK.sub("", text) and ">" not in LINK.sub("", text)
    for block in payload["blocks"]:
        for text_object in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(text_object, dict) and text_object.get("type") == "mrkdwn":
                # Slack must not turn bare URLs, #channel or @name into links or mentions either.
                assert text_object.get("verbatim") is True
