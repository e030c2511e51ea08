"""DataSync execution statuses and their order.

Statuses are kept as strings, not an enum: DataSync adds values over time (CANCELLING arrived in
2024) and an orchestrator must treat a status it does not know as still running. Which statuses
are known is botocore's model's `TaskExecutionStatus` (docs/aws-facts.md#datasync-executions-and-events),
not a list retyped here: a status the model lacks is watched like a phase and named as unknown.
"""

from __future__ import annotations

import functools
import re

from botocore.model import StringShape

from datasync_scheduler.domain import datasync_model

# The phases an execution passes through, in the order DataSync walks them.
PHASES: tuple[str, ...] = ("QUEUED", "LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING")
CANCELLING = "CANCELLING"
SUCCESS = "SUCCESS"
ERROR = "ERROR"
TERMINAL: frozenset[str] = frozenset({SUCCESS, ERROR})


@functools.cache
def known() -> frozenset[str]:
    """The statuses botocore's DataSync model lists (`TaskExecutionStatus`), read once per process."""
    shape = datasync_model.shape("TaskExecutionStatus")
    assert isinstance(shape, StringShape)  # an enum is a string shape in botocore's models
    return frozenset(shape.enum)


def is_known(status: str) -> bool:
    return status in known()


_STATUS_SHAPE = re.compile(r"^[A-Z][A-Z_]{0,31}$")


def is_terminal(status: str) -> bool:
    """SUCCESS and ERROR are the only ends; CANCELLING and unknown values are still running."""
    return status in TERMINAL


def is_well_formed(status: str) -> bool:
    """Statuses arrive in events and API responses; only upper-case words are stored."""
    return bool(_STATUS_SHAPE.match(status))


def rank(status: str) -> int:
    """Orders statuses so that a later one never gives way to an earlier one.

    Unknown statuses rank below every known one: they are recorded, but never replace a known
    current status.
    """
    if status in PHASES:
        return PHASES.index(status) + 1
    if status == CANCELLING:
        return len(PHASES) + 1
    if status in TERMINAL:
        return len(PHASES) + 2
    return 0


def latest(statuses: list[str]) -> str | None:
    """The most advanced of the statuses seen (ties keep the first)."""
    best: str | None = None
    for status in statuses:
        if best is None or rank(status) > rank(best):
            best = status
    return best
