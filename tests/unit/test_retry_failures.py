"""Retrying an earlier run's failed files: exactly the files a rerun can fix, or a refusal naming why."""

from datetime import UTC, datetime, timedelta

import pytest

from datasync_scheduler.domain.retry_failures import (
    failure_report_key,
    failures_to_retry,
)
from datasync_scheduler.domain.retry_policy import RetrySettings
from datasync_scheduler.domain.retry_scope import FailedPath
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.sync_request import InvalidSyncRequest

RUN = "arn:aws:states:eu-west-1:123456789012:execution:SyncWorkflow:nightly-1"
TASK_ARN = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
EXECUTION_ARN = f"{TASK_ARN}/execution/exec-0123456789abcdef0"
ENDED = datetime(2026, 11, 20, 3, 0, tzinfo=UTC)
QUIET = RetrySettings()


def failed_run(**fields: object) -> RunHistoryEntry:
    values: dict[str, object] = {
        "workflow_execution": RUN,
        "started_at": ENDED - timedelta(hours=1),
        "ended_at": ENDED,
        "status": "FAILED",
        "error": "DataSyncExecutionFailed",
        "reason": "2 files failed",
        "task_arn": TASK_ARN,
        "execution_arn": EXECUTION_ARN,
        "failures": {"transient": 2},
        "attempts": 3,
    }
    values.update(fields)
    return RunHistoryEntry(**values)  # type: ignore[arg-type]


def retry(entry: RunHistoryEntry | None, report: list[dict[str, object]] | None, **options: object):  # type: ignore[no-untyped-def]
    return failures_to_retry(
        RUN,
        entry,
        report,
        options.get("settings", QUIET),  # type: ignore[arg-type]
        retention_days=90,
        now=options.get("now", ENDED + timedelta(days=1)),  # type: ignore[arg-type]
    )


def test_a_run_that_failed_on_two_changed_files_is_retried_on_exactly_those_two() -> None:
    report = [
        {"path": "/reports/q3.xlsx", "category": "checksum_mismatch"},
        {"path": "/reports/q4.xlsx", "category": "checksum_mismatch"},
        {"path": "/reports/q4.xlsx", "category": "checksum_mismatch"},  # a failed transfer, then verification
    ]

    chosen = retry(failed_run(), report)

    assert chosen.failed == [FailedPath("/reports/q3.xlsx"), FailedPath("/reports/q4.xlsx")]
    assert chosen.categories == ("checksum_mismatch",)
    assert chosen.execution_arn == EXECUTION_ARN
    assert chosen.not_retried == {}


def test_permanent_failures_are_listed_as_not_retried() -> None:
    report = [
        {"path": "/a.txt", "category": "read_error"},
        {"path": "/secret.txt", "category": "access_denied"},
        {"path": "/gone.txt", "category": "source_vanished"},
    ]

    chosen = retry(failed_run(), report)

    assert chosen.failed == [FailedPath("/a.txt")]
    assert chosen.not_retried == {"access_denied": 1, "source_vanished": 1}
    assert "not retried: access_denied (1), source_vanished (1)" in chosen.reason


def test_content_changes_are_not_retried_when_the_source_is_not_quiet() -> None:
    report = [{"path": "/a.txt", "category": "checksum_mismatch"}]

    with pytest.raises(InvalidSyncRequest, match=r"retryFailuresOf: .* no failed file a retry can fix"):
        retry(failed_run(), report, settings=RetrySettings(source_quiet=False))


@pytest.mark.parametrize(
    ("entry", "report", "why"),
    [
        (None, None, "no run .* in the run history"),
        (failed_run(execution_arn=None, failures={}), None, "started no task execution"),
        (failed_run(status="SUCCEEDED", error="", failures={}), None, "succeeded with no failed file"),
        (failed_run(), None, "has no failure report for its last task execution"),
        (
            failed_run(),
            [{"path": "/a", "category": "access_denied"}],
            r"no failed file a retry can fix .*access_denied",
        ),
        (failed_run(), [{"path": "", "category": "unattributed"}], "no failed file a retry can fix"),
    ],
    ids=["no such run", "never started", "succeeded", "no report", "only permanent", "names no file"],
)
def test_a_retry_is_refused_before_anything_starts_naming_the_field(
    entry: RunHistoryEntry | None, report: list[dict[str, object]] | None, why: str
) -> None:
    with pytest.raises(InvalidSyncRequest, match=f"^retryFailuresOf: .*{why}"):
        retry(entry, report)


def test_a_report_past_its_retention_is_refused_even_while_s3_still_holds_it() -> None:
    report = [{"path": "/a.txt", "category": "read_error"}]

    with pytest.raises(InvalidSyncRequest, match=r"retryFailuresOf: .* has expired .* kept 90 days"):
        retry(failed_run(), report, now=ENDED + timedelta(days=90))
    assert retry(failed_run(), report, now=ENDED + timedelta(days=89, hours=23)).failed == [FailedPath("/a.txt")]


def test_the_report_is_read_where_analyze_run_writes_it() -> None:
    assert failure_report_key(EXECUTION_ARN) == "failure-reports/task-0123456789abcdef0/exec-0123456789abcdef0.jsonl"
