"""How fast a run went, and whether it was slower than usual for its task.

Rates come from DataSync's own phase durations (DescribeTaskExecution's `Result.PrepareDuration`,
`TransferDuration`, `VerifyDuration`, milliseconds: docs/aws-facts.md#datasync-phase-durations) of
the run's last task execution: bytes per second while TRANSFERRING, files per second while
PREPARING and VERIFYING. The baseline is the median of the same task's last successful runs that
have the rate: a median, so that one odd night moves it little.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from statistics import median
from typing import Literal

from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.units import format_bytes

Phase = Literal["PREPARING", "TRANSFERRING", "VERIFYING"]
PHASES: tuple[Phase, ...] = ("PREPARING", "TRANSFERRING", "VERIFYING")
# A phase shorter than this says nothing about speed (a run with nothing to copy).
MIN_PHASE_MS = 1000
BASELINE_RUNS = 10  # the last ten successful runs of the task
DEFAULT_SLOW_RUN_FACTOR = 2.0  # the stack's SlowRunFactor default
MIN_BASELINE_RUNS = 3  # fewer: no verdict, and the message says why


@dataclass(frozen=True)
class PhaseRates:
    """Each phase's rate, None where the phase did not run long enough or its counter is absent."""

    prepare_files_per_second: float | None = None
    transfer_bytes_per_second: float | None = None
    verify_files_per_second: float | None = None

    def of(self, phase: Phase) -> float | None:
        return {
            "PREPARING": self.prepare_files_per_second,
            "TRANSFERRING": self.transfer_bytes_per_second,
            "VERIFYING": self.verify_files_per_second,
        }[phase]

    def to_dict(self) -> dict[str, float | None]:
        return {
            "prepareFilesPerSecond": self.prepare_files_per_second,
            "transferBytesPerSecond": self.transfer_bytes_per_second,
            "verifyFilesPerSecond": self.verify_files_per_second,
        }

    @classmethod
    def from_dict(cls, values: Mapping[str, object]) -> PhaseRates:
        def rate(name: str) -> float | None:
            value = values.get(name)
            return float(value) if isinstance(value, int | float) and value > 0 else None

        return cls(rate("prepareFilesPerSecond"), rate("transferBytesPerSecond"), rate("verifyFilesPerSecond"))


def _rate(count: int | None, duration_ms: int | None) -> float | None:
    if not count or not duration_ms or duration_ms < MIN_PHASE_MS:
        return None
    return count / (duration_ms / 1000)


def rates_of(snapshot: ExecutionSnapshot) -> PhaseRates:
    """The rates of one task execution. PREPARING is measured on the files DataSync expected to
    transfer (what it prepared), VERIFYING on the files it verified."""
    result = snapshot.result
    return PhaseRates(
        prepare_files_per_second=_rate(snapshot.estimated_files, result.prepare_ms),
        transfer_bytes_per_second=_rate(snapshot.bytes_transferred, result.transfer_ms),
        verify_files_per_second=_rate(snapshot.files_verified, result.verify_ms),
    )


@dataclass(frozen=True)
class SlowPhase:
    phase: Phase
    rate: float
    baseline: float
    runs: int  # the runs the baseline is the median of

    @property
    def factor(self) -> float:
        return self.baseline / self.rate

    def line(self) -> str:
        return (
            f"{self.phase} ran {self.factor:.1f}x slower than usual: {_rate_text(self.phase, self.rate)} "
            f"against a median of {_rate_text(self.phase, self.baseline)} over the task's last {self.runs} "
            "successful runs."
        )


@dataclass(frozen=True)
class SpeedVerdict:
    """The comparison with the baseline: the slow phases (the slowest first), or why there is no verdict."""

    slow: tuple[SlowPhase, ...] = ()
    no_verdict: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {
            "slow": [
                {"phase": s.phase, "rate": s.rate, "baseline": s.baseline, "factor": round(s.factor, 2), "runs": s.runs}
                for s in self.slow
            ],
            "noVerdict": self.no_verdict,
        }


def _rate_text(phase: Phase, rate: float) -> str:
    return f"{format_bytes(int(rate))}/s" if phase == "TRANSFERRING" else f"{rate:,.1f} files/s"


def compare_with_baseline(rates: PhaseRates, earlier: Iterable[PhaseRates], *, factor: float) -> SpeedVerdict:
    """The phases of this run slower than `factor` times the median of the task's earlier
    successful runs (newest first; the first BASELINE_RUNS are used). A phase with fewer than
    MIN_BASELINE_RUNS earlier rates gets no verdict."""
    if factor <= 1:
        raise ValueError(f"the slow-run factor must be more than 1, not {factor}")
    history = list(earlier)[:BASELINE_RUNS]
    slow: list[SlowPhase] = []
    fewest: int | None = None
    measured = False
    for phase in PHASES:
        rate = rates.of(phase)
        if rate is None:
            continue
        measured = True
        past = [r for r in (run.of(phase) for run in history) if r is not None]
        if len(past) < MIN_BASELINE_RUNS:
            fewest = len(past) if fewest is None else min(fewest, len(past))
            continue
        baseline = median(past)
        if rate * factor < baseline:
            slow.append(SlowPhase(phase, rate, baseline, len(past)))
    slow.sort(key=lambda s: s.factor, reverse=True)
    if not measured:
        return SpeedVerdict(no_verdict="no phase ran long enough to measure its speed")
    if fewest is not None and not slow:
        if fewest == 0:
            return SpeedVerdict(no_verdict="no earlier successful run of the task to compare with")
        return SpeedVerdict(
            no_verdict=f"only {fewest} earlier successful run(s) to compare with ({MIN_BASELINE_RUNS} needed)"
        )
    return SpeedVerdict(slow=tuple(slow))
