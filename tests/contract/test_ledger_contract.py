"""The run ledger's contract (`LedgerPort`, `RunHistory`), for the fake and for DynamoDB on moto."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from datasync_scheduler.domain.run_history import RunHistoryEntry
from tests.contract.conftest import Ledger

EXECUTION = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0"
OTHER = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef1"
WORKFLOW = "arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-SyncWorkflow:run-1"
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)


def test_an_unknown_execution_has_no_record(ledger: Ledger) -> None:
    assert ledger.get(EXECUTION) is None


def test_a_phase_keeps_the_earliest_time_it_was_seen(ledger: Ledger) -> None:
    ledger.record_status(EXECUTION, "TRANSFERRING", T0 + timedelta(minutes=15))  # a check saw it first
    ledger.record_status(EXECUTION, "TRANSFERRING", T0 + timedelta(minutes=3), from_event=True)  # the late event
    ledger.record_status(EXECUTION, "TRANSFERRING", T0 + timedelta(minutes=3), from_event=True)  # and its duplicate
    ledger.record_status(EXECUTION, "TRANSFERRING", T0 + timedelta(hours=1))
    record = ledger.get(EXECUTION)
    assert record is not None
    assert record.phase_times == {"TRANSFERRING": T0 + timedelta(minutes=3)}
    assert record.event_statuses == frozenset({"TRANSFERRING"})
    assert record.task_arn == EXECUTION.split("/execution/")[0]


def test_the_current_status_never_goes_back_whatever_order_events_arrive_in(ledger: Ledger) -> None:
    for status, minute in (("SUCCESS", 90), ("QUEUED", 0), ("TRANSFERRING", 3), ("LAUNCHING", 1)):
        ledger.record_status(EXECUTION, status, T0 + timedelta(minutes=minute), from_event=True)
    record = ledger.get(EXECUTION)
    assert record is not None and record.current_status == "SUCCESS"
    assert record.event_statuses == frozenset({"SUCCESS", "QUEUED", "TRANSFERRING", "LAUNCHING"})


def test_a_status_seen_by_a_check_is_not_evidence_that_events_flow(ledger: Ledger) -> None:
    ledger.record_status(EXECUTION, "LAUNCHING", T0)
    record = ledger.get(EXECUTION)
    assert record is not None and record.event_statuses == frozenset()


def test_a_status_that_is_not_a_datasync_word_is_refused_and_writes_nothing(ledger: Ledger) -> None:
    with pytest.raises(ValueError, match="not a DataSync status"):
        ledger.record_status(EXECUTION, "success; rm -rf /", T0, from_event=True)
    assert ledger.get(EXECUTION) is None


def test_times_are_kept_to_the_millisecond_in_utc(ledger: Ledger) -> None:
    paris = timezone(timedelta(hours=1))
    ledger.record_status(EXECUTION, "QUEUED", datetime(2026, 11, 22, 0, 0, 0, 123_987, tzinfo=paris))
    record = ledger.get(EXECUTION)
    assert record is not None
    (kept,) = record.phase_times.values()
    assert kept == datetime(2026, 11, 21, 23, 0, 0, 123_000, tzinfo=UTC)
    assert kept.utcoffset() == timedelta(0)


def test_exactly_one_caller_gets_the_task_token(ledger: Ledger) -> None:
    ledger.store_token(EXECUTION, "token-1", T0)
    assert ledger.claim_token(EXECUTION) == "token-1"
    assert ledger.claim_token(EXECUTION) is None


def test_no_token_is_claimed_before_one_was_stored(ledger: Ledger) -> None:
    assert ledger.claim_token(EXECUTION) is None
    ledger.record_status(EXECUTION, "QUEUED", T0)  # a record without a token
    assert ledger.claim_token(EXECUTION) is None


def test_a_newer_token_replaces_the_parked_one(ledger: Ledger) -> None:
    ledger.store_token(EXECUTION, "token-1", T0)
    ledger.store_token(EXECUTION, "token-2", T0 + timedelta(minutes=15))
    assert ledger.claim_token(EXECUTION) == "token-2"
    assert ledger.claim_token(EXECUTION) is None


def test_a_token_that_could_not_be_used_is_put_back_unless_a_newer_one_arrived(ledger: Ledger) -> None:
    ledger.store_token(EXECUTION, "token-1", T0)
    claimed = ledger.claim_token(EXECUTION)
    assert claimed is not None
    ledger.restore_token(EXECUTION, claimed)
    assert ledger.claim_token(EXECUTION) == "token-1"

    ledger.store_token(EXECUTION, "token-2", T0)
    ledger.restore_token(EXECUTION, "token-1")
    assert ledger.claim_token(EXECUTION) == "token-2"


def test_tokens_of_two_executions_are_their_own(ledger: Ledger) -> None:
    ledger.store_token(EXECUTION, "token-1", T0)
    ledger.store_token(OTHER, "token-2", T0)
    assert ledger.claim_token(OTHER) == "token-2"
    assert ledger.claim_token(EXECUTION) == "token-1"


def test_the_watchdog_note_keeps_the_first_reason(ledger: Ledger) -> None:
    ledger.note_cancel(EXECUTION, "stayed in LAUNCHING for 30 min", T0)
    ledger.note_cancel(EXECUTION, "stayed in CANCELLING for 1 h", T0 + timedelta(hours=1))
    record = ledger.get(EXECUTION)
    assert record is not None
    assert record.watchdog_note == "stayed in LAUNCHING for 30 min"
    assert record.cancel_requested_at == T0


def test_each_execution_remembers_which_attempt_of_its_run_it_was(ledger: Ledger) -> None:
    ledger.register_start(EXECUTION, WORKFLOW, T0, attempt=2)
    record = ledger.get(EXECUTION)
    assert record is not None
    assert (record.attempt, record.started_at, record.workflow_execution) == (2, T0, WORKFLOW)


def test_a_repeated_start_record_changes_nothing_else(ledger: Ledger) -> None:
    ledger.register_start(EXECUTION, WORKFLOW, T0)
    ledger.record_status(EXECUTION, "QUEUED", T0)
    ledger.store_token(EXECUTION, "token-1", T0)
    ledger.note_cancel(EXECUTION, "stayed in QUEUED for 2 h", T0 + timedelta(hours=2))
    before = ledger.get(EXECUTION)
    ledger.register_start(EXECUTION, WORKFLOW, T0)  # a retried Start Sync
    ledger.register_start(EXECUTION, None, T0)  # one that does not name its workflow run
    assert ledger.get(EXECUTION) == before
    assert ledger.claim_token(EXECUTION) == "token-1"


def test_a_record_opened_by_an_event_before_the_start_was_written_is_completed_by_it(ledger: Ledger) -> None:
    ledger.record_status(EXECUTION, "LAUNCHING", T0 + timedelta(seconds=20), from_event=True)
    ledger.register_start(EXECUTION, WORKFLOW, T0)
    record = ledger.get(EXECUTION)
    assert record is not None
    assert record.workflow_execution == WORKFLOW and record.started_at == T0
    assert record.phase_times == {"LAUNCHING": T0 + timedelta(seconds=20)}


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
        execution_arn=f"{task}/execution/exec-0123456789abcdef0" if task else None,
        bytes_transferred=1024,
        files_transferred=2,
        failures={"transient": 1} if status == "FAILED" else {},
        attempts=1,
    )


TASK_A = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
TASK_B = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef1"


def test_a_tasks_history_lists_its_runs_newest_first_and_stops_at_the_limit(ledger: Ledger) -> None:
    ledger.record_status(EXECUTION, "QUEUED", T0)  # an execution item of task A: not a run, never listed
    for name, task, minute in (("first", TASK_A, 10), ("other-task", TASK_B, 20), ("second", TASK_A, 30)):
        ledger.record_run(_run(name, task, minute, "FAILED" if name == "first" else "SUCCEEDED"))
    ledger.record_run(_run("third", TASK_A, 40))
    assert [entry.workflow_execution.rsplit(":", 1)[-1] for entry in ledger.history(TASK_A, limit=2)] == [
        "third",
        "second",
    ]
    oldest = ledger.history(TASK_A, limit=10)[-1]
    assert oldest == _run("first", TASK_A, 10, "FAILED")  # everything written is read back


def test_everyones_history_includes_runs_that_never_named_a_valid_task(ledger: Ledger) -> None:
    ledger.record_run(_run("a", TASK_A, 10))
    ledger.record_run(_run("rejected", None, 20, "FAILED"))
    ledger.record_run(_run("b", TASK_B, 30))
    assert [entry.workflow_execution.rsplit(":", 1)[-1] for entry in ledger.history(limit=10)] == [
        "b",
        "rejected",
        "a",
    ]


def test_a_retried_report_writes_the_same_history_line_again_not_a_second_one(ledger: Ledger) -> None:
    ledger.record_run(_run("once", TASK_A, 10))
    ledger.record_run(_run("once", TASK_A, 11))
    assert [entry.ended_at for entry in ledger.history(TASK_A)] == [T0 + timedelta(minutes=11)]


def _fired(workflow: str, task: str, ended_minutes: int, schedule: str) -> RunHistoryEntry:
    return replace(_run(workflow, task, ended_minutes), schedule=schedule, scheduled_time=T0)


def test_a_schedules_history_lists_the_runs_of_its_firings_newest_first(ledger: Ledger) -> None:
    ledger.record_run(_fired("nightly-1", TASK_A, 10, "nightly"))
    ledger.record_run(_fired("weekly-1", TASK_A, 20, "weekly"))
    ledger.record_run(_run("by-hand", TASK_A, 30))  # started by hand: no schedule, never listed under one
    ledger.record_run(_fired("nightly-2", TASK_B, 40, "nightly"))
    ledger.record_run(_fired("nightly-3", TASK_A, 50, "nightly"))

    nightly = ledger.history(schedule="nightly", limit=10)
    assert [entry.workflow_execution.rsplit(":", 1)[-1] for entry in nightly] == ["nightly-3", "nightly-2", "nightly-1"]
    assert nightly[-1] == _fired("nightly-1", TASK_A, 10, "nightly")  # the schedule and scheduled time read back
    assert [e.workflow_execution.rsplit(":", 1)[-1] for e in ledger.history(schedule="nightly", limit=2)] == [
        "nightly-3",
        "nightly-2",
    ]
    # A task's runs of one schedule: the schedule's runs of other tasks and the task's other runs left out.
    assert [
        entry.workflow_execution.rsplit(":", 1)[-1] for entry in ledger.history(TASK_A, schedule="nightly", limit=1)
    ] == ["nightly-3"]
    assert [
        entry.workflow_execution.rsplit(":", 1)[-1] for entry in ledger.history(TASK_A, schedule="nightly", limit=10)
    ] == ["nightly-3", "nightly-1"]
    assert ledger.history(schedule="archive", limit=10) == []
    # Everyone's history still lists every run, by hand or fired.
    assert len(ledger.history(limit=10)) == 5
