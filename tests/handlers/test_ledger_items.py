"""The run ledger's items keep their stored form: what is in the table today reads the same, and what
is written has the attribute types it always had (the state machine's own DynamoDB integrations and
older runs' history read them)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from moto import mock_aws

from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.adapters.task_lease import DynamoDbTaskLease
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.task_lease import LeaseHolder
from tests.contract.conftest import REGION, create_ledger_table

TASK = "arn:aws:datasync:eu-west-1:111122223333:task/task-0123456789abcdef0"
EXECUTION = f"{TASK}/execution/exec-0123456789abcdef0"
WORKFLOW = "arn:aws:states:eu-west-1:111122223333:execution:SyncWorkflow:nightly-1"
STARTED = datetime(2026, 11, 21, 23, 0, 5, 250_000, tzinfo=UTC)
ENDED = datetime(2026, 11, 22, 1, 30, tzinfo=UTC)


@pytest.fixture
def table() -> Iterator[tuple[str, Any]]:
    with mock_aws():
        yield create_ledger_table(), boto3.client("dynamodb", region_name=REGION)


def raw(table: tuple[str, Any], key: str) -> dict[str, Any]:
    name, dynamodb = table
    return dict(dynamodb.get_item(TableName=name, Key={"executionArn": {"S": key}})["Item"])


def test_an_executions_record_is_stored_with_the_attribute_types_it_always_had(table: tuple[str, Any]) -> None:
    ledger = DynamoDbLedger(table[0], table[1])
    ledger.register_start(EXECUTION, WORKFLOW, STARTED, attempt=2)
    ledger.record_status(EXECUTION, "LAUNCHING", STARTED, from_event=True)
    ledger.store_token(EXECUTION, "token-1", STARTED)
    ledger.note_cancel(EXECUTION, "stalled for 240 minutes", ENDED)
    assert raw(table, EXECUTION) == {
        "executionArn": {"S": EXECUTION},
        "taskArn": {"S": TASK},
        "workflowExecution": {"S": WORKFLOW},
        "startedAt": {"N": "1795302005250"},
        "expiresAt": {"N": "1799190005"},
        "attempt": {"N": "2"},
        "eventStatuses": {"SS": ["LAUNCHING"]},
        "phase_LAUNCHING": {"N": "1795302005250"},
        "taskToken": {"S": "token-1"},
        "tokenStoredAt": {"N": "1795302005250"},
        "cancelRequestedAt": {"N": "1795311000000"},
        "watchdogNote": {"S": "stalled for 240 minutes"},
    }
    assert ledger.claim_token(EXECUTION) == "token-1"


def test_a_runs_history_item_is_stored_with_the_attribute_types_it_always_had(table: tuple[str, Any]) -> None:
    ledger = DynamoDbLedger(table[0], table[1])
    ledger.record_run(
        RunHistoryEntry(
            workflow_execution=WORKFLOW,
            started_at=STARTED,
            ended_at=ENDED,
            status="FAILED",
            error="DataSync.FilesFailed",
            reason="",
            task_arn=TASK,
            task_name=None,
            execution_arn=EXECUTION,
            bytes_transferred=5_000_000_000_000,
            files_transferred=12,
            failures={"access_denied": 2, "transient_error": 1},
            attempts=3,
        )
    )
    assert raw(table, f"run#{WORKFLOW}") == {
        "executionArn": {"S": f"run#{WORKFLOW}"},
        "kind": {"S": "run"},
        "workflowExecution": {"S": WORKFLOW},
        "startedAt": {"N": "1795302005250"},
        "endedAt": {"N": "1795311000000"},
        "verdictStatus": {"S": "FAILED"},
        "verdictError": {"S": "DataSync.FilesFailed"},
        "verdictReason": {"S": ""},
        "bytesTransferred": {"N": "5000000000000"},
        "filesTransferred": {"N": "12"},
        "failures": {"M": {"access_denied": {"N": "2"}, "transient_error": {"N": "1"}}},
        "attempts": {"N": "3"},
        "expiresAt": {"N": "1799199000"},
        "taskArn": {"S": TASK},
        "lastExecutionArn": {"S": EXECUTION},
    }


def test_items_written_before_read_back_as_they_were(table: tuple[str, Any]) -> None:
    name, dynamodb = table
    for item in (
        {
            "executionArn": {"S": EXECUTION},
            "taskArn": {"S": TASK},
            "startedAt": {"N": "1795302005250"},
            "phase_QUEUED": {"N": "1795302005250"},
            "phase_SUCCESS": {"N": "1795311000000"},
            "eventStatuses": {"SS": ["SUCCESS", "QUEUED"]},
            "expiresAt": {"N": "1799190005"},
        },
        {
            "executionArn": {"S": f"run#{WORKFLOW}"},
            "kind": {"S": "run"},
            "taskArn": {"S": TASK},
            "workflowExecution": {"S": WORKFLOW},
            "startedAt": {"N": "1795302005250"},
            "endedAt": {"N": "1795311000000"},
            "verdictStatus": {"S": "SUCCEEDED"},
            "bytesTransferred": {"N": "5000000000000"},
            "failures": {"M": {"other": {"N": "4"}}},
        },
        {
            "executionArn": {"S": f"lease#{TASK}"},
            "taskArn": {"S": TASK},
            "leaseOwner": {"S": WORKFLOW},
            "expiresAt": {"N": "1795311000"},
        },
    ):
        dynamodb.put_item(TableName=name, Item=item)
    ledger = DynamoDbLedger(name, dynamodb)
    record = ledger.get(EXECUTION)
    assert record is not None
    assert (record.task_arn, record.workflow_execution, record.attempt, record.started_at) == (TASK, None, 1, STARTED)
    assert record.phase_times == {"QUEUED": STARTED, "SUCCESS": ENDED}
    assert record.event_statuses == frozenset({"SUCCESS", "QUEUED"})
    assert (record.cancel_requested_at, record.watchdog_note) == (None, None)
    assert ledger.history(TASK) == [
        RunHistoryEntry(
            workflow_execution=WORKFLOW,
            started_at=STARTED,
            ended_at=ENDED,
            status="SUCCEEDED",
            error="",
            reason="",
            task_arn=TASK,
            task_name=None,
            execution_arn=None,
            bytes_transferred=5_000_000_000_000,
            files_transferred=0,
            failures={"other": 4},
            attempts=0,
        )
    ]
    assert DynamoDbTaskLease(name, dynamodb).holder(TASK) == LeaseHolder(WORKFLOW, "", ENDED)


def test_a_lease_is_stored_with_the_attribute_types_it_always_had(table: tuple[str, Any]) -> None:
    lease = DynamoDbTaskLease(table[0], table[1])
    assert lease.acquire(TASK, WORKFLOW, STARTED, ENDED, "digest-1") is None
    assert raw(table, f"lease#{TASK}") == {
        "executionArn": {"S": f"lease#{TASK}"},
        "taskArn": {"S": TASK},
        "leaseOwner": {"S": WORKFLOW},
        "request": {"S": "digest-1"},
        "expiresAt": {"N": "1795311000"},
    }
    # The refusal carries the holder as DynamoDB returned it, in its wire form.
    assert lease.acquire(TASK, "another run", STARTED, ENDED, "digest-2") == LeaseHolder(WORKFLOW, "digest-1", ENDED)
