"""Slower than usual: a run is compared with the same task's recent successful runs."""

import pytest

from datasync_scheduler.domain.execution import ExecutionSnapshot, PhaseResults
from datasync_scheduler.domain.throughput import PhaseRates, compare_with_baseline, rates_of

pytestmark = pytest.mark.unit

MB = 1_000_000


def _usual(transfer: float = 100 * MB, prepare: float = 50.0, verify: float = 40.0) -> PhaseRates:
    return PhaseRates(
        prepare_files_per_second=prepare, transfer_bytes_per_second=transfer, verify_files_per_second=verify
    )


def test_rates_come_from_datasyncs_own_phase_durations() -> None:
    snapshot = ExecutionSnapshot(
        execution_arn="arn:aws:datasync:us-east-1:111122223333:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0",
        status="SUCCESS",
        estimated_files=1000,
        bytes_transferred=600 * MB,
        files_verified=1000,
        result=PhaseResults(prepare_ms=20_000, transfer_ms=60_000, verify_ms=10_000),
    )
    rates = rates_of(snapshot)
    assert rates.prepare_files_per_second == pytest.approx(50)
    assert rates.transfer_bytes_per_second == pytest.approx(10 * MB)
    assert rates.verify_files_per_second == pytest.approx(100)


def test_a_phase_too_short_to_measure_has_no_rate() -> None:
    snapshot = ExecutionSnapshot(
        execution_arn="arn:aws:datasync:us-east-1:111122223333:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0",
        status="SUCCESS",
        bytes_transferred=0,
        result=PhaseResults(transfer_ms=300),
    )
    assert rates_of(snapshot).transfer_bytes_per_second is None


def test_a_transfer_three_times_slower_than_the_median_is_named() -> None:
    earlier = [_usual(transfer=t * MB) for t in (90, 100, 110, 95, 105, 500)]  # one odd fast night
    verdict = compare_with_baseline(_usual(transfer=33 * MB), earlier, factor=2)
    assert [slow.phase for slow in verdict.slow] == ["TRANSFERRING"]
    assert verdict.slow[0].factor == pytest.approx(102.5 / 33)
    assert verdict.slow[0].runs == 6
    assert "TRANSFERRING ran 3.1x slower than usual" in verdict.slow[0].line()


def test_a_run_within_the_factor_is_not_slow() -> None:
    verdict = compare_with_baseline(_usual(transfer=60 * MB), [_usual()] * 10, factor=2)
    assert verdict.slow == () and verdict.no_verdict is None


def test_the_slowest_phase_comes_first() -> None:
    verdict = compare_with_baseline(_usual(transfer=40 * MB, verify=4), [_usual()] * 5, factor=2)
    assert [slow.phase for slow in verdict.slow] == ["VERIFYING", "TRANSFERRING"]


def test_only_the_last_ten_runs_make_the_baseline() -> None:
    recent, old = [_usual(transfer=10 * MB)] * 10, [_usual(transfer=1000 * MB)] * 10
    assert compare_with_baseline(_usual(transfer=8 * MB), recent + old, factor=2).slow == ()


def test_too_few_runs_give_no_verdict_and_say_why() -> None:
    verdict = compare_with_baseline(_usual(transfer=1 * MB), [_usual(), _usual()], factor=2)
    assert verdict.slow == ()
    assert verdict.no_verdict == "only 2 earlier successful run(s) to compare with (3 needed)"


def test_a_factor_of_one_or_less_is_refused() -> None:
    with pytest.raises(ValueError, match="more than 1"):
        compare_with_baseline(_usual(), [], factor=1)
