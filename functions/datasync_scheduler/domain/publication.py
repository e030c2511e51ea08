"""The one SNS publish of a run or a batch: each kind of subscriber gets its own rendering.

With `MessageStructure=json`, SNS hands each protocol its own key, else `default`: email gets the
plain text, every other subscriber (Lambda, SQS, HTTP) the `Message` as JSON (the Slack notifier
renders Block Kit from it), and HTTPS subscribers — AWS Chatbot subscribes that way — the Chatbot
custom notification when it is enabled. Each rendering appears once. A run's publication is published
by Report Run itself and never enters the workflow's state; the batch's Notify state still carries its
own. Message attributes
(kind, outcome, severity, task) let a subscription's filter policy choose, e.g. email only on
failures.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from datasync_scheduler.domain.message import Message
from datasync_scheduler.domain.notification import render_email
from datasync_scheduler.domain.untrusted import one_line

# SNS: the message's bytes and its attributes' (names, types, values) together at most 256 KiB
# (docs/aws-facts.md#sns-message-size).
SNS_PUBLISH_LIMIT = 262_144
# Attribute values are compared by filter policies; a task name is cut to a sane length.
ATTRIBUTE_VALUE_LIMIT = 256


def sns_publication(
    message: Message, *, chatbot: Mapping[str, Any] | None = None, publish: bool = True
) -> dict[str, Any]:
    """What is published: `{publish, subject, structured, attributes}` (Report Run, or the batch's Notify state)."""
    email = render_email(message)
    as_json = json.dumps(message.to_json_dict(), ensure_ascii=False, separators=(",", ":"))
    structured: dict[str, str] = {"default": as_json, "email": email.message}
    if chatbot is not None:
        structured["https"] = json.dumps(chatbot, ensure_ascii=False, separators=(",", ":"))
    attributes = {
        "kind": _string(message.kind),
        "outcome": _string(message.outcome),
        "severity": _string(message.severity),
    }
    if message.task:
        attributes["task"] = _string(message.task)
    # Within SNS's limit by the message's own bounds (tests/unit/test_messages.py pins the worst case).
    body = json.dumps(structured, ensure_ascii=False)
    return {"publish": publish, "subject": email.subject, "structured": body, "attributes": attributes}


def email_text(publication: Mapping[str, Any]) -> str:
    """The plain text an email subscriber receives from a publication."""
    return str(json.loads(publication["structured"])["email"])


def _string(value: str) -> dict[str, str]:
    # SNS refuses control characters in attribute values, and an empty value.
    text = one_line(value)[:ATTRIBUTE_VALUE_LIMIT] or "-"
    return {"DataType": "String", "StringValue": text}
