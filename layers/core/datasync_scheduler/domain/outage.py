"""How long a run waits out an outage of the services it watches a task execution through.

When the fallback check cannot look (DataSync's Describe calls or the run ledger fail with an
error that passes: throttling, a server error, a timeout), the execution is still running as far
as anyone knows. The run keeps looking, backing off, for as long as the run's own limits allow:
its deadline, the watchdog limit of the phase the execution was last seen in, and at most
`MAX_OUTAGE_SECONDS` when neither applies. Each limit is its own verdict, so a message says which
one ended the watch (docs/aws-facts.md#transient-aws-errors).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.units import format_duration
from datasync_scheduler.domain.watchdog import PhaseLimits

# With no run deadline and no limit on the phase, the run still stops watching after a day of
# outage: it says so, rather than running unwatched for the year Step Functions would allow.
MAX_OUTAGE_SECONDS = 86_400
# The first look after a failed one comes this soon; each further one waits twice as long, up to
# the fallback interval (a look costs three state transitions and a Lambda invocation).
FIRST_RETRY_SECONDS = 60
MIN_WAIT_SECONDS = 30

OutageLimit = Literal["Outage.RunDeadline", "Outage.PhaseTimeLimit", "Outage.TooLong"]


@dataclass(frozen=True)
class Outage:
    """An unbroken run of failed looks: which service, since when, how many looks, the last error."""

    service: str
    since: datetime
    looks: int
    cause: Cause

    def lasted(self, now: datetime) -> str:
        return format_duration(max(0.0, (now - self.since).total_seconds()))


@dataclass(frozen=True)
class OutageDecision:
    action: Literal["wait", "give_up"]
    wait_seconds: int = 0
    limit: OutageLimit | None = None
    # The limit that ended the watch, in words: "the run's deadline of 6 h".
    limit_said: str = ""


def decide_outage(
    outage: Outage,
    *,
    now: datetime,
    status: str,
    entered_at: datetime | None,
    limits: PhaseLimits,
    fallback_seconds: int,
    deadline: tuple[datetime, int] | None,
) -> OutageDecision:
    """Wait (how long) or give up (which limit) after `outage.looks` failed looks.

    `status` is the phase the execution was last seen in and `entered_at` when it entered it;
    `deadline` is when the whole run must be over, and its length."""
    bounds: list[tuple[datetime, OutageLimit, str]] = []
    if deadline is not None:
        bounds.append((deadline[0], "Outage.RunDeadline", f"the run's deadline of {format_duration(deadline[1])}"))
    phase_limit = limits.limit_for(status)
    if phase_limit is not None and entered_at is not None:
        bounds.append(
            (
                entered_at + timedelta(seconds=phase_limit),
                "Outage.PhaseTimeLimit",
                f"the {status} time limit of {format_duration(phase_limit)}",
            )
        )
    bounds.append(
        (
            outage.since + timedelta(seconds=MAX_OUTAGE_SECONDS),
            "Outage.TooLong",
            f"the longest outage a run waits out ({format_duration(MAX_OUTAGE_SECONDS)})",
        )
    )
    until, limit, said = min(bounds, key=lambda bound: bound[0])
    if now >= until:
        return OutageDecision("give_up", 0, limit, said)
    backoff = FIRST_RETRY_SECONDS * 2 ** min(max(outage.looks - 1, 0), 16)
    wait = min(backoff, fallback_seconds, int((until - now).total_seconds()) + 1)
    return OutageDecision("wait", max(MIN_WAIT_SECONDS, wait))


def gave_up_reason(outage: Outage, decision: OutageDecision, *, now: datetime, execution_arn: str, status: str) -> str:
    """The verdict's reason when the run stops watching: the outage, its error, the limit, what is unknown."""
    return (
        f"{outage.service} could not be reached for {outage.lasted(now)} ({outage.looks} look(s) failed; the last: "
        f"{outage.cause.describe()}), and {decision.limit_said} passed, so the run stopped watching task execution "
        f"{execution_arn} (last seen {status}). It may still be running: look at it in the DataSync console."
    )
