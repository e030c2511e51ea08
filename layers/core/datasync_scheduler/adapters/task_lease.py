"""The per-task lease, as one item per task in the run ledger's table: `lease#<task ARN>`.

The item holds the run that owns the lease (`leaseOwner`, its workflow execution ARN), the digest
of that run's request and the lease's end (`expiresAt`, epoch seconds: also the table's TTL
attribute, so a forgotten lease is eventually deleted). Taking it is one conditional PutItem,
which DynamoDB applies atomically: of two runs asking at once, one write succeeds and the other's
condition fails (docs/aws-facts.md#the-task-lease). TTL deletion is lazy (it can take days), so
the condition compares the end with the time itself instead of trusting an expired item to be
gone. The rules every lease keeps are stated on `TaskLeasePort` (ports.py).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import client
from datasync_scheduler.adapters.dynamodb_items import from_item, to_item, whole
from datasync_scheduler.domain.task_lease import LeaseHolder

LEASE_KEY_PREFIX = "lease#"
# Free, ours already, or ended: taken. Anything else is another run's live lease.
_FREE_OR_OURS = "attribute_not_exists(executionArn) OR leaseOwner = :owner OR expiresAt < :now"


def lease_key(task_arn: str) -> dict[str, Any]:
    """The ledger key of the task's lease (the state machine's release uses the same key)."""
    return to_item({"executionArn": LEASE_KEY_PREFIX + task_arn})


def _seconds(moment: datetime) -> int:
    return int(moment.timestamp())


def _is_conflict(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


def _holder(item: dict[str, Any]) -> LeaseHolder:
    values = from_item(item)
    return LeaseHolder(
        owner=str(values["leaseOwner"]),
        request=str(values.get("request", "")),
        expires_at=datetime.fromtimestamp(whole(values["expiresAt"]), tz=UTC),
    )


class DynamoDbTaskLease:
    def __init__(self, table_name: str, dynamodb_client: Any | None = None) -> None:
        self._table = table_name
        self._client = dynamodb_client or client("dynamodb")

    def acquire(self, task_arn: str, owner: str, now: datetime, until: datetime, request: str) -> LeaseHolder | None:
        try:
            self._client.put_item(
                TableName=self._table,
                Item={
                    **lease_key(task_arn),
                    **to_item(
                        {"taskArn": task_arn, "leaseOwner": owner, "request": request, "expiresAt": _seconds(until)}
                    ),
                },
                ConditionExpression=_FREE_OR_OURS,
                ExpressionAttributeValues=to_item({":owner": owner, ":now": _seconds(now)}),
                # The holder comes back with the refusal, as it was when the condition failed.
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise
            item: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            if item and "leaseOwner" in item:
                return _holder(item)
            raise  # refused without a holder: not a lease conflict this adapter understands
        return None

    def renew(self, task_arn: str, owner: str, now: datetime, until: datetime) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=lease_key(task_arn),
                UpdateExpression="SET expiresAt = :until",
                ConditionExpression="leaseOwner = :owner",
                ExpressionAttributeValues=to_item({":owner": owner, ":until": _seconds(until)}),
            )
        except ClientError as error:
            if _is_conflict(error):
                return False
            raise
        return True

    def release(self, task_arn: str, owner: str) -> None:
        try:
            self._client.delete_item(
                TableName=self._table,
                Key=lease_key(task_arn),
                ConditionExpression="leaseOwner = :owner",
                ExpressionAttributeValues=to_item({":owner": owner}),
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise  # a conflict: another run's lease, or none; not ours to end

    def holder(self, task_arn: str) -> LeaseHolder | None:
        item = self._client.get_item(TableName=self._table, Key=lease_key(task_arn), ConsistentRead=True).get("Item")
        return _holder(item) if item and "leaseOwner" in item else None
