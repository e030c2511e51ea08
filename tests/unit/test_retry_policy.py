"""The retry policy: what a retry can fix is retried, what it cannot is never retried."""

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from datasync_scheduler.domain.failures import CATEGORIES, RETRY_CLASS
from datasync_scheduler.domain.retry_policy import AttemptOutcome, RetrySettings, backoff, decide_retry

SETTINGS = RetrySettings(max_attempts=3, backoff_seconds=900)
ERROR = AttemptOutcome("ERROR")
TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"


def found(**counts: int) -> dict[str, Any]:
    return {"available": True, "byCategory": counts}


def test_success_is_done() -> None:
    assert decide_retry(AttemptOutcome("SUCCESS"), None, 1, SETTINGS).action == "done"


def test_content_that_changed_during_the_run_is_retried_file_by_file_after_the_back_off() -> None:
    decision = decide_retry(ERROR, found(checksum_mismatch=3), 1, SETTINGS)
    assert (decision.action, decision.categories, decision.wait_seconds) == ("retry_files", ("checksum_mismatch",), 900)


def test_the_back_off_doubles_per_attempt() -> None:
    assert [backoff(SETTINGS, attempt) for attempt in (1, 2, 3)] == [900, 1800, 3600]


def test_permissions_are_never_retried() -> None:
    decision = decide_retry(ERROR, found(access_denied=2), 1, SETTINGS)
    assert decision.action == "give_up" and "permanent" in decision.reason
    code = AttemptOutcome("ERROR", error_code="FsS3HeadBucketFailed")
    assert decide_retry(code, None, 1, SETTINGS).action == "give_up"


def test_an_nfs_export_that_denies_permissions_is_never_retried() -> None:
    # The troubleshooting guide calls it a "permissions denied" error; the system says "Permission denied".
    for text in ("mount failed: Permissions denied", "open: Permission denied"):
        assert decide_retry(AttemptOutcome("ERROR", error_detail=text), None, 1, SETTINGS).action == "give_up"


def test_a_watchdog_cancel_is_retried_as_a_whole_later() -> None:
    decision = decide_retry(AttemptOutcome("ERROR", watchdog_phase="LAUNCHING"), None, 1, SETTINGS)
    assert decision.action == "retry_all" and decision.wait_seconds == 900


def test_a_cancel_that_never_completed_is_not_retried() -> None:
    assert decide_retry(AttemptOutcome("CANCELLING", abandoned=True), None, 1, SETTINGS).action == "give_up"


def test_an_execution_the_run_stopped_watching_is_not_retried_behind_it() -> None:
    outcome = AttemptOutcome("TRANSFERRING", abandoned=True, left_running=True)
    decision = decide_retry(outcome, None, 1, SETTINGS)
    assert decision.action == "give_up" and "left running" in decision.reason


def test_files_that_vanished_at_the_source_are_settled_by_a_full_run() -> None:
    assert decide_retry(ERROR, found(source_vanished=1), 1, SETTINGS).action == "retry_all"


def test_a_busy_source_does_not_get_its_changed_files_retried() -> None:
    busy = RetrySettings(source_quiet=False)
    assert decide_retry(ERROR, found(checksum_mismatch=4), 1, busy).action == "give_up"


outcomes = st.builds(
    AttemptOutcome,
    status=st.sampled_from(["SUCCESS", "ERROR", "CANCELLING"]),
    error_code=st.one_of(st.none(), st.sampled_from(["FsS3HeadBucketFailed", "InternalException", "Weird"])),
    watchdog_phase=st.one_of(st.none(), st.sampled_from(["LAUNCHING", "QUEUED"])),
    abandoned=st.booleans(),
)
failure_counts = st.one_of(
    st.none(), st.dictionaries(st.sampled_from(CATEGORIES), st.integers(1, 10**6), max_size=len(CATEGORIES))
)


@given(outcomes, failure_counts, st.integers(1, 12), st.integers(1, 10), st.booleans())
def test_no_permanent_cause_is_ever_retried_and_attempts_never_exceed_the_maximum(
    outcome: AttemptOutcome, counts: dict[str, int] | None, attempt: int, maximum: int, quiet: bool
) -> None:
    settings = RetrySettings(max_attempts=maximum, source_quiet=quiet)
    decision = decide_retry(outcome, {"byCategory": counts} if counts is not None else None, attempt, settings)
    if decision.action in ("retry_all", "retry_files"):
        assert attempt < maximum
        assert outcome.status != "SUCCESS" and not outcome.abandoned
    if decision.action == "retry_files":
        assert decision.categories
        assert all(RETRY_CLASS[c] == "transient" for c in decision.categories)  # type: ignore[index]
        assert set(decision.categories) <= set(counts or {})
    # A failure without a path decides nothing by itself (the execution's error does), so only the
    # failures that name a file count here.
    attributed = [c for c in counts or {} if c != "unattributed"]
    if attributed and all(RETRY_CLASS[c] == "permanent" for c in attributed) and not outcome.watchdog_phase:  # type: ignore[index]
        assert decision.action in ("give_up", "done")


def test_a_failure_without_a_path_leaves_the_decision_to_the_executions_error() -> None:
    quiet = RetrySettings(max_attempts=3, source_quiet=True)
    unknown = AttemptOutcome(status="ERROR", error_code=None, watchdog_phase=None, abandoned=False)
    assert decide_retry(unknown, {"byCategory": {"unattributed": 1}}, 1, quiet).action == "retry_all"
    denied = AttemptOutcome(status="ERROR", error_code="FsS3HeadBucketFailed", watchdog_phase=None, abandoned=False)
    assert decide_retry(denied, {"byCategory": {"unattributed": 1}}, 1, quiet).action == "give_up"


def test_no_attempt_starts_that_the_deadline_would_not_leave_time_for() -> None:
    decision = decide_retry(ERROR, found(checksum_mismatch=1), 1, SETTINGS, seconds_to_deadline=600)
    assert decision.action == "give_up" and "deadline" in decision.reason
    assert (
        decide_retry(ERROR, found(checksum_mismatch=1), 1, SETTINGS, seconds_to_deadline=7200).action == "retry_files"
    )
