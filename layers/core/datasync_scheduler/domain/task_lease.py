"""One start per task at a time: the rules of the per-task lease, without AWS.

A run of the workflow holds its task's lease from its start until it ends. Looking whether the
task is busy and then starting it are two calls: two runs that look at the same moment both see
it idle. Taking the lease is one conditional write, so of two runs exactly one gets it.

How long a lease lasts: until the run's next look at its execution plus a margin. The run looks
again (Check Sync, or Start Sync for a retried start) within its next wait, which the watchdog
already bounds by the phase's limit and the run's deadline; every look renews the lease. So a
live run never loses its lease, and a run that died without releasing it frees the task at most
one wait and the margin later.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

# Between a look and the next: the await's timeout, then Check Sync's own retries (a few minutes of
# back-off), Analyze Run and Plan Next Attempt with theirs. An hour covers them with room to spare.
LEASE_MARGIN = timedelta(hours=1)


@dataclass(frozen=True)
class LeaseHolder:
    """The run that holds a task's lease: its workflow execution, and a digest of its request."""

    owner: str
    request: str
    expires_at: datetime


def lease_until(now: datetime, next_look_seconds: int) -> datetime:
    """When a lease taken or renewed `now` ends, the run's next look being due in `next_look_seconds`."""
    return now + timedelta(seconds=next_look_seconds) + LEASE_MARGIN


def request_digest(request: dict[str, Any]) -> str:
    """A stable digest of a sync request (the same request always gives the same digest)."""
    canonical = json.dumps(request, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


Action = Literal["refuse", "wait", "queue"]


def when_held(when_task_busy: str, holder: LeaseHolder, request: str) -> Action:
    """What a run does when another run holds its task's lease.

    `fail` refuses at once and `wait` waits for the lease, as they do for a busy task. `queue` lets
    DataSync queue a *different* request behind the holder's (the user's choice: both run, one after
    the other), but waits for the lease when the request is the same as the holder's: two identical
    starts at once (a schedule and a manual start of the same task) are one sync asked for twice,
    and DataSync may refuse to queue an identical start anyway
    (docs/aws-facts.md#datasync-manifests-and-retries). It then runs after the holder, never alongside.
    """
    if when_task_busy == "fail":
        return "refuse"
    if when_task_busy == "wait" or holder.request == request:
        return "wait"
    return "queue"
