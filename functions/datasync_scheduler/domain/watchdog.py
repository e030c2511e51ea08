"""Per-phase time limits and what the fallback check does about them.

The check runs when the await step times out (no terminal event arrived in time). It decides,
from the execution's current status and how long it has been in it, whether to keep waiting,
cancel the execution, or stop waiting for a cancel that never completes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from datasync_scheduler.domain import phases

# Why a phase usually overstays, in the words of DataSync's troubleshooting guide.
_LIKELY_CAUSE: Mapping[str, str] = {
    "QUEUED": "another execution of this task, or another task on the same agent, is still running",
    "LAUNCHING": "the agent is probably offline or cannot reach AWS",
    "PREPARING": "listing the source and destination takes too long (very many files?)",
    "TRANSFERRING": "the transfer is slower than expected (bandwidth limit, network, throttling?)",
    "VERIFYING": "verification takes longer than expected (very many or very large files?)",
    "CANCELLING": "DataSync did not finish cancelling the execution",
}
DEFAULT_LIMITS = "QUEUED=21600,LAUNCHING=1800,PREPARING=43200,TRANSFERRING=0,VERIFYING=0,CANCELLING=3600"
# Never wait less than this: a check costs three state transitions.
MIN_WAIT_SECONDS = 30
# While events flow, the safety net still looks at least this often (a terminal event can be lost).
MAX_TRUSTING_WAIT_SECONDS = 86_400


@dataclass(frozen=True)
class PhaseLimits:
    """Seconds an execution may stay in each phase; a phase without a limit may last forever."""

    seconds: Mapping[str, int]

    @classmethod
    def parse(cls, text: str) -> PhaseLimits:
        """Reads `PHASE=SECONDS,…` (0 = no limit); rejects unknown phases and bad numbers."""
        limits: dict[str, int] = {}
        for item in filter(None, (part.strip() for part in text.split(","))):
            phase, sep, value = item.partition("=")
            phase = phase.strip().upper()
            if not sep or phase not in (*phases.PHASES, phases.CANCELLING):
                raise ValueError(
                    f"phase limit {item!r}: expected PHASE=SECONDS with PHASE one of "
                    f"{', '.join((*phases.PHASES, phases.CANCELLING))}"
                )
            if not value.strip().isdigit():
                raise ValueError(f"phase limit {item!r}: SECONDS must be a whole number (0 = no limit)")
            limits[phase] = int(value)
        return cls({phase: seconds for phase, seconds in limits.items() if seconds > 0})

    def limit_for(self, status: str) -> int | None:
        return self.seconds.get(status)


@dataclass(frozen=True)
class PhaseOverrun:
    phase: str
    limit_seconds: int
    elapsed_seconds: int

    @property
    def reason(self) -> str:
        cause = _LIKELY_CAUSE.get(self.phase, "")
        return (
            f"stayed in {self.phase} for {format_duration(self.elapsed_seconds)} "
            f"(limit {format_duration(self.limit_seconds)})" + (f": {cause}" if cause else "")
        )


@dataclass(frozen=True)
class DeadlineOverrun:
    """The whole run (all its attempts) outlived its deadline while the execution was in `phase`."""

    phase: str
    deadline_seconds: int

    @property
    def reason(self) -> str:
        return (
            f"was still in {self.phase} when the run reached its deadline of {format_duration(self.deadline_seconds)}"
        )


@dataclass(frozen=True)
class CheckDecision:
    action: Literal["finished", "wait", "cancel", "abandon"]
    wait_seconds: int
    overrun: PhaseOverrun | DeadlineOverrun | None = None


def decide_check(
    *,
    status: str,
    entered_at: datetime,
    now: datetime,
    limits: PhaseLimits,
    fallback_seconds: int,
    cancel_requested: bool,
    events_flowing: bool = False,
    remaining_seconds: float | None = None,
    deadline: tuple[datetime, int] | None = None,
) -> CheckDecision:
    """What the fallback check does next for an execution in `status` since `entered_at`.

    `events_flowing` says DataSync's event for the current status arrived; `remaining_seconds` is
    the current phase's expected remaining time, from DataSync's progress counters, when known;
    `deadline` is when the whole run must be over (and its length, for the reason).
    """
    if phases.is_terminal(status):
        return CheckDecision("finished", 0)
    if deadline is not None and now >= deadline[0] and status != phases.CANCELLING and not cancel_requested:
        overdue = DeadlineOverrun(status, deadline[1])
        return CheckDecision("cancel", wait_seconds(limits, phases.CANCELLING, 0, fallback_seconds), overdue)
    decision = _phase_decision(
        status, entered_at, now, limits, fallback_seconds, cancel_requested, events_flowing, remaining_seconds
    )
    if deadline is not None and decision.action == "wait" and deadline[0] > now:
        # Wake just after the deadline rather than a whole interval later.
        until_deadline = int((deadline[0] - now).total_seconds()) + 1
        return CheckDecision("wait", max(MIN_WAIT_SECONDS, min(decision.wait_seconds, until_deadline)))
    return decision


def _phase_decision(
    status: str,
    entered_at: datetime,
    now: datetime,
    limits: PhaseLimits,
    fallback_seconds: int,
    cancel_requested: bool,
    events_flowing: bool,
    remaining_seconds: float | None,
) -> CheckDecision:
    elapsed = max(0, int((now - entered_at).total_seconds()))
    limit = limits.limit_for(status)
    if limit is not None and elapsed >= limit:
        overrun = PhaseOverrun(status, limit, elapsed)
        if status == phases.CANCELLING:
            return CheckDecision("abandon", 0, overrun)
        if not cancel_requested:
            return CheckDecision("cancel", wait_seconds(limits, phases.CANCELLING, 0, fallback_seconds), overrun)
    return CheckDecision(
        "wait",
        wait_seconds(
            limits,
            status,
            elapsed,
            fallback_seconds,
            events_flowing=events_flowing,
            remaining_seconds=remaining_seconds,
        ),
    )


def wait_seconds(
    limits: PhaseLimits,
    status: str,
    elapsed: int,
    fallback_seconds: int,
    *,
    events_flowing: bool = False,
    remaining_seconds: float | None = None,
) -> int:
    """How long the next await may last before the check looks again.

    Without events the check looks every fallback interval. When the current phase was announced
    by its event, the next event is expected to announce the next phase, so the check only looks
    one fallback interval after the phase should have ended (its progress says when), or at the
    phase's watchdog limit, or after a day at most. A wait never outlasts the phase's limit.
    """
    wait = float(fallback_seconds)
    limit = limits.limit_for(status)
    if events_flowing:
        if remaining_seconds is not None:
            wait = max(wait, remaining_seconds + fallback_seconds)
        elif limit is not None:
            wait = max(wait, float(limit - elapsed + 1))
        else:
            wait = MAX_TRUSTING_WAIT_SECONDS
        wait = min(wait, MAX_TRUSTING_WAIT_SECONDS)
    if limit is not None and limit > elapsed:
        wait = min(wait, float(limit - elapsed + 1))
    return max(MIN_WAIT_SECONDS, int(wait))


def format_duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min" + (f" {secs} s" if secs else "")
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h" + (f" {minutes} min" if minutes else "")
