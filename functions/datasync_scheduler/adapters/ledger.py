"""The run ledger: one DynamoDB item per DataSync execution.

Phase times are stored one attribute per status (`phase_<STATUS>`, epoch milliseconds) and only
ever move earlier, so duplicated, late and reordered events converge on the same record: the
first time each status was seen. The current status is derived from them, never stored.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import client
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.execution import task_arn_of
from datasync_scheduler.domain.run_record import RunRecord

# DataSync keeps execution history for 30 days; keep the ledger a little longer.
RETENTION = timedelta(days=45)
_PHASE_PREFIX = "phase_"


def _ms(moment: datetime) -> str:
    return str(int(moment.timestamp() * 1000))


def _from_ms(value: str) -> datetime:
    return datetime.fromtimestamp(int(value) / 1000, tz=UTC)


def _is_conflict(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoDbLedger:
    def __init__(self, table_name: str, dynamodb_client: Any | None = None) -> None:
        self._table = table_name
        self._client = dynamodb_client or client("dynamodb")

    def _key(self, execution_arn: str) -> dict[str, Any]:
        return {"executionArn": {"S": execution_arn}}

    def _expires(self, at: datetime) -> dict[str, str]:
        return {"N": str(int((at + RETENTION).timestamp()))}

    def register_start(
        self, execution_arn: str, workflow_execution: str | None, at: datetime, attempt: int = 1
    ) -> None:
        values: dict[str, Any] = {
            ":task": {"S": task_arn_of(execution_arn)},
            ":started": {"N": _ms(at)},
            ":expires": self._expires(at),
            ":attempt": {"N": str(attempt)},
        }
        expression = "SET taskArn = :task, startedAt = :started, expiresAt = :expires, attempt = :attempt"
        if workflow_execution:
            expression += ", workflowExecution = :workflow"
            values[":workflow"] = {"S": workflow_execution}
        self._client.update_item(
            TableName=self._table,
            Key=self._key(execution_arn),
            UpdateExpression=expression,
            ExpressionAttributeValues=values,
        )

    def record_status(self, execution_arn: str, status: str, at: datetime, *, from_event: bool = False) -> None:
        if not phases.is_well_formed(status):
            raise ValueError(f"not a DataSync status: {status!r}")
        if from_event:
            # A set: duplicates add nothing. Kept apart from the phase time, which is conditional.
            self._client.update_item(
                TableName=self._table,
                Key=self._key(execution_arn),
                UpdateExpression="ADD eventStatuses :status",
                ExpressionAttributeValues={":status": {"SS": [status]}},
            )
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(execution_arn),
                UpdateExpression="SET #phase = :at, taskArn = if_not_exists(taskArn, :task), "
                "expiresAt = if_not_exists(expiresAt, :expires)",
                ConditionExpression="attribute_not_exists(#phase) OR #phase > :at",
                ExpressionAttributeNames={"#phase": _PHASE_PREFIX + status},
                ExpressionAttributeValues={
                    ":at": {"N": _ms(at)},
                    ":task": {"S": task_arn_of(execution_arn)},
                    ":expires": self._expires(at),
                },
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise  # a conflict means an earlier sighting is already recorded

    def store_token(self, execution_arn: str, token: str, at: datetime) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=self._key(execution_arn),
            UpdateExpression="SET taskToken = :token, tokenStoredAt = :at",
            ExpressionAttributeValues={":token": {"S": token}, ":at": {"N": _ms(at)}},
        )

    def claim_token(self, execution_arn: str) -> str | None:
        """Takes the stored token away atomically, so exactly one caller resumes the workflow."""
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key=self._key(execution_arn),
                UpdateExpression="REMOVE taskToken",
                ConditionExpression="attribute_exists(taskToken)",
                ReturnValues="UPDATED_OLD",
            )
        except ClientError as error:
            if _is_conflict(error):
                return None
            raise
        return str(response["Attributes"]["taskToken"]["S"])

    def restore_token(self, execution_arn: str, token: str) -> None:
        """Puts a claimed token back when resuming failed, unless a newer one was stored meanwhile."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(execution_arn),
                UpdateExpression="SET taskToken = :token",
                ConditionExpression="attribute_not_exists(taskToken)",
                ExpressionAttributeValues={":token": {"S": token}},
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise

    def note_cancel(self, execution_arn: str, note: str, at: datetime) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=self._key(execution_arn),
            UpdateExpression="SET cancelRequestedAt = if_not_exists(cancelRequestedAt, :at), "
            "watchdogNote = if_not_exists(watchdogNote, :note)",
            ExpressionAttributeValues={":at": {"N": _ms(at)}, ":note": {"S": note}},
        )

    def get(self, execution_arn: str) -> RunRecord | None:
        item = self._client.get_item(TableName=self._table, Key=self._key(execution_arn), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        return RunRecord(
            execution_arn=execution_arn,
            task_arn=item.get("taskArn", {}).get("S") or task_arn_of(execution_arn),
            workflow_execution=item.get("workflowExecution", {}).get("S"),
            attempt=int(item.get("attempt", {}).get("N", "1")),
            started_at=_from_ms(item["startedAt"]["N"]) if "startedAt" in item else None,
            phase_times={
                name.removeprefix(_PHASE_PREFIX): _from_ms(value["N"])
                for name, value in item.items()
                if name.startswith(_PHASE_PREFIX)
            },
            event_statuses=frozenset(item.get("eventStatuses", {}).get("SS", [])),
            cancel_requested_at=_from_ms(item["cancelRequestedAt"]["N"]) if "cancelRequestedAt" in item else None,
            watchdog_note=item.get("watchdogNote", {}).get("S"),
        )
