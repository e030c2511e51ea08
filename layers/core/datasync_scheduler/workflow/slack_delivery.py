"""The Slack notifier's step: each message of the notification topic, rendered and posted.

It runs after the workflow has published, so nothing here can change a run's verdict: a message
that cannot be delivered makes the notifier's invocation fail, and Lambda retries it and then keeps
it in the on-failure queue.

One message is posted once however often it arrives: a run's message is published again when SNS's
answer to the first publish was lost, and SNS and Lambda may each deliver one publish more than once
(docs/aws-facts.md#sns-delivery-guarantees). Each post goes through `OncePerMessage`, keyed on the
message's own id (`TopicMessage.key`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from datasync_scheduler.adapters.slack_webhook import SlackDeliveryFailed
from datasync_scheduler.messages.slack_blocks import slack_payload
from datasync_scheduler.ports import ChatWebhook, OncePerMessage


@dataclass(frozen=True)
class TopicMessage:
    """One message as SNS delivered it: our Message JSON, a CloudWatch alarm, or any text."""

    message_id: str  # SNS's MessageId: this publish (a retried publish gets another)
    text: str
    subject: str | None = None
    # The `message_id` attribute: the run's or batch's message, the same for every publish of it.
    run_message: str | None = None

    @property
    def key(self) -> str:
        """What every delivery of this message shares: its `message_id` attribute, else (a message
        published by someone else, such as a CloudWatch alarm) SNS's MessageId, which SNS's and
        Lambda's redeliveries of one publish keep."""
        return self.run_message or f"sns:{self.message_id}"


@dataclass
class Delivered:
    """What one invocation did: SNS MessageIds posted, and those already posted before."""

    posted: list[str] = field(default_factory=list)
    already_posted: list[str] = field(default_factory=list)


def every_time(key: str, post: Callable[[], None]) -> bool:
    """No memory of earlier posts (tests, and `sam local invoke` without a table)."""
    post()
    return True


def deliver(messages: Sequence[TopicMessage], webhook: ChatWebhook, once: OncePerMessage = every_time) -> Delivered:
    """Posts every message not posted before. Raises SlackDeliveryFailed, after trying them all,
    when any was not delivered (SNS sends one message per invocation, so a retry repeats none)."""
    delivered = Delivered()
    failures: list[str] = []
    for message in messages:
        payload = slack_payload(message.text, message.subject)
        try:
            posted = once(message.key, partial(webhook.post, payload))
        except SlackDeliveryFailed as failure:
            failures.append(f"{message.message_id}: {failure}")
        else:
            (delivered.posted if posted else delivered.already_posted).append(message.message_id)
    if failures:
        raise SlackDeliveryFailed("; ".join(failures))
    return delivered
