"""The one SNS publish of a run or a batch: each kind of subscriber gets its own rendering.

With `MessageStructure=json`, SNS hands each protocol its own key, else `default`: email gets the
plain text, every other subscriber (Lambda, SQS, HTTP) the `Message` as JSON (the Slack notifier
renders Block Kit from it), and HTTPS subscribers — AWS Chatbot subscribes that way — the Chatbot
custom notification when it is enabled. Each rendering appears once. A run's publication is published
by Report Run itself and never enters the workflow's state; the batch's Notify state still carries its
own. Message attributes
(kind, outcome, severity, task; schedule and route for a named schedule's messages) let a
subscription's filter policy choose, e.g. email only on failures, or only one schedule's messages.

Every publish of one message also carries its `message_id`: the run's (or batch's) workflow
execution and the message's kind, the same for every retry of that publish and for the state
machine's plain fallback message, different for every run. SNS gives each accepted publish a new
MessageId and cannot tell a retried publish from a new message
(docs/aws-facts.md#sns-delivery-guarantees), so a subscriber that must show a message once (the
Slack notifier) deduplicates on it. It is an attribute (for filter policies, and for subscribers of
the state machines' plain, String-structured messages) and a field of the JSON rendering: SNS does
not pass attributes on to subscribers of a MessageStructure=json publish.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.messages.email import render_email
from datasync_scheduler.messages.message import Message

# SNS: the message's bytes and its attributes' (names, types, values) together at most 256 KiB
# (docs/aws-facts.md#sns-message-size).
SNS_PUBLISH_LIMIT = 262_144
# Attribute values are compared by filter policies; a task name is cut to a sane length.
ATTRIBUTE_VALUE_LIMIT = 256
# The attribute naming the message, not the publish (SNS's own MessageId names the publish).
MESSAGE_ID_ATTRIBUTE = "message_id"
# The named schedule whose firing a message belongs to: a filter policy can pick one schedule's
# messages, and the Slack notifier sends them to the schedule's own webhook when it has one.
SCHEDULE_ATTRIBUTE = "schedule"


def message_id(kind: str, workflow_execution: str) -> str:
    """The message's id: `run:<SyncWorkflow execution ARN>` or `batch:<BatchWorkflow execution ARN>`.
    The state machines build the same value with `States.Format('run:{}', $$.Execution.Id)`."""
    return f"{kind}:{workflow_execution}"


def sns_publication(
    message: Message,
    *,
    chatbot: Mapping[str, Any] | None = None,
    publish: bool = True,
    workflow_execution: str | None = None,
    route: str | None = None,
) -> dict[str, Any]:
    """What is published: `{publish, subject, structured, attributes}`; with the run's (or batch's)
    workflow execution, the attributes carry the message's `message_id`."""
    named = message_id(message.kind, workflow_execution) if workflow_execution else None
    if named is not None:
        message = message.model_copy(update={"message_id": named})
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
    if message.schedule:
        attributes[SCHEDULE_ATTRIBUTE] = _string(message.schedule)
    if route:
        # Every message of a schedule's firing carries its route, so a subscription whose filter policy
        # names the route gets only that schedule's messages (docs/aws-facts.md#routes-and-json-messages).
        attributes["route"] = _string(route)
    if named is not None:
        # Not cut like the others: an execution ARN is at most about 230 characters, and a cut id
        # could make two runs' messages one.
        attributes[MESSAGE_ID_ATTRIBUTE] = {"DataType": "String", "StringValue": named}
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
