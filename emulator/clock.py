"""A virtual clock for discrete-event simulation of a whole workflow run.

Virtual time stands still while anything computes (a Lambda handler, a state transition) and
jumps straight to the next moment something is due: a Wait state ends, a task-token wait times
out, or a time-driven component (the DataSync emulator, the event bus) has a change scheduled.
An eight-hour transfer therefore takes as long as its few dozen state changes take to compute.

Threads that wait on virtual time register as *waiters*. The driver (`run_until`) advances time
only when every waiter is blocked, no tracked work is in flight, and the system has been quiet
for a short real-time settle period; that last guard covers interpreter threads that are between
two states and therefore not visible to the clock.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

DEFAULT_EPOCH = datetime(2026, 11, 21, 23, 0, 0, tzinfo=UTC)


class TimeDriven(Protocol):
    """A component whose state changes at scheduled virtual times."""

    def next_change_at(self) -> datetime | None:
        """The earliest virtual time at which this component has something to do."""

    def advance_to(self, now: datetime) -> None:
        """Apply every change due at or before `now`, in time order."""


class Deadlock(RuntimeError):
    """Everything waits, and nothing is scheduled that could ever wake it."""


@dataclass(order=True)
class _Waiter:
    deadline: datetime
    seq: int
    event: threading.Event = field(compare=False)
    woken: bool = field(default=False, compare=False)


class VirtualClock:
    def __init__(self, start: datetime = DEFAULT_EPOCH, settle_seconds: float = 0.003) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs a time-zone-aware start")
        self._now = start
        self._settle = settle_seconds
        self._lock = threading.Condition()
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._activity = 0
        self._components: list[TimeDriven] = []
        self.advances = 0

    # -- reading time -------------------------------------------------------------------------
    def now(self) -> datetime:
        with self._lock:
            return self._now

    def epoch_seconds(self) -> float:
        return self.now().timestamp()

    # -- components and in-flight work ---------------------------------------------------------
    def attach(self, component: TimeDriven) -> None:
        with self._lock:
            self._components.append(component)

    @contextmanager
    def busy(self) -> Iterator[None]:
        """Marks work (a Lambda invocation, an API call) that must finish before time moves."""
        with self._lock:
            self._in_flight += 1
            self._activity += 1
        try:
            yield
        finally:
            with self._lock:
                self._in_flight -= 1
                self._activity += 1
                self._lock.notify_all()

    def poke(self) -> None:
        """Records activity without waiting: postpones the next advance by one settle period."""
        with self._lock:
            self._activity += 1
            self._lock.notify_all()

    # -- waiting on virtual time -------------------------------------------------------------
    def sleep(self, seconds: float) -> None:
        """Blocks the calling thread until `seconds` of virtual time have passed."""
        self.wait_for(threading.Event(), seconds)

    def wait_for(
        self, event: threading.Event, timeout: float | None, *, once_waiting: Callable[[], None] | None = None
    ) -> bool:
        """Blocks until `event` is set or `timeout` virtual seconds pass; True when the event came.

        `once_waiting` runs as soon as the wait is registered: work the caller held busy until then
        (see `busy`) can end there without a moment in which the clock sees neither.
        """
        if event.is_set():
            if once_waiting:
                once_waiting()
            return True
        with self._lock:
            deadline = (
                self._now + timedelta(seconds=timeout) if timeout is not None else datetime.max.replace(tzinfo=UTC)
            )
            waiter = _Waiter(deadline, next(self._seq), event)
            heapq.heappush(self._waiters, waiter)
            self._activity += 1
            self._lock.notify_all()
        if once_waiting:
            once_waiting()
        # The event is set either by whoever the thread waits for, or by the driver at the deadline.
        event.wait()
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                heapq.heapify(self._waiters)
            self._activity += 1
            self._lock.notify_all()
            return not waiter.woken

    # -- driving -------------------------------------------------------------------------------
    def advance(self, seconds: float) -> None:
        """Moves time forward while no thread waits on it (e.g. before a workflow starts)."""
        target = self.now() + timedelta(seconds=seconds)
        while due := [at for at in self._component_times() if at <= target]:
            with self._lock:
                if min(due) > self._now:
                    self._now = min(due)
                    self.advances += 1
                now = self._now
            self._run_components(now)
        with self._lock:
            self._now = max(self._now, target)

    def _all_blocked(self) -> bool:
        return self._in_flight == 0 and all(not w.event.is_set() for w in self._waiters)

    def _component_times(self) -> list[datetime]:
        # Called without holding the clock's lock: components read the clock under their own locks.
        return [at for component in list(self._components) if (at := component.next_change_at()) is not None]

    def run_until(self, finished: Callable[[], bool], real_timeout: float = 120.0) -> None:
        """Drives virtual time until `finished()` is true.

        Raises Deadlock when threads wait forever on nothing scheduled, TimeoutError after
        `real_timeout` seconds of real time.
        """
        started = time.monotonic()
        while not finished():
            if time.monotonic() - started > real_timeout:
                raise TimeoutError(f"simulation still running after {real_timeout} s of real time")
            component_times = self._component_times()
            if not self._quiescent(component_times):
                continue
            with self._lock:
                candidates = component_times + [w.deadline for w in self._waiters if w.deadline.year < 9999]
                if not candidates:
                    if finished():
                        break
                    raise Deadlock(f"{len(self._waiters)} thread(s) wait forever at {self._now.isoformat()}")
                due = min(candidates)
                if due > self._now:
                    self._now = due
                    self.advances += 1
                now = self._now
            self._arrive(now)

    def run_in_real_time(self, speed: float, stop: threading.Event, tick_seconds: float = 0.02) -> None:
        """Drives virtual time at `speed` virtual seconds per real second until `stop` is set.

        For serving the emulated AWS to people and other processes: time moves on by itself, so
        DataSync's counters grow while someone watches. It still stands still while work is in
        flight, and due moments are handled one at a time, in order, as `run_until` does; after a
        stretch of work it catches up.
        """
        if speed <= 0:
            raise ValueError("speed must be positive")
        real_start, virtual_start = time.monotonic(), self.now()
        while not stop.is_set():
            target = virtual_start + timedelta(seconds=(time.monotonic() - real_start) * speed)
            component_times = self._component_times()
            with self._lock:
                due = min(component_times + [w.deadline for w in self._waiters if w.deadline.year < 9999], default=None)
                step = min(due, target) if due is not None else target
                if step <= self._now and (due is None or due > self._now):
                    moving = False  # nothing due yet, and real time has not moved virtual time on
                elif not self._all_blocked():
                    self._lock.wait(0.01)  # something runs: time stands still
                    continue
                else:
                    moving = True
            if not moving or not self._settled():
                stop.wait(tick_seconds)
                continue
            with self._lock:
                if step > self._now:
                    self._now = step
                    self.advances += 1
                now = self._now
            self._arrive(now)
            if due is None or due > target:
                stop.wait(tick_seconds)  # caught up with real time: wait for it to move on

    def _arrive(self, now: datetime) -> None:
        """What happens at a moment time moved to: components act, then the waiters due are woken."""
        self._run_components(now)
        with self._lock:
            for waiter in self._waiters:
                if waiter.deadline <= now and not waiter.event.is_set():
                    waiter.woken = True
                    waiter.event.set()
            self._activity += 1

    def _settled(self) -> bool:
        """Nothing happened for a settle period and every waiter is blocked (see `_quiescent`)."""
        with self._lock:
            seen = self._activity
        time.sleep(self._settle)
        with self._lock:
            return self._activity == seen and self._all_blocked()

    def _run_components(self, now: datetime) -> None:
        # Outside the lock: components deliver events to Lambdas that read the clock.
        for component in list(self._components):
            at = component.next_change_at()
            if at is not None and at <= now:
                with self.busy():
                    component.advance_to(now)

    def _quiescent(self, component_times: list[datetime]) -> bool:
        """Waits (real time) until tracked work is blocked and nothing happened for a settle period.

        Only then may time move: while a thread runs, virtual time stands still.
        """
        with self._lock:
            seen = self._activity
            due_now = any(at <= self._now for at in component_times)
            if not self._all_blocked() or not (self._waiters or due_now):
                self._lock.wait(0.01)
                return False
        time.sleep(self._settle)
        with self._lock:
            return self._activity == seen and self._all_blocked()
