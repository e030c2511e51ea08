"""Notify Slack: posts each message of the notification topic to a Slack channel (incoming webhook).

SNS invokes it asynchronously, after the workflow published: a delivery that fails is retried by
Lambda (EventInvokeConfig) and then kept in the SlackDeliveryFailures queue, and counted. A message
that arrives again (a publish retried after a lost answer, a redelivery) is posted once: the posts
are recorded in the idempotency table (`adapters.posted_messages`).
"""

import json
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import SnsModel, SnsNotificationModel
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.posted_messages import PostedMessages
from datasync_scheduler.adapters.run_metrics import SLACK_DELIVERY_FAILURES
from datasync_scheduler.adapters.slack_webhook import SlackDeliveryFailed, SlackWebhook, read_webhook_url
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.settings import NotifySlackSettings
from datasync_scheduler.messages.publication import MESSAGE_ID_ATTRIBUTE, SCHEDULE_ATTRIBUTE
from datasync_scheduler.workflow import slack_delivery
from datasync_scheduler.workflow.slack_delivery import TopicMessage

logger = Logger()
metrics = Metrics()
posted_messages = PostedMessages(wiring.settings(NotifySlackSettings).idempotency_table)


@logger.inject_lambda_context(clear_state=True)
@event_parser(model=SnsModel)
def handler(event: SnsModel, context: LambdaContext) -> dict[str, Any]:
    posted_messages.register(context)
    messages = [
        TopicMessage(
            record.Sns.MessageId,
            str(record.Sns.Message),
            record.Sns.Subject,
            _named(record.Sns, MESSAGE_ID_ATTRIBUTE),
            _named(record.Sns, SCHEDULE_ATTRIBUTE),
        )
        for record in event.Records
    ]
    settings = wiring.settings(NotifySlackSettings)
    webhooks = slack_delivery.ScheduleWebhooks(
        settings.webhook_secret_arn,
        wiring.schedule_book(settings),
        lambda secret_arn: SlackWebhook(read_webhook_url(secret_arn)),
    )
    try:
        delivered = slack_delivery.deliver(messages, webhooks.for_message, posted_messages)
    except SlackDeliveryFailed as failure:
        # Flushed here rather than by @metrics.log_metrics: a delivery that worked has nothing to
        # count, and log_metrics would warn about (and print) an empty document every time.
        metrics.add_metric(name=SLACK_DELIVERY_FAILURES, unit=MetricUnit.Count, value=1)
        metrics.flush_metrics()
        # The reason is safe to log: SlackDeliveryFailed never carries the webhook URL.
        logger.error(
            "Slack delivery failed; Lambda retries it, then keeps it in the SlackDeliveryFailures queue",
            extra={"reason": str(failure), "messageIds": [message.message_id for message in messages]},
        )
        raise
    if delivered.already_posted:
        # Worth a warning: a copy means SNS lost an answer, a report failed after publishing, or a
        # redelivery; nobody sees it twice, but the cause is upstream.
        logger.warning(
            "Already posted to Slack: not posted again",
            extra={"messageIds": delivered.already_posted, "messages": [m.key for m in messages]},
        )
    logger.info("Delivered to Slack", extra={"messageIds": delivered.posted})
    return {"delivered": len(delivered.posted), "alreadyPosted": len(delivered.already_posted)}


def _named(notification: SnsNotificationModel, name: str) -> str | None:
    """The message's `message_id` or `schedule`: its attribute (a String-structured publish, such as
    the state machines' plain messages) or its JSON's field (Report Run's and Summarize Batch's
    JSON-structured publish, whose attributes SNS does not pass on: docs/aws-facts.md#sns-delivery-guarantees)."""
    attribute = (notification.MessageAttributes or {}).get(name)
    if attribute is not None and attribute.Value:
        return attribute.Value
    try:
        decoded = json.loads(str(notification.Message))
    except ValueError:
        return None
    named = decoded.get(name) if isinstance(decoded, dict) else None
    return named if isinstance(named, str) and named else None
