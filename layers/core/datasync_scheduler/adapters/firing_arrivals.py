"""Each named schedule's firing as it arrived, in the run ledger: `firing#<schedule>#<scheduled time>`.

Validate Batch writes the item when a firing reaches it, with a condition that it is not there yet
(EventBridge Scheduler delivers at least once: a second delivery finds the first's item and is told
so). A health check reads the items back by the scheduled times the schedule's expression says
should have arrived, 100 keys per BatchGetItem (docs/aws-facts.md#schedule-health). An item
expires after RETENTION, longer than any look back of the health check.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import api_call_failed, client
from datasync_scheduler.adapters.dynamodb_items import from_item, to_item
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.ports import ApiCallFailed, FiringArrival

FIRING_KEY_PREFIX = "firing#"
RETENTION = timedelta(days=35)
# BatchGetItem reads at most 100 keys per call, and may leave some unprocessed (to ask again).
BATCH_GET_KEYS = 100
UNPROCESSED_ROUNDS = 5


def firing_key(schedule: str, scheduled_time: datetime) -> str:
    """The ledger key of one firing: the scheduled time as a UTC instant, whatever zone it came in."""
    return f"{FIRING_KEY_PREFIX}{schedule}#{_instant(scheduled_time)}"


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class DynamoDbFiringArrivals:
    """The firings' arrivals, in the run ledger table."""

    def __init__(self, table_name: str, dynamodb_client: Any | None = None) -> None:
        self._table = table_name
        self._client = dynamodb_client or client("dynamodb")

    def record(self, schedule: str, scheduled_time: datetime, batch_execution: str, *, arrived_at: datetime) -> bool:
        item = {
            "executionArn": firing_key(schedule, scheduled_time),
            "schedule": schedule,
            "scheduledTime": _instant(scheduled_time),
            "batchExecution": batch_execution,
            "arrivedAt": arrived_at.astimezone(UTC).isoformat(),
            "expiresAt": int((arrived_at + RETENTION).timestamp()),
        }
        try:
            self._client.put_item(
                TableName=self._table,
                Item=to_item(item),
                ConditionExpression="attribute_not_exists(executionArn)",
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise api_call_failed(error) from error
        return True

    def arrived(self, schedule: str, scheduled_times: Sequence[datetime]) -> list[FiringArrival]:
        keys = list(dict.fromkeys(firing_key(schedule, time) for time in scheduled_times))
        found: dict[str, FiringArrival] = {}
        for start in range(0, len(keys), BATCH_GET_KEYS):
            for item in self._get(keys[start : start + BATCH_GET_KEYS]):
                arrival = _arrival(item)
                found[firing_key(arrival.schedule, arrival.scheduled_time)] = arrival
        return [found[key] for key in keys if key in found]

    def _get(self, keys: list[str]) -> list[dict[str, Any]]:
        request: dict[str, Any] = {self._table: {"Keys": [to_item({"executionArn": key}) for key in keys]}}
        items: list[dict[str, Any]] = []
        for _ in range(UNPROCESSED_ROUNDS):
            try:
                response = self._client.batch_get_item(RequestItems=request)
            except ClientError as error:
                raise api_call_failed(error) from error
            items.extend(from_item(item) for item in response.get("Responses", {}).get(self._table, []))
            request = response.get("UnprocessedKeys") or {}
            if not request:
                return items
        left = len(request[self._table]["Keys"])
        raise ApiCallFailed(Cause.of("BatchGetItem", "UnprocessedKeys", f"{left} keys still unprocessed"))


def _arrival(values: dict[str, Any]) -> FiringArrival:
    return FiringArrival(
        schedule=str(values["schedule"]),
        scheduled_time=datetime.fromisoformat(str(values["scheduledTime"]).replace("Z", "+00:00")),
        batch_execution=str(values["batchExecution"]),
        arrived_at=datetime.fromisoformat(str(values["arrivedAt"])),
    )
