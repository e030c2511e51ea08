"""The Health Check's notices in the run ledger: `notice#<kind>#<schedule>#<scheduled time>`
(`workflow/health_check.py` `notice_key`).

A notice is claimed with a conditional put before its message is published, and marked sent
(`sentAt`, SNS's MessageId) once SNS took it (docs/aws-facts.md#health-check). The condition lets
a put through only when the item is not there, or is a claim without `sentAt` older than
CLAIM_LIFETIME: two checks at once publish it once, and a check that died between its claim and
its publish leaves the notice to the next check instead of losing it. The one window left is a
check that dies between SNS's answer and the mark: the next check publishes again (a duplicate,
never silence, as with a run's message: docs/aws-facts.md#sns-publish-retries).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import api_call_failed, client
from datasync_scheduler.adapters.dynamodb_items import to_item

NOTICE_KEY_PREFIX = "notice#"
# Longer than the Health Check function's timeout (template.yaml): a claim this old is its dead check's.
CLAIM_LIFETIME = timedelta(minutes=5)
# Longer than the missed-firings look back (7 days): a notice is never sent twice for one firing.
RETENTION = timedelta(days=35)


class DynamoDbHealthNotices:
    """The notices' claims and marks, in the run ledger table."""

    def __init__(self, table_name: str, dynamodb_client: Any | None = None) -> None:
        self._table = table_name
        self._client = dynamodb_client or client("dynamodb")

    def _key(self, key: str) -> dict[str, Any]:
        return to_item({"executionArn": NOTICE_KEY_PREFIX + key})

    def was_sent(self, key: str) -> bool:
        try:
            item = self._client.get_item(
                TableName=self._table, Key=self._key(key), ConsistentRead=True, ProjectionExpression="sentAt"
            ).get("Item")
        except ClientError as error:
            raise api_call_failed(error) from error
        return bool(item and "sentAt" in item)

    def claim(self, key: str, now: datetime) -> bool:
        item = {
            "executionArn": NOTICE_KEY_PREFIX + key,
            "claimedAt": int(now.timestamp()),
            "expiresAt": int((now + RETENTION).timestamp()),
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(executionArn) OR "
                "(attribute_not_exists(sentAt) AND claimedAt < :stale)",
                ExpressionAttributeValues=to_item({":stale": int((now - CLAIM_LIFETIME).timestamp())}),
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise api_call_failed(error) from error
        return True

    def sent(self, key: str, message_id: str, at: datetime) -> None:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(key),
                UpdateExpression="SET sentAt = :at, messageId = :id",
                ExpressionAttributeValues=to_item({":at": at.astimezone(UTC).isoformat(), ":id": message_id}),
            )
        except ClientError as error:
            raise api_call_failed(error) from error

    def release(self, key: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=self._key(key),
                ConditionExpression="attribute_not_exists(sentAt)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return  # sent after all (by a check that took the claim over): keep the mark
            raise api_call_failed(error) from error
