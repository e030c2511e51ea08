"""DataSync execution statuses and their order.

Statuses are kept as strings, not an enum: DataSync adds values over time (CANCELLING arrived in
2024) and an orchestrator must treat a status it does not know as still running.
"""

from __future__ import annotations

import re

# The phases an execution passes through, in the order DataSync walks them.
PHASES: tuple[str, ...] = ("QUEUED", "LAUNCHING", "PREPARING", "TRANSFERRING", "VERIFYING")
CANCELLING = "CANCELLING"
SUCCESS = "SUCCESS"
ERROR = "ERROR"
TERMINAL: frozenset[str] = frozenset({SUCCESS, ERROR})
KNOWN: frozenset[str] = frozenset({*PHASES, CANCELLING, *TERMINAL})

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
