"""Per-phase time limits, the stall watchdog, and what the check does about them.

The check runs when the await step times out (no terminal event arrived in time), and once after
DataSync's end event resumed the run. It decides, from the execution's current status, how long
it has been in it and whether its counters still move, whether to keep waiting, cancel the
execution, or stop waiting for a cancel that never completes; and, when DataSync's event and
DescribeTaskExecution disagree about the end, whether to look again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal, TypeAlias

from datasync_scheduler.domain import phases
from datasync_scheduler.domain.units import format_duration

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
# The phases whose byte and file counters show progress (docs/aws-facts.md#stalled-executions);
# a status botocore's model does not know is watched the same way, so it cannot last unnoticed.
PROGRESS_PHASES = frozenset({"TRANSFERRING", "VERIFYING"})
# Why 4 hours: longer than DataSync plausibly leaves its counters still in a healthy execution
# (FilesVerified moves once per file: verifying one 3.5 TB file at 250 MB/s), shorter than a
# night, so a stuck nightly execution is gone before the next night's start queues behind it.
DEFAULT_STALL_MINUTES = 240
# When DataSync's end event and DescribeTaskExecution disagree, the check looks again after these
# waits (15.5 minutes in all) before it says that they never agreed (docs/aws-facts.md#end-event-and-describe).
CONFIRM_WAITS_SECONDS = (30, 60, 120, 240, 480)

StallAction = Literal["report", "cancel"]


@dataclass(frozen=True)
class StallLimit:
    """How long the counters may stand still in TRANSFERRING, VERIFYING or an unknown status, and
    what the watchdog does then: cancel the execution, or report the stall and let it run."""

    seconds: int = DEFAULT_STALL_MINUTES * 60
    action: StallAction = "cancel"


def watched_for_stalls(status: str) -> bool:
    return status in PROGRESS_PHASES or not phases.is_known(status)


@dataclass(frozen=True)
class ProgressMark:
    """The counters at a check, the status they were read in, and since when they have not moved."""

    phase: str
    counters: Mapping[str, int]
    since: datetime


def next_mark(previous: ProgressMark | None, status: str, counters: Mapping[str, int], now: datetime) -> ProgressMark:
    """The mark after this check: unchanged while status and counters stay as they were, else new."""
    if previous is not None and previous.phase == status and dict(previous.counters) == dict(counters):
        return previous
    return ProgressMark(status, dict(counters), now)


@dataclass(frozen=True)
class Stall:
    """The counters stood still in `phase` for `stalled_seconds`, at least the limit."""

    phase: str
    limit_seconds: int
    stalled_seconds: int

    @property
    def reason(self) -> str:
        where = (
            self.phase
            if phases.is_known(self.phase)
            else f"{self.phase} (a status DataSync reports that this scheduler does not know)"
        )
        return (
            f"made no progress in {where} for {format_duration(self.stalled_seconds)} "
            f"(stall limit {format_duration(self.limit_seconds)}): its byte and file counters did not move"
        )


@dataclass(frozen=True)
class UnconfirmedEnd:
    """DataSync's event said the execution ended; DescribeTaskExecution kept saying otherwise."""

    announced: str
    described: str
    looks: int
    seconds: float

    @property
    def reason(self) -> str:
        return (
            f"DataSync's event said the task execution ended {self.announced}, but DescribeTaskExecution "
            f"still answered {self.described} at {self.looks} looks over {format_duration(self.seconds)}: "
            "the run cannot confirm DataSync's outcome. Look at the task execution in the DataSync console."
        )


Confirmation: TypeAlias = Literal["agreed", "look_again", "gave_up"]


def confirm_end(described: str, disagreeing_looks: int) -> tuple[Confirmation, int]:
    """After DataSync's end event: whether DescribeTaskExecution agrees, and if not how long to wait
    before looking again (`disagreeing_looks` counts this one). Describe's terminal status is the
    outcome, even if the event said the other one: it is DataSync's own record of the execution."""
    if phases.is_terminal(described):
        return "agreed", 0
    if disagreeing_looks <= len(CONFIRM_WAITS_SECONDS):
        return "look_again", CONFIRM_WAITS_SECONDS[disagreeing_looks - 1]
    return "gave_up", 0


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


# Step Functions fails a Standard workflow run at its 25,000th history event, or after a year,
# with no step of its own to send a message (docs/aws-facts.md#how-long-a-run-can-be-watched). The
# check stops watching before either: the run then ends with a verdict and its one message.
HISTORY_EVENTS_LIMIT = 25_000
# Kept for all the rest of a run: validation, starts, analyses, plans, waits between attempts, Report Run.
RESERVED_HISTORY_EVENTS = 2_000
# The most one look costs in history events: Await Sync End (entered, scheduled, started, timed
# out, exited) or Wait Before Check, Check Sync with a retry or two, and Sync Finished?.
HISTORY_EVENTS_PER_LOOK = 20
RUN_TIME_LIMIT_SECONDS = 365 * 86_400
# The time left for what comes after the last look (cancel, analysis, retries' waits, Report Run).
RUN_TIME_RESERVE_SECONDS = 7 * 86_400


def max_looks(max_attempts: int) -> int:
    """How many looks one attempt may take so that every attempt's looks fit the run's history."""
    return (HISTORY_EVENTS_LIMIT - RESERVED_HISTORY_EVENTS) // (HISTORY_EVENTS_PER_LOOK * max(1, max_attempts))


@dataclass(frozen=True)
class WatchBudget:
    """The looks this attempt has taken (this one included), the most it may take, and when the run began."""

    looks: int
    max_looks: int
    run_started: datetime | None


@dataclass(frozen=True)
class WatchLimit:
    """The run stops watching an execution still in `phase` before Step Functions' own limits end
    the run without a message; the execution is left as it is."""

    phase: str
    looks: int
    watched_seconds: int

    @property
    def reason(self) -> str:
        return (
            f"was still in {self.phase} after {self.looks} looks over {format_duration(self.watched_seconds)}: "
            "the run stopped watching it before Step Functions' limits on a run (25,000 history events, "
            "a year) would end the run without a message. The task execution was left running; look at "
            "it in the DataSync console"
        )


def _out_of_watch(budget: WatchBudget, status: str, entered_at: datetime, now: datetime) -> WatchLimit | None:
    began = budget.run_started or entered_at
    watched = max(0, int((now - began).total_seconds()))
    if budget.looks >= budget.max_looks or watched >= RUN_TIME_LIMIT_SECONDS - RUN_TIME_RESERVE_SECONDS:
        return WatchLimit(status, budget.looks, watched)
    return None


@dataclass(frozen=True)
class CheckDecision:
    action: Literal["finished", "wait", "cancel", "abandon"]
    wait_seconds: int
    overrun: PhaseOverrun | DeadlineOverrun | Stall | WatchLimit | None = None
    # A stall seen and only reported (StallAction=report): the run goes on.
    stall: Stall | None = None


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
    progress: ProgressMark | None = None,
    stall: StallLimit | None = None,
    budget: WatchBudget | None = None,
) -> CheckDecision:
    """What the fallback check does next for an execution in `status` since `entered_at`.

    `events_flowing` says DataSync's event for the current status arrived; `remaining_seconds` is
    the current phase's expected remaining time, from DataSync's progress counters, when known;
    `deadline` is when the whole run must be over (and its length, for the reason); `progress` is
    since when the counters have not moved, for the stall watchdog's `stall` limit; `budget` is
    how many looks the attempt may still take before the run must stop watching.
    """
    if phases.is_terminal(status):
        return CheckDecision("finished", 0)
    if deadline is not None and now >= deadline[0] and status != phases.CANCELLING and not cancel_requested:
        overdue = DeadlineOverrun(status, deadline[1])
        return CheckDecision("cancel", wait_seconds(limits, phases.CANCELLING, 0, fallback_seconds), overdue)
    decision = _phase_decision(
        status, entered_at, now, limits, fallback_seconds, cancel_requested, events_flowing, remaining_seconds
    )
    if stall is not None and progress is not None and decision.action == "wait" and watched_for_stalls(status):
        decision = _stall_decision(decision, status, progress, now, limits, fallback_seconds, stall, cancel_requested)
    if budget is not None and decision.action == "wait":
        out_of_watch = _out_of_watch(budget, status, entered_at, now)
        if out_of_watch is not None:
            return CheckDecision("abandon", 0, out_of_watch)
    if deadline is not None and decision.action == "wait" and deadline[0] > now:
        # Wake just after the deadline rather than a whole interval later.
        until_deadline = int((deadline[0] - now).total_seconds()) + 1
        return replace(decision, wait_seconds=max(MIN_WAIT_SECONDS, min(decision.wait_seconds, until_deadline)))
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


def _stall_decision(
    decision: CheckDecision,
    status: str,
    progress: ProgressMark,
    now: datetime,
    limits: PhaseLimits,
    fallback_seconds: int,
    stall: StallLimit,
    cancel_requested: bool,
) -> CheckDecision:
    """Cancels or reports an execution whose counters stood still for the stall limit; otherwise
    makes sure the next look comes no later than the moment the limit would be reached."""
    still = max(0, int((now - progress.since).total_seconds()))
    if still >= stall.seconds:
        seen = Stall(status, stall.seconds, still)
        if stall.action == "cancel" and not cancel_requested:
            return CheckDecision("cancel", wait_seconds(limits, phases.CANCELLING, 0, fallback_seconds), seen)
        # Reported once per stall by the step; then looked at once per stall limit, not more often.
        return CheckDecision("wait", max(MIN_WAIT_SECONDS, min(decision.wait_seconds, stall.seconds)), stall=seen)
    until_limit = stall.seconds - still + 1
    return CheckDecision("wait", max(MIN_WAIT_SECONDS, min(decision.wait_seconds, until_limit)))


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
