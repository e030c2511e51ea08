"""The metrics a run and a batch publish, read from the results the workflow builds."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from datasync_scheduler.adapters.run_metrics import (
    METRIC_NAMES,
    Datum,
    batch_metrics,
    phase_durations,
    run_metrics,
)
from datasync_scheduler.domain.batch import TaskOutcome, failed_outcome, rejected_batch, summarize_batch
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.run_cost import estimate_run_cost
from datasync_scheduler.domain.run_result import (
    RunResult,
    Verdict,
    judge_execution,
    rejected_input,
    timeline,
)
from datasync_scheduler.domain.throughput import PhaseRates, compare_with_baseline

TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
EXECUTION = f"{TASK}/execution/exec-0123456789abcdef0"
T0 = datetime(2026, 11, 22, 2, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def finished(status: str, **fields: object) -> ExecutionSnapshot:
    return ExecutionSnapshot.from_api({"TaskExecutionArn": EXECUTION, "Status": status, **fields})


def attempt(number: int, status: str, failures: dict[str, int] | None = None) -> dict[str, Any]:
    return {"attempt": number, "executionArn": EXECUTION, "status": status, "failures": failures or {}}


def result(verdict: Verdict, *attempts: dict[str, Any], task_name: str | None = "nightly-archive") -> dict[str, Any]:
    snapshot = finished(
        "SUCCESS" if verdict.status == "SUCCEEDED" else "ERROR", FilesTransferred=12000, BytesTransferred=5 * 2**30
    )
    phases = {"QUEUED": at(0), "LAUNCHING": at(0), "PREPARING": at(1), "TRANSFERRING": at(11), "VERIFYING": at(71)}
    return RunResult(
        verdict,
        task_arn=TASK,
        task_name=task_name,
        execution_arn=EXECUTION,
        snapshot=snapshot,
        phases=timeline({**phases, snapshot.status: at(81)}),
        attempts=attempts,
    ).to_dict()


def by_name(data: list[Datum], name: str) -> list[Datum]:
    return [datum for datum in data if datum.name == name]


def values(data: list[Datum], name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {datum.dimensions: datum.value for datum in by_name(data, name)}


SUCCEEDED = judge_execution(finished("SUCCESS"), watchdog_note=None, abandoned=False)
FAILED = Verdict("FAILED", "DataSync.PermanentFailures", "files with access_denied were not retried")
NIGHTLY = (("Task", "nightly-archive"),)


def test_a_successful_run_counts_one_success_for_its_task_and_for_the_whole_application() -> None:
    data = run_metrics(result(SUCCEEDED, attempt(1, "SUCCESS")), started_at=at(-1), reported_at=at(82))

    assert values(data, "RunsSucceeded") == {(): 1, NIGHTLY: 1}
    assert values(data, "RunsFailed") == {(): 0, NIGHTLY: 0}
    assert values(data, "BytesTransferred") == {NIGHTLY: 5 * 2**30}
    assert values(data, "FilesTransferred") == {NIGHTLY: 12000}
    assert values(data, "Attempts") == {NIGHTLY: 1}
    assert values(data, "RunDuration") == {NIGHTLY: 83 * 60}
    assert by_name(data, "FileFailures") == []
    assert {datum.unit for datum in by_name(data, "BytesTransferred")} == {"Bytes"}
    assert {datum.unit for datum in by_name(data, "RunDuration") + by_name(data, "PhaseDuration")} == {"Seconds"}


def test_each_phase_the_execution_left_has_its_duration_and_the_end_has_none() -> None:
    data = run_metrics(result(SUCCEEDED, attempt(1, "SUCCESS")), started_at=at(0), reported_at=at(82))

    assert values(data, "PhaseDuration") == {
        (*NIGHTLY, ("Phase", "QUEUED")): 0,
        (*NIGHTLY, ("Phase", "LAUNCHING")): 60,
        (*NIGHTLY, ("Phase", "PREPARING")): 600,
        (*NIGHTLY, ("Phase", "TRANSFERRING")): 3600,
        (*NIGHTLY, ("Phase", "VERIFYING")): 600,
    }


def test_a_failed_run_counts_its_failures_per_category_over_every_attempt() -> None:
    attempts = (
        attempt(1, "ERROR", {"checksum_mismatch": 3, "access_denied": 2}),
        attempt(2, "ERROR", {"checksum_mismatch": 1, "read_error": 0}),
    )
    data = run_metrics(result(FAILED, *attempts), started_at=at(0), reported_at=at(200))

    assert values(data, "RunsFailed") == {(): 1, NIGHTLY: 1}
    assert values(data, "RunsSucceeded") == {(): 0, NIGHTLY: 0}
    assert values(data, "Attempts") == {NIGHTLY: 2}
    # Categories that did not occur (read_error: 0) publish nothing.
    assert values(data, "FileFailures") == {
        (*NIGHTLY, ("Category", "checksum_mismatch")): 4,
        (*NIGHTLY, ("Category", "access_denied")): 2,
    }


def test_a_recovered_run_succeeds_and_still_shows_what_the_retry_fixed() -> None:
    attempts = (attempt(1, "ERROR", {"checksum_mismatch": 3}), attempt(2, "SUCCESS"))
    data = run_metrics(result(SUCCEEDED, *attempts), started_at=at(0), reported_at=at(120))

    assert values(data, "RunsSucceeded") == {(): 1, NIGHTLY: 1}
    assert values(data, "Attempts") == {NIGHTLY: 2}
    assert values(data, "FileFailures") == {(*NIGHTLY, ("Category", "checksum_mismatch")): 3}
    # Retries and the back-off between them are part of the run's duration.
    assert values(data, "RunDuration") == {NIGHTLY: 120 * 60}


def test_passing_and_unattributed_failures_are_published_like_any_other_category() -> None:
    attempts = (attempt(1, "ERROR", {"transient_error": 2, "unattributed": 1}),)
    data = run_metrics(result(FAILED, *attempts), started_at=at(0), reported_at=at(10))
    assert values(data, "FileFailures") == {
        (*NIGHTLY, ("Category", "transient_error")): 2,
        (*NIGHTLY, ("Category", "unattributed")): 1,
    }


def test_a_category_the_code_does_not_know_is_not_published() -> None:
    data = run_metrics(result(FAILED, attempt(1, "ERROR", {"/etc/passwd": 1})), started_at=None, reported_at=at(0))
    assert by_name(data, "FileFailures") == []


def test_a_task_without_a_name_is_published_under_its_id() -> None:
    data = run_metrics(result(SUCCEEDED, attempt(1, "SUCCESS"), task_name=None), started_at=None, reported_at=at(0))
    assert values(data, "RunsSucceeded") == {(): 1, (("Task", "task-0123456789abcdef0"),): 1}


def test_a_rejected_input_without_a_task_counts_a_failed_run_for_the_application_only() -> None:
    rejected = RunResult(rejected_input("taskArn: Field required")).to_dict()
    data = run_metrics(rejected, started_at=None, reported_at=at(0))
    assert data == [Datum("RunsSucceeded", "Count", 0), Datum("RunsFailed", "Count", 1)]


def test_a_run_that_never_started_has_no_counters_phases_or_attempts() -> None:
    refused = RunResult(Verdict("FAILED", "DataSync.StartRefused", "busy"), task_arn=TASK, task_name="archive")
    data = run_metrics(refused.to_dict(), started_at=at(0), reported_at=at(1))
    assert {datum.name for datum in data} == {"RunsSucceeded", "RunsFailed", "RunDuration"}


def test_phases_are_measured_from_one_mark_to_the_next() -> None:
    marks = [
        {"phase": "TRANSFERRING", "at": "2026-11-22T02:00:00Z"},
        {"phase": "CANCELLING", "at": "2026-11-22T02:30:00Z"},
        {"phase": "ERROR", "at": "2026-11-22T02:31:00Z"},
    ]
    assert phase_durations(marks) == [("TRANSFERRING", 1800.0), ("CANCELLING", 60.0)]
    # A phase the execution never left (a run abandoned while PREPARING) has no duration yet.
    assert phase_durations(marks[:1]) == []


def test_a_batch_counts_its_tasks_by_outcome() -> None:
    outcomes = [
        TaskOutcome(index=0, task_arn=TASK, status="SUCCEEDED", execution_arn=None),
        failed_outcome(1, TASK, "DataSync.FsS3HeadBucketFailed", None, None),
        TaskOutcome(index=2, task_arn=TASK, status="SUCCEEDED", execution_arn=None),
    ]
    summary = summarize_batch(outcomes, max_concurrency=2, batch_execution=None).to_dict()

    assert batch_metrics(summary) == [Datum("BatchTasksSucceeded", "Count", 2), Datum("BatchTasksFailed", "Count", 1)]


def test_a_rejected_batch_ran_no_task() -> None:
    summary = rejected_batch("tasks: empty", batch_execution=None).to_dict()
    assert batch_metrics(summary) == [Datum("BatchTasksSucceeded", "Count", 0), Datum("BatchTasksFailed", "Count", 0)]


def a_slow_run(*attempts: dict[str, Any]) -> dict[str, Any]:
    """A run whose TRANSFERRING went 3x slower than the task's usual, with its cost estimated."""
    reported = result(SUCCEEDED, *attempts)
    reported["cost"] = estimate_run_cost(
        region="us-east-1", task_mode="BASIC", bytes_copied=5 * 2**30, executions=len(attempts)
    ).to_dict()
    rates = PhaseRates(transfer_bytes_per_second=1_000_000)
    reported["speed"] = compare_with_baseline(
        rates, [PhaseRates(transfer_bytes_per_second=3_000_000)] * 5, factor=2
    ).to_dict()
    return reported


def test_a_slow_runs_cost_and_slowness_are_counted_by_task_and_the_slowness_for_the_alarm() -> None:
    data = run_metrics(a_slow_run(attempt(1, "SUCCESS")), started_at=at(0), reported_at=at(120))
    assert values(data, "SlowRuns") == {(): 1, (("Task", "nightly-archive"),): 1}
    (cost,) = by_name(data, "EstimatedCost")
    assert cost.unit == "None" and cost.dimensions == (("Task", "nightly-archive"),)
    assert cost.value == pytest.approx(5 * 2**30 / 1e9 * 0.0125, rel=0.01)


def test_a_run_without_a_baseline_sends_no_slow_run_point() -> None:
    reported = result(SUCCEEDED, attempt(1, "SUCCESS"))
    reported["speed"] = compare_with_baseline(PhaseRates(transfer_bytes_per_second=1.0), [], factor=2).to_dict()
    assert by_name(run_metrics(reported, started_at=at(0), reported_at=at(120)), "SlowRuns") == []


def test_every_published_name_is_one_the_dashboard_may_name() -> None:
    attempts = (attempt(1, "ERROR", {"checksum_mismatch": 3}), attempt(2, "SUCCESS"))
    data = run_metrics(a_slow_run(*attempts), started_at=at(0), reported_at=at(120))
    data += batch_metrics(rejected_batch("x", batch_execution=None).to_dict())
    # The others are Powertools' own, the Slack notifier's and the workflows' Notify catch's.
    assert {datum.name for datum in data} == METRIC_NAMES - {
        "ColdStart",
        "SlackDeliveryFailures",
        "NotificationsNotPublished",
        "ExecutionsStalled",
    }


def test_a_run_of_a_named_schedules_firing_is_counted_for_its_schedule_too() -> None:
    data = run_metrics(
        result(FAILED, attempt(1, "ERROR")), started_at=at(0), reported_at=at(90), schedule="finance-nightly"
    )
    by_schedule = (("Schedule", "finance-nightly"),)
    assert values(data, "RunsFailed")[by_schedule] == 1 and values(data, "RunsSucceeded")[by_schedule] == 0
    assert values(data, "BytesTransferred")[by_schedule] == 5 * 2**30
    assert values(data, "FilesTransferred")[by_schedule] == 12000
    assert values(data, "RunDuration")[by_schedule] == 90 * 60
    # The task's own series stay as they are: the schedule is a series of its own, not a second dimension.
    assert values(data, "RunsFailed")[NIGHTLY] == 1
    assert all(
        dict(datum.dimensions).keys() <= {"Task", "Phase", "Category"} or datum.dimensions == by_schedule
        for datum in data
    )


def test_a_run_started_by_hand_has_no_schedule_series() -> None:
    data = run_metrics(result(SUCCEEDED, attempt(1, "SUCCESS")), started_at=at(0), reported_at=at(82))
    assert not [datum for datum in data if "Schedule" in dict(datum.dimensions)]
