"""The run ledger on DynamoDB: what events and checks record, and who gets the task token."""

from datetime import UTC, datetime, timedelta

import boto3

from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.domain.run_history import RunHistoryEntry
from emulator.runner import LocalAws

EXECUTION = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0"
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


def ledger(aws: LocalAws) -> DynamoDbLedger:
    return DynamoDbLedger(aws.stack.tables["RunLedger"], boto3.client("dynamodb", region_name="us-east-1"))


def test_a_phase_keeps_the_earliest_time_it_was_seen(aws: LocalAws) -> None:
    runs = ledger(aws)
    runs.record_status(EXECUTION, "TRANSFERRING", T0 + timedelta(minutes=15))  # a check saw it first
    runs.record_status(EXECUTION, "TRANSFERRING", T0 + timedelta(minutes=3), from_event=True)  # the late event
    runs.record_status(EXECUTION, "TRANSFERRING", T0 + timedelta(minutes=3), from_event=True)  # and its duplicate
    runs.record_status(EXECUTION, "TRANSFERRING", T0 + timedelta(hours=1))
    record = runs.get(EXECUTION)
    assert record is not None
    assert record.phase_times == {"TRANSFERRING": T0 + timedelta(minutes=3)}
    assert record.event_statuses == frozenset({"TRANSFERRING"})
    assert record.task_arn == EXECUTION.split("/execution/")[0]


def test_the_current_status_never_goes_back_whatever_order_events_arrive_in(aws: LocalAws) -> None:
    runs = ledger(aws)
    for status, minute in (("SUCCESS", 90), ("QUEUED", 0), ("TRANSFERRING", 3), ("LAUNCHING", 1)):
        runs.record_status(EXECUTION, status, T0 + timedelta(minutes=minute), from_event=True)
    record = runs.get(EXECUTION)
    assert record is not None and record.current_status == "SUCCESS"


def test_exactly_one_caller_gets_the_task_token(aws: LocalAws) -> None:
    runs = ledger(aws)
    runs.store_token(EXECUTION, "token-1", T0)
    assert runs.claim_token(EXECUTION) == "token-1"
    assert runs.claim_token(EXECUTION) is None


def test_a_token_that_could_not_be_used_is_put_back_unless_a_newer_one_arrived(aws: LocalAws) -> None:
    runs = ledger(aws)
    runs.store_token(EXECUTION, "token-1", T0)
    claimed = runs.claim_token(EXECUTION)
    assert claimed is not None
    runs.restore_token(EXECUTION, claimed)
    assert runs.claim_token(EXECUTION) == "token-1"

    runs.store_token(EXECUTION, "token-2", T0)
    runs.restore_token(EXECUTION, "token-1")
    assert runs.claim_token(EXECUTION) == "token-2"


def test_the_watchdog_note_keeps_the_first_reason(aws: LocalAws) -> None:
    runs = ledger(aws)
    runs.note_cancel(EXECUTION, "stayed in LAUNCHING for 30 min", T0)
    runs.note_cancel(EXECUTION, "stayed in CANCELLING for 1 h", T0 + timedelta(hours=1))
    record = runs.get(EXECUTION)
    assert record is not None
    assert record.watchdog_note == "stayed in LAUNCHING for 30 min"
    assert record.cancel_requested_at == T0


def test_an_unknown_execution_has_no_record(aws: LocalAws) -> None:
    assert ledger(aws).get(EXECUTION) is None


def test_each_execution_remembers_which_attempt_of_its_run_it_was(aws: LocalAws) -> None:
    runs = ledger(aws)
    runs.register_start(EXECUTION, "arn:aws:states:us-east-1:123456789012:execution:wf:run-1", T0, attempt=2)
    record = runs.get(EXECUTION)
    assert record is not None and record.attempt == 2 and record.started_at == T0


def _run(workflow: str, task: str | None, ended_minutes: int, status: str = "SUCCEEDED") -> RunHistoryEntry:
    return RunHistoryEntry(
        workflow_execution=f"arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-SyncWorkflow:{workflow}",
        started_at=T0,
        ended_at=T0 + timedelta(minutes=ended_minutes),
        status=status,
        error="" if status == "SUCCEEDED" else "DataSync.ExecutionError",
        reason="…",
        task_arn=task,
        task_name="nightly-archive" if task else None,
        bytes_transferred=1024,
        files_transferred=2,
        failures={"transient": 1} if status == "FAILED" else {},
        attempts=1,
    )


TASK_A = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
TASK_B = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef1"


def test_a_tasks_history_lists_its_runs_newest_first_and_stops_at_the_limit(aws: LocalAws) -> None:
    runs = ledger(aws)
    runs.record_status(EXECUTION, "QUEUED", T0)  # an execution item of task A: not a run, never listed
    for name, task, minute in (("first", TASK_A, 10), ("other-task", TASK_B, 20), ("second", TASK_A, 30)):
        runs.record_run(_run(name, task, minute, "FAILED" if name == "first" else "SUCCEEDED"))
    runs.record_run(_run("third", TASK_A, 40))
    assert [entry.workflow_execution.rsplit(":", 1)[-1] for entry in runs.history(TASK_A, limit=2)] == [
        "third",
        "second",
    ]
    oldest = runs.history(TASK_A, limit=10)[-1]
    assert oldest == _run("first", TASK_A, 10, "FAILED")  # everything written is read back


def test_everyones_history_includes_runs_that_never_named_a_valid_task(aws: LocalAws) -> None:
    runs = ledger(aws)
    runs.record_run(_run("a", TASK_A, 10))
    runs.record_run(_run("rejected", None, 20, "FAILED"))
    runs.record_run(_run("b", TASK_B, 30))
    assert [entry.workflow_execution.rsplit(":", 1)[-1] for entry in runs.history(limit=10)] == ["b", "rejected", "a"]


def test_a_retried_report_writes_the_same_history_line_again_not_a_second_one(aws: LocalAws) -> None:
    runs = ledger(aws)
    runs.record_run(_run("once", TASK_A, 10))
    runs.record_run(_run("once", TASK_A, 11))
    assert [entry.ended_at for entry in runs.history(TASK_A)] == [T0 + timedelta(minutes=11)]
