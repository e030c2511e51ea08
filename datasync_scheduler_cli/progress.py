"""How far a run has come and how long it still needs, from what a watcher observed over time.

Pure: a sequence of observations in, a progress figure and the lines to print out. The rate is
measured on the watcher's own clock over a recent window, so the ETA is in the watcher's time
(on the local emulator, a sped-up clock gives a sped-up ETA, as it should).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from datasync_scheduler.domain.units import format_bytes, format_duration

RATE_WINDOW_SECONDS = 60.0
BAR_WIDTH = 20


@dataclass(frozen=True)
class Observation:
    """One look at a workflow run and the DataSync execution it is following."""

    at: float  # seconds on the watcher's clock
    state: str | None = None  # the workflow state it is in (e.g. "Await Sync End")
    execution_arn: str | None = None  # the DataSync execution, once one was started
    phase: str | None = None  # its status: QUEUED … VERIFYING, SUCCESS, ERROR
    attempt: int | None = None
    bytes_done: int = 0
    bytes_total: int = 0  # EstimatedBytesToTransfer: 0 until DataSync has prepared
    files_done: int = 0
    files_total: int = 0  # EstimatedFilesToTransfer


@dataclass(frozen=True)
class Progress:
    latest: Observation
    fraction: float | None  # of the estimate, 0..1; None while there is no estimate
    rate: float | None  # bytes (or files, without a byte estimate) per second of the watcher's clock
    eta_seconds: float | None

    @property
    def measures_bytes(self) -> bool:
        return self.latest.bytes_total > 0


def progress(observations: Sequence[Observation], window_seconds: float = RATE_WINDOW_SECONDS) -> Progress:
    """Progress as of the last observation; the rate over the last `window_seconds` of the same execution."""
    if not observations:
        raise ValueError("progress needs at least one observation")
    latest = observations[-1]
    by_bytes = latest.bytes_total > 0
    done, total = (latest.bytes_done, latest.bytes_total) if by_bytes else (latest.files_done, latest.files_total)
    fraction = min(done / total, 1.0) if total > 0 else None
    rate = _rate(observations, window_seconds, by_bytes)
    eta = None
    if rate and total > done and latest.phase == "TRANSFERRING":
        eta = (total - done) / rate
    return Progress(latest, fraction, rate, eta)


def _rate(observations: Sequence[Observation], window_seconds: float, by_bytes: bool) -> float | None:
    latest = observations[-1]

    def amount(observation: Observation) -> int:
        return observation.bytes_done if by_bytes else observation.files_done

    earliest = latest
    for observation in reversed(observations[:-1]):
        # Only the same execution counts (a retry starts from zero), and only the recent past.
        if observation.execution_arn != latest.execution_arn or latest.at - observation.at > window_seconds:
            break
        if amount(observation) > amount(latest):
            break
        earliest = observation
    elapsed = latest.at - earliest.at
    if elapsed <= 0 or amount(latest) <= amount(earliest):
        return None
    return (amount(latest) - amount(earliest)) / elapsed


def bar(fraction: float | None, width: int = BAR_WIDTH) -> str:
    filled = round((fraction or 0.0) * width)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def status_line(current: Progress, *, live: bool) -> str:
    """The one line that says where the run is.

    `live` (a terminal, redrawn in place) adds a bar, the rate and the ETA; the plain form has only
    what changes in steps worth a line of log: phase, whole percent, amounts, attempt.
    """
    latest = current.latest
    parts = [latest.phase or "STARTING"]
    if live:
        parts.append(bar(current.fraction))
    if current.fraction is not None:
        parts.append(f"{int(current.fraction * 100):3d}%")
    if latest.bytes_total:
        parts.append(f"{format_bytes(latest.bytes_done)} of {format_bytes(latest.bytes_total)}")
    if latest.files_total:
        parts.append(f"{latest.files_done:,} of {latest.files_total:,} files")
    if live and current.rate:
        parts.append(f"{format_bytes(current.rate)}/s" if current.measures_bytes else f"{current.rate:,.1f} files/s")
    if live and current.eta_seconds is not None:
        parts.append(f"ETA {format_duration(current.eta_seconds)}")
    if latest.attempt:
        parts.append(f"attempt {latest.attempt}")
    if latest.state:
        parts.append(f"({latest.state})")
    return "  ".join(parts)


def verdict_line(status: str, output: Mapping[str, Any] | None, error: str | None, cause: str | None) -> str:
    """How the workflow ended: its own verdict when it gave one, else Step Functions' error and cause."""
    verdict = (output or {}).get("verdict") or ((output or {}).get("result") or {}).get("verdict") or {}
    if status == "SUCCEEDED":
        reason = verdict.get("reason")
        return f"SUCCEEDED: {reason}" if reason else "SUCCEEDED"
    if error:
        return f"{status} ({error}): {cause}" if cause else f"{status} ({error})"
    return status
