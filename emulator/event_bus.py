"""Delivers DataSync's EventBridge events to the rule targets, with the faults events really have.

EventBridge delivery of DataSync events is best effort: events can be lost, arrive twice, or
arrive late and out of order. A scenario chooses which, per status, so the workflow's safety
net is exercised on purpose.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulator import moto_internals
from emulator.clock import VirtualClock


@dataclass(frozen=True)
class EventRule:
    name: str
    pattern: dict[str, Any]
    target: str  # the function's logical id

    def matches(self, event: dict[str, Any]) -> bool:
        return moto_internals.event_pattern_matches(self.pattern, event)


@dataclass(frozen=True)
class EventFaults:
    """Which events go wrong. Statuses are DataSync's (`SUCCESS`, `LAUNCHING`, …) or "*" for all."""

    drop: frozenset[str] = frozenset()
    duplicate: frozenset[str] = frozenset()
    # Extra delay per status: a delayed event arrives after later ones (reordering) or late.
    delay_seconds: dict[str, float] = field(default_factory=dict)
    latency_seconds: float = 0.0

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> EventFaults:
        known = {"drop", "duplicate", "delaySeconds", "latencySeconds"}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(
                f"events: unknown field(s) {', '.join(sorted(unknown))}; expected {', '.join(sorted(known))}"
            )
        return cls(
            drop=frozenset(raw.get("drop", [])),
            duplicate=frozenset(raw.get("duplicate", [])),
            delay_seconds={str(k): float(v) for k, v in raw.get("delaySeconds", {}).items()},
            latency_seconds=float(raw.get("latencySeconds", 0.0)),
        )

    def _applies(self, statuses: frozenset[str], status: str) -> bool:
        return "*" in statuses or status in statuses


@dataclass
class EventStats:
    emitted: int = 0
    delivered: int = 0
    dropped: int = 0
    duplicated: int = 0
    failed_deliveries: int = 0


class EventBus:
    """A time-driven component: events wait in a queue until their virtual delivery time."""

    def __init__(
        self,
        clock: VirtualClock,
        rules: list[EventRule],
        deliver: Callable[[str, dict[str, Any]], bool],
        faults: EventFaults | None = None,
    ) -> None:
        self._clock = clock
        self._rules = rules
        self._deliver = deliver
        self._faults = faults or EventFaults()
        self._queue: list[tuple[datetime, int, dict[str, Any]]] = []
        self._seq = itertools.count()
        self.stats = EventStats()
        self.delivered: list[tuple[datetime, dict[str, Any]]] = []

    def use_rules(self, rules: list[EventRule]) -> None:
        self._rules = list(rules)

    def publish(self, event: dict[str, Any]) -> None:
        self.stats.emitted += 1
        status = str(event.get("detail", {}).get("State", ""))
        faults = self._faults
        if faults._applies(faults.drop, status):
            self.stats.dropped += 1
            return
        at = self._clock.now() + timedelta(seconds=faults.latency_seconds + faults.delay_seconds.get(status, 0.0))
        heapq.heappush(self._queue, (at, next(self._seq), event))
        if faults._applies(faults.duplicate, status):
            self.stats.duplicated += 1
            heapq.heappush(self._queue, (at + timedelta(seconds=1), next(self._seq), event))

    def next_change_at(self) -> datetime | None:
        return self._queue[0][0] if self._queue else None

    def advance_to(self, now: datetime) -> None:
        while self._queue and self._queue[0][0] <= now:
            at, _, event = heapq.heappop(self._queue)
            for rule in self._rules:
                if rule.matches(event):
                    self.stats.delivered += 1
                    self.delivered.append((at, event))
                    if not self._deliver(rule.target, event):
                        self.stats.failed_deliveries += 1
