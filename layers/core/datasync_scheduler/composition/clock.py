"""Where the scheduler reads the current time.

Production reads the system clock; the local emulator installs its virtual clock here so every
time the workflow records or prints is virtual.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime


def _system_now() -> datetime:
    return datetime.now(UTC)


_time_source: Callable[[], datetime] = _system_now


def utc_now() -> datetime:
    return _time_source()


def use_time_source(source: Callable[[], datetime] | None) -> None:
    """Replaces the time source (None restores the system clock)."""
    global _time_source
    _time_source = source or _system_now
