"""The Slack notifier's step: each message of the notification topic, rendered and posted.

It runs after the workflow has published, so nothing here can change a run's verdict: a message
that cannot be delivered makes the notifier's invocation fail, and Lambda retries it and then keeps
it in the on-failure queue.

One message is posted once however often it arrives: a run's message is published again when SNS's
answer to the first publish was lost, and SNS and Lambda may each deliver one publish more than once
(docs/aws-facts.md#sns-delivery-guarantees). Each post goes through `OncePerMessage`, keyed on the
message's own id (`TopicMessage.key`).

A named schedule's messages go to the schedule's own webhook when the schedules file gives it one
(`messages.slackWebhookSecretArn`), every other message to the stack's (`ScheduleWebhooks`). A
schedule's secret that cannot be read fails that message's delivery naming the schedule: the
message waits in the failure queue, never goes to another channel or nowhere.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial

from datasync_scheduler.adapters.slack_webhook import SlackDeliveryFailed
from datasync_scheduler.domain.schedules import InvalidSchedules
from datasync_scheduler.domain.sync_request import field_name
from datasync_scheduler.messages.slack_blocks import slack_payload
from datasync_scheduler.ports import ChatWebhook, OncePerMessage, ScheduleBook

_logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TopicMessage:
    """One message as SNS delivered it: our Message JSON, a CloudWatch alarm, or any text."""

    message_id: str  # SNS's MessageId: this publish (a retried publish gets another)
    text: str
    subject: str | None = None
    # The `message_id` attribute: the run's or batch's message, the same for every publish of it.
    run_message: str | None = None
    # The named schedule whose firing the message belongs to (its `schedule`), if any.
    schedule: str | None = None

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


class ScheduleWebhooks:
    """The webhook each message goes to: its schedule's own, else the stack's. `webhook_at` opens
    the webhook whose URL a secret holds (raising SlackDeliveryFailed when the secret cannot be read)."""

    def __init__(
        self, stack_secret_arn: str, book: ScheduleBook | None, webhook_at: Callable[[str], ChatWebhook]
    ) -> None:
        self._stack_secret_arn = stack_secret_arn
        self._book = book
        self._webhook_at = webhook_at

    def for_message(self, message: TopicMessage) -> ChatWebhook:
        secret_arn = self._schedule_secret(message.schedule)
        if secret_arn is None:
            return self._webhook_at(self._stack_secret_arn)
        try:
            return self._webhook_at(secret_arn)
        except SlackDeliveryFailed as failure:
            raise SlackDeliveryFailed(
                f"schedule {field_name(str(message.schedule))}: its Slack webhook (messages.slackWebhookSecretArn) "
                f"cannot be read: {failure}"
            ) from None

    def _schedule_secret(self, schedule: str | None) -> str | None:
        if not schedule or self._book is None:
            return None
        try:
            named = self._book.schedules().schedule(schedule)
        except InvalidSchedules:
            # The deployed file is checked before a deploy; should it be unreadable here, the
            # message still reaches the stack's channel rather than none.
            _logger.exception("The schedules file cannot be read: the message goes to the stack's webhook")
            return None
        return named.messages.slack_webhook_secret_arn if named is not None else None


def deliver(
    messages: Sequence[TopicMessage],
    webhook_for: Callable[[TopicMessage], ChatWebhook],
    once: OncePerMessage = every_time,
) -> Delivered:
    """Posts every message not posted before, each to its webhook (`webhook_for`). Raises
    SlackDeliveryFailed, after trying them all, when any was not delivered (SNS sends one message per
    invocation, so a retry repeats none)."""
    delivered = Delivered()
    failures: list[str] = []
    for message in messages:
        payload = slack_payload(message.text, message.subject)
        try:
            webhook = webhook_for(message)
            posted = once(message.key, partial(webhook.post, payload))
        except SlackDeliveryFailed as failure:
            failures.append(f"{message.message_id}: {failure}")
        else:
            (delivered.posted if posted else delivered.already_posted).append(message.message_id)
    if failures:
        raise SlackDeliveryFailed("; ".join(failures))
    return delivered
