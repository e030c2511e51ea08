"""The run ledger: one DynamoDB item per DataSync execution, and one per finished workflow run.

Phase times are stored one attribute per status (`phase_<STATUS>`, epoch milliseconds) and only
ever move earlier, so duplicated, late and reordered events converge on the same record: the
first time each status was seen. The current status is derived from them, never stored. Each write
is one conditional UpdateItem, atomic on DynamoDB: docs/aws-facts.md#the-run-ledger-and-task-tokens.
The rules every ledger keeps are stated on `LedgerPort` (ports.py).

A run's history item is keyed `run#<workflow execution ARN>` and carries `endedAt`, which puts it
in sparse indexes that execution items never enter: `ByTask` (taskArn, endedAt) for one task's
runs, `RunsByEnd` (kind = "run", endedAt) for everyone's and `BySchedule` (schedule, endedAt) for a
named schedule's (only a fired run has `schedule`). Each reads newest first with one Query
(docs/aws-facts.md#run-history-by-schedule).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import TransientErrorsNamed, client, transient_errors_named
from datasync_scheduler.adapters.dynamodb_items import from_item, to_item, whole
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.execution import task_arn_of
from datasync_scheduler.domain.execution_record import TaskExecutionRecord
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.throughput import PhaseRates

# DataSync keeps execution history for 30 days; keep the ledger a little longer.
RETENTION = timedelta(days=45)
_PHASE_PREFIX = "phase_"
RUN_KEY_PREFIX = "run#"
BY_TASK_INDEX = "ByTask"
RUNS_BY_END_INDEX = "RunsByEnd"
BY_SCHEDULE_INDEX = "BySchedule"
# The constant partition of RunsByEnd. One partition for all runs is fine at this rate (a few runs
# per task per night); it makes "the last N runs of every task" a Query instead of a Scan.
RUN_KIND = "run"


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _from_ms(value: Any) -> datetime:
    return datetime.fromtimestamp(whole(value) / 1000, tz=UTC)


def _is_conflict(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class DynamoDbLedger:
    def __init__(self, table_name: str, dynamodb_client: Any | None = None) -> None:
        self._table = table_name
        # An error that passes (throttling, a server error) is raised as ServiceUnreachable, so the
        # steps that watch a run can wait a DynamoDB outage out (docs/aws-facts.md#transient-aws-errors).
        self._client = TransientErrorsNamed(dynamodb_client or client("dynamodb"), "DynamoDB")

    def _key(self, execution_arn: str) -> dict[str, Any]:
        return to_item({"executionArn": execution_arn})

    def _expires(self, at: datetime) -> int:
        return int((at + RETENTION).timestamp())

    def register_start(
        self, execution_arn: str, workflow_execution: str | None, at: datetime, attempt: int = 1
    ) -> None:
        values: dict[str, Any] = {
            ":task": task_arn_of(execution_arn),
            ":started": _ms(at),
            ":expires": self._expires(at),
            ":attempt": attempt,
        }
        expression = "SET taskArn = :task, startedAt = :started, expiresAt = :expires, attempt = :attempt"
        if workflow_execution:
            expression += ", workflowExecution = :workflow"
            values[":workflow"] = workflow_execution
        self._client.update_item(
            TableName=self._table,
            Key=self._key(execution_arn),
            UpdateExpression=expression,
            ExpressionAttributeValues=to_item(values),
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
                ExpressionAttributeValues=to_item({":status": {status}}),
            )
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(execution_arn),
                UpdateExpression="SET #phase = :at, taskArn = if_not_exists(taskArn, :task), "
                "expiresAt = if_not_exists(expiresAt, :expires)",
                ConditionExpression="attribute_not_exists(#phase) OR #phase > :at",
                ExpressionAttributeNames={"#phase": _PHASE_PREFIX + status},
                ExpressionAttributeValues=to_item(
                    {":at": _ms(at), ":task": task_arn_of(execution_arn), ":expires": self._expires(at)}
                ),
            )
        except ClientError as error:
            if not _is_conflict(error):
                raise  # a conflict means an earlier sighting is already recorded

    def store_token(self, execution_arn: str, token: str, at: datetime) -> None:
        self._client.update_item(
            TableName=self._table,
            Key=self._key(execution_arn),
            UpdateExpression="SET taskToken = :token, tokenStoredAt = :at",
            ExpressionAttributeValues=to_item({":token": token, ":at": _ms(at)}),
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
        return str(from_item(response["Attributes"])["taskToken"])

    def restore_token(self, execution_arn: str, token: str) -> None:
        """Puts a claimed token back when resuming failed, unless a newer one was stored meanwhile."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(execution_arn),
                UpdateExpression="SET taskToken = :token",
                ConditionExpression="attribute_not_exists(taskToken)",
                ExpressionAttributeValues=to_item({":token": token}),
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
            ExpressionAttributeValues=to_item({":at": _ms(at), ":note": note}),
        )

    def get(self, execution_arn: str) -> TaskExecutionRecord | None:
        item = self._client.get_item(TableName=self._table, Key=self._key(execution_arn), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        values = from_item(item)
        return TaskExecutionRecord(
            execution_arn=execution_arn,
            task_arn=values.get("taskArn") or task_arn_of(execution_arn),
            workflow_execution=values.get("workflowExecution"),
            attempt=whole(values.get("attempt", 1)),
            started_at=_from_ms(values["startedAt"]) if "startedAt" in values else None,
            phase_times={
                name.removeprefix(_PHASE_PREFIX): _from_ms(value)
                for name, value in values.items()
                if name.startswith(_PHASE_PREFIX)
            },
            event_statuses=frozenset(values.get("eventStatuses", ())),
            cancel_requested_at=_from_ms(values["cancelRequestedAt"]) if "cancelRequestedAt" in values else None,
            watchdog_note=values.get("watchdogNote"),
        )

    def record_run(self, entry: RunHistoryEntry) -> None:
        """Writes the run's history item; a retried Report Run writes the same item again."""
        item: dict[str, Any] = {
            "executionArn": RUN_KEY_PREFIX + entry.workflow_execution,
            "kind": RUN_KIND,
            "workflowExecution": entry.workflow_execution,
            "startedAt": _ms(entry.started_at),
            "endedAt": _ms(entry.ended_at),
            "verdictStatus": entry.status,
            "verdictError": entry.error,
            "verdictReason": entry.reason,
            "bytesTransferred": entry.bytes_transferred,
            "filesTransferred": entry.files_transferred,
            "failures": dict(entry.failures),
            "attempts": entry.attempts,
            "expiresAt": self._expires(entry.ended_at),
        }
        # Numbers only where known: DynamoDB numbers are Decimals, written from their text.
        if entry.estimated_cost_usd is not None:
            item["estimatedCostUsd"] = Decimal(str(entry.estimated_cost_usd))
        for name, rate in entry.rates.to_dict().items():
            if rate is not None:
                item[name] = Decimal(f"{rate:.6g}")
        for name, value in (
            ("taskArn", entry.task_arn),
            ("taskName", entry.task_name),
            ("lastExecutionArn", entry.execution_arn),
            ("schedule", entry.schedule),
        ):
            if value:
                item[name] = value
        if entry.scheduled_time is not None:
            item["scheduledTime"] = _ms(entry.scheduled_time)
        self._client.put_item(TableName=self._table, Item=to_item(item))

    def history(
        self, task_arn: str | None = None, limit: int = 10, *, schedule: str | None = None
    ) -> list[RunHistoryEntry]:
        """The last `limit` runs, newest first: of one task, or of every task; with `schedule`, of
        that schedule's firings only."""
        params: dict[str, Any] = {"TableName": self._table, "ScanIndexForward": False}
        values: dict[str, Any] = {}
        if task_arn:
            index, key_name, values[":key"] = BY_TASK_INDEX, "taskArn", task_arn
        elif schedule:
            index, key_name, values[":key"] = BY_SCHEDULE_INDEX, "schedule", schedule
        else:
            index, key_name, values[":key"] = RUNS_BY_END_INDEX, "kind", RUN_KIND
        names = {"#key": key_name}  # `kind` is a reserved word
        if task_arn and schedule:
            # One task's runs read newest first, those of other schedules (or by hand) left out: the
            # paginator reads on until `limit` match, within the task's own runs (45 days at most).
            params["FilterExpression"] = "#schedule = :schedule"
            names["#schedule"] = "schedule"
            values[":schedule"] = schedule
        params.update(
            IndexName=index,
            KeyConditionExpression="#key = :key",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=to_item(values),
        )
        # botocore's Query paginator follows LastEvaluatedKey and stops after `limit` items.
        pages = self._client.get_paginator("query").paginate(
            **params, PaginationConfig={"MaxItems": limit, "PageSize": limit}
        )
        with transient_errors_named("DynamoDB", "Query"):
            return [_history_entry(item) for page in pages for item in page.get("Items", [])]


def _history_entry(item: dict[str, Any]) -> RunHistoryEntry:
    values = from_item(item)

    def text(name: str) -> str | None:
        value = values.get(name)
        return str(value) if value is not None else None

    def number(name: str) -> int:
        return whole(values.get(name, 0))

    return RunHistoryEntry(
        workflow_execution=str(values["workflowExecution"]),
        started_at=_from_ms(values["startedAt"]),
        ended_at=_from_ms(values["endedAt"]),
        status=text("verdictStatus") or "UNKNOWN",
        error=text("verdictError") or "",
        reason=text("verdictReason") or "",
        task_arn=text("taskArn"),
        task_name=text("taskName"),
        execution_arn=text("lastExecutionArn"),
        bytes_transferred=number("bytesTransferred"),
        files_transferred=number("filesTransferred"),
        failures={name: whole(count) for name, count in values.get("failures", {}).items()},
        attempts=number("attempts"),
        schedule=text("schedule"),
        scheduled_time=_from_ms(values["scheduledTime"]) if "scheduledTime" in values else None,
        estimated_cost_usd=float(values["estimatedCostUsd"]) if "estimatedCostUsd" in values else None,
        rates=PhaseRates.from_dict(
            {name: float(value) for name, value in values.items() if name.endswith("PerSecond")}
        ),
    )
