"""Which runs' and batches' messages were published: one mark per message in the run ledger.

SNS's Publish takes no idempotency key (docs/aws-facts.md#sns-publish-retries), so a step that
publishes and is then retried (it timed out after publishing, or failed after it) would publish
again. The step that publishes a run's (or batch's) message first looks for the mark; once SNS
took the message it writes the mark, `message#<workflow execution ARN>` with SNS's MessageId.
The state machine reads the same item with its DynamoDB GetItem integration before it sends the
plain message for a report that failed, and skips it when the mark is there
(docs/aws-facts.md#one-message-per-run).

The mark is written after the publish, best effort: a mark that cannot be written must not fail a
step whose message is out, or the state machine's fallback would send a second one. The one
window left is a step that dies between SNS's answer and the mark (a timeout, a crash): its retry,
or the fallback, publishes again. That gives at most a duplicate, never silence.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aws_lambda_powertools import Logger
from botocore.exceptions import BotoCoreError, ClientError

from datasync_scheduler.adapters.aws_clients import client
from datasync_scheduler.adapters.dynamodb_items import from_item, to_item

MESSAGE_KEY_PREFIX = "message#"
# A run or batch lasts days at most; its mark protects nothing after that.
RETENTION = timedelta(days=7)

logger = Logger(child=True)


def message_key(owner: str) -> dict[str, Any]:
    """The ledger key of the mark for `owner`'s message (a run's or batch's workflow execution ARN)."""
    return to_item({"executionArn": MESSAGE_KEY_PREFIX + owner})


class PublishedMessages:
    """The marks of published messages, in the run ledger table."""

    def __init__(self, table_name: str, dynamodb_client: Any | None = None) -> None:
        self._table = table_name
        self._client = dynamodb_client or client("dynamodb")

    def message_id(self, owner: str) -> str | None:
        """SNS's MessageId of `owner`'s message when it was published, else None."""
        item = self._client.get_item(TableName=self._table, Key=message_key(owner), ConsistentRead=True).get("Item")
        return str(from_item(item)["messageId"]) if item and "messageId" in item else None

    def mark(self, owner: str, message_id: str, at: datetime) -> None:
        self._client.put_item(
            TableName=self._table,
            Item=to_item(
                {
                    "executionArn": MESSAGE_KEY_PREFIX + owner,
                    "messageId": message_id,
                    "publishedAt": at.astimezone(UTC).isoformat(),
                    "expiresAt": int((at + RETENTION).timestamp()),
                }
            ),
        )


def publish_once(owner: str, publish: Callable[[], str], marks: PublishedMessages, now: datetime) -> str:
    """Publishes `owner`'s message unless its mark says it was; returns SNS's MessageId either way.

    The mark is best effort both ways: a mark that cannot be read is taken as "not published"
    (at most a duplicate, never silence), and a mark that cannot be written after the publish is
    logged, not raised (the message is out, and the step's success is what stops the fallback)."""
    try:
        published = marks.message_id(owner)
    except (ClientError, BotoCoreError):
        logger.exception("The message's mark could not be read: publishing")
        published = None
    if published is not None:
        logger.info("The message was already published", extra={"messageId": published})
        return published
    message_id = publish()
    try:
        marks.mark(owner, message_id, now)
    except (ClientError, BotoCoreError):
        logger.exception("The message was published but its mark was not written", extra={"messageId": message_id})
    return message_id
