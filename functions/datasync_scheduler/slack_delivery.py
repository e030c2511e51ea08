"""The Slack notifier's step: each message of the notification topic, rendered and posted.

It runs after the workflow has published, so nothing here can change a run's verdict: a message
that cannot be delivered makes the notifier's invocation fail, and Lambda retries it and then keeps
it in the on-failure queue.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from datasync_scheduler.adapters.slack_webhook import SlackDeliveryFailed
from datasync_scheduler.domain.slack_message import slack_payload
from datasync_scheduler.settings import ConfigurationError


@dataclass(frozen=True)
class TopicMessage:
    """One message as SNS delivered it: our Message JSON, a CloudWatch alarm, or any text."""

    message_id: str
    text: str
    subject: str | None = None


class ChatWebhook(Protocol):
    def post(self, payload: dict[str, Any]) -> None:
        """Delivers one payload; raises SlackDeliveryFailed when it could not."""
        ...


def webhook_secret_arn(environ: Mapping[str, str] | None = None) -> str:
    env = os.environ if environ is None else environ
    arn = env.get("SLACK_WEBHOOK_SECRET_ARN", "")
    if not arn:
        raise ConfigurationError("SLACK_WEBHOOK_SECRET_ARN is not set: the notifier has no webhook to post to")
    return arn


def deliver(messages: Sequence[TopicMessage], webhook: ChatWebhook) -> list[str]:
    """Posts every message; returns the ids delivered. Raises SlackDeliveryFailed, after trying them
    all, when any was not delivered (SNS sends one message per invocation, so a retry repeats none)."""
    delivered: list[str] = []
    failures: list[str] = []
    for message in messages:
        try:
            webhook.post(slack_payload(message.text, message.subject))
        except SlackDeliveryFailed as failure:
            failures.append(f"{message.message_id}: {failure}")
        else:
            delivered.append(message.message_id)
    if failures:
        raise SlackDeliveryFailed("; ".join(failures))
    return delivered
