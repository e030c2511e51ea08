"""Delivers DataSync's EventBridge events to the rule targets, with the faults events really have;
takes the scheduler's own events (PutEvents) as EventBridge does.

EventBridge delivery of DataSync events is best effort: events can be lost, arrive twice, or
arrive late and out of order. A scenario chooses which, per status, so the workflow's safety
net is exercised on purpose.
"""

from __future__ import annotations

import heapq
import itertools
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from emulator import moto_internals
from emulator.clock import VirtualClock
from emulator.service_errors import EmulatedServiceError


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


# --- PutEvents: the events the scheduler puts on its own bus ---------------------------------------

# docs/aws-facts.md#eventbridge-putevents
ENTRY_MAX_BYTES = 256 * 1024
DETAIL_TYPE_MAX = 128


class PutEventsBus:
    """EventBridge's PutEvents, as documented: each entry needs Source, DetailType and a Detail that
    is a JSON object; a Source may not start with "aws."; an entry over 256 KB (Time, Source,
    DetailType, Detail and Resources, in UTF-8 bytes) is refused. A refused entry fails alone: the
    call answers 200 with `FailedEntryCount` and the entry's `ErrorCode`. The events it takes are
    kept as EventBridge delivers them to a rule's target, for the scenario's summary."""

    def __init__(self, clock: VirtualClock, *, account_id: str, region: str, buses: frozenset[str]) -> None:
        self._clock = clock
        self._account_id = account_id
        self._region = region
        self.buses = set(buses)
        self.events: list[dict[str, Any]] = []
        self._ids = itertools.count(1)

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation != "PutEvents":
            raise EmulatedServiceError("UnknownOperationException", f"{operation} is not emulated")
        answers = [self._put(entry) for entry in params["Entries"]]
        return {"FailedEntryCount": sum(1 for answer in answers if "ErrorCode" in answer), "Entries": answers}

    def _put(self, entry: dict[str, Any]) -> dict[str, str]:
        source, detail_type, detail = entry.get("Source"), entry.get("DetailType"), entry.get("Detail")
        if not source or not detail_type or detail is None:
            return _refused("InvalidArgument", "Source, DetailType and Detail are required.")
        bus = str(entry.get("EventBusName") or "default").rsplit("/", 1)[-1]
        if bus not in self.buses:
            return _refused("ResourceNotFoundException", f"Event bus {bus} does not exist.")
        if str(source).startswith("aws."):
            return _refused("NotAuthorizedForSourceException", "Not authorized for the source.")
        if len(str(detail_type)) > DETAIL_TYPE_MAX:
            return _refused("InvalidArgument", f"DetailType is longer than {DETAIL_TYPE_MAX} characters.")
        try:
            parsed = json.loads(detail)
        except ValueError:
            parsed = None
        if not isinstance(parsed, dict):
            return _refused("MalformedDetail", "Detail is malformed.")
        resources = [str(arn) for arn in entry.get("Resources") or []]
        size = (14 if entry.get("Time") else 0) + sum(
            len(part.encode()) for part in (str(source), str(detail_type), str(detail), *resources)
        )
        if size > ENTRY_MAX_BYTES:
            return _refused("InvalidArgument", f"The entry is {size} bytes; the limit is {ENTRY_MAX_BYTES}.")
        event_id = f"{next(self._ids):08d}-0000-4000-8000-000000000000"
        self.events.append(
            {
                "version": "0",
                "id": event_id,
                "detail-type": detail_type,
                "source": source,
                "account": self._account_id,
                "time": self._clock.now().strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": self._region,
                "resources": resources,
                "detail": parsed,
            }
        )
        return {"EventId": event_id}


def _refused(code: str, message: str) -> dict[str, str]:
    return {"ErrorCode": code, "ErrorMessage": message}
