"""What the watcher shows: progress against DataSync's estimate, a rate and an ETA from what it saw."""

import pytest

from datasync_scheduler_cli.progress import (
    Observation,
    bar,
    progress,
    status_line,
    verdict_line,
)

GIB = 1024**3
EXECUTION = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0"


def transferring(at: float, gib: int, *, execution: str = EXECUTION, attempt: int = 1) -> Observation:
    return Observation(
        at=at,
        state="Await Sync End",
        execution_arn=execution,
        phase="TRANSFERRING",
        attempt=attempt,
        bytes_done=gib * GIB,
        bytes_total=50 * GIB,
        files_done=gib * 240,
        files_total=12_000,
    )


def test_the_eta_is_what_is_left_at_the_rate_seen_recently() -> None:
    seen = [transferring(0, 10), transferring(10, 12), transferring(20, 14)]  # 2 GiB every 10 s
    current = progress(seen)
    assert current.fraction == pytest.approx(14 / 50)
    assert current.rate == pytest.approx(0.2 * GIB)
    assert current.eta_seconds == pytest.approx(36 / 0.2)


def test_only_the_recent_window_counts_for_the_rate() -> None:
    seen = [transferring(0, 0), transferring(100, 40), transferring(160, 41), transferring(170, 42)]
    # 1 GiB in the last 10 s; counting from t=0 would say 0.25 GiB/s, from t=100 0.03 GiB/s.
    assert progress(seen, window_seconds=60).rate == pytest.approx(0.1 * GIB)


def test_a_retry_starts_its_rate_afresh() -> None:
    retry = EXECUTION.replace("exec-0", "exec-1")
    seen = [transferring(0, 40), transferring(10, 50), transferring(20, 1, execution=retry, attempt=2)]
    current = progress(seen)
    assert current.rate is None and current.eta_seconds is None
    assert current.fraction == pytest.approx(1 / 50)


def test_there_is_no_estimate_before_datasync_prepared_and_no_eta_outside_the_transfer() -> None:
    launching = Observation(at=0, execution_arn=EXECUTION, phase="LAUNCHING", attempt=1)
    assert progress([launching]).fraction is None
    verifying = [
        transferring(0, 49),
        Observation(10, None, EXECUTION, "VERIFYING", 1, 50 * GIB, 50 * GIB, 12_000, 12_000),
    ]
    assert progress(verifying).eta_seconds is None


def test_without_a_byte_estimate_files_measure_the_progress() -> None:
    seen = [
        Observation(0, None, EXECUTION, "TRANSFERRING", 1, files_done=100, files_total=1000),
        Observation(10, None, EXECUTION, "TRANSFERRING", 1, files_done=200, files_total=1000),
    ]
    current = progress(seen)
    assert (current.fraction, current.rate, current.eta_seconds) == (0.2, 10.0, 80.0)
    assert "10.0 files/s" in status_line(current, live=True)


def test_the_live_line_has_a_bar_rate_and_eta_and_the_plain_line_only_what_moves_in_steps() -> None:
    current = progress([transferring(0, 10), transferring(10, 12), transferring(20, 14)])
    assert status_line(current, live=True) == (
        "TRANSFERRING  [######--------------]   28%  14.0 GiB of 50.0 GiB  3,360 of 12,000 files  "
        "204.8 MiB/s  ETA 3 min  attempt 1  (Await Sync End)"
    )
    assert status_line(current, live=False) == (
        "TRANSFERRING   28%  14.0 GiB of 50.0 GiB  3,360 of 12,000 files  attempt 1  (Await Sync End)"
    )


def test_before_datasync_started_the_line_names_the_workflow_state() -> None:
    current = progress([Observation(at=0, state="Validate Sync Request")])
    assert status_line(current, live=False) == "STARTING  (Validate Sync Request)"


def test_the_bar_is_full_at_the_estimate_and_empty_without_one() -> None:
    assert bar(1.0, width=4) == "[####]"
    assert bar(None, width=4) == "[----]"


def test_the_verdict_is_the_workflows_own_or_step_functions_error() -> None:
    output = {
        "verdict": {"status": "SUCCEEDED", "error": "", "reason": "DataSync completed the execution successfully."}
    }
    assert verdict_line("SUCCEEDED", output, None, None) == "SUCCEEDED: DataSync completed the execution successfully."
    assert (
        verdict_line("FAILED", None, "DataSync.FsS3HeadBucketFailed", "DataSync ended the execution in ERROR")
        == "FAILED (DataSync.FsS3HeadBucketFailed): DataSync ended the execution in ERROR"
    )
    assert verdict_line("ABORTED", None, None, None) == "ABORTED"
