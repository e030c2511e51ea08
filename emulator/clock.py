"""A virtual clock for discrete-event simulation of a whole workflow run.

Virtual time stands still while anything computes (a Lambda handler, a state transition) and
jumps straight to the next moment something is due: a Wait state ends, a task-token wait times
out, or a time-driven component (the DataSync emulator, the event bus) has a change scheduled.
An eight-hour transfer therefore takes as long as its few dozen state changes take to compute.

How the clock knows that everything is waiting, exactly and without looking at real time:

- Every thread that takes part in the simulation is a *participant*: the clock counts it from the
  moment its parent starts it (`participant_thread`, used for every thread the Step Functions
  interpreter starts, see emulator.moto_internals) until its last line has run. A participant is
  *running* unless it is blocked in `wait_for`/`sleep` (or an event, condition or join made by
  the clock: `event`, `condition`, `participant_thread().join`).
- A wait ends either at its virtual deadline (the driver sets its event) or when another thread
  sets its event; from the moment the event is set the waiter counts as running again, before its
  thread has even woken. So a hand-over from one thread to another never shows a moment in which
  both look idle.
- Work done outside participants (an API call served to another process, a component's change
  delivered by the driver) is held with `busy()`.

Time moves only when no participant runs, no waiter's event is set and nothing is busy; and
`run_until` reports a deadlock, naming every waiting thread and what it waits for, when that is
so and nothing is scheduled that could ever wake them. No real-time pause decides anything: the
driver only sleeps until the accounting changes.
"""

from __future__ import annotations

import heapq
import itertools
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

DEFAULT_EPOCH = datetime(2026, 11, 21, 23, 0, 0, tzinfo=UTC)
_FOREVER = datetime.max.replace(tzinfo=UTC)
# How long the driver sleeps at most before looking again. Only a fallback: every change of the
# accounting wakes it at once; nothing is decided by this period.
_DRIVER_POLL_SECONDS = 0.05


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
    reason: str = field(default="", compare=False)
    thread_name: str = field(default="", compare=False)
    target: threading.Event | None = field(default=None, compare=False)  # a clock event it waits on
    woken: bool = field(default=False, compare=False)

    def awake(self) -> bool:
        """Woken, or its event set already (before the setter got to wake it)."""
        return self.event.is_set() or (self.target is not None and self.target.is_set())


@dataclass
class _Participant:
    name: str
    waiting_on: _Waiter | None = None


class VirtualClock:
    def __init__(self, start: datetime = DEFAULT_EPOCH) -> None:
        if start.tzinfo is None:
            raise ValueError("the virtual clock needs a time-zone-aware start")
        self._now = start
        self._lock = threading.Condition()
        self._waiters: list[_Waiter] = []
        self._seq = itertools.count()
        self._in_flight = 0
        self._activity = 0  # bumped by every change of the accounting
        self._components: list[TimeDriven] = []
        self._participants: dict[int, _Participant] = {}
        self._local = threading.local()  # .participant: this thread's _Participant, if it is one
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
            self._changed()

    def busy(self) -> _Busy:
        """Marks work (an API call, a component's change) that must finish before time moves."""
        return _Busy(self)

    def _changed(self) -> None:
        """Called with the lock held after every change of the accounting."""
        self._activity += 1
        self._lock.notify_all()

    # -- participants ---------------------------------------------------------------------------
    def participant_thread(self) -> type[threading.Thread]:
        """A `threading.Thread` the clock accounts for, from `start()` until its target returns.

        `join` is a wait the clock sees (with a timeout in virtual seconds)."""
        return _participant_thread_class(self)

    def start_thread(self, target: Callable[[], object], name: str) -> threading.Thread:
        """Starts `target` in a participant thread (daemon) and returns it."""
        thread = self.participant_thread()(target=target, name=name, daemon=True)
        thread.start()
        return thread

    def event(self, *, forever_from: float | None = None) -> threading.Event:
        """A `threading.Event` whose `wait(timeout)` is a wait on this clock, in virtual seconds.

        A timeout of `forever_from` seconds or more counts as no timeout (a library's stand-in
        for "never"), so that a thread waiting on nothing real is reported as a deadlock."""
        return _VirtualEvent(self, forever_from)

    def condition(self, lock: Any = None) -> threading.Condition:
        """A `threading.Condition` whose `wait` is a wait on this clock (see `event`)."""
        return _VirtualCondition(self, lock)

    def _enroll(self, thread: threading.Thread) -> None:
        with self._lock:
            self._participants[id(thread)] = _Participant(thread.name)
            self._changed()

    def _leave(self, thread: threading.Thread) -> None:
        with self._lock:
            self._participants.pop(id(thread), None)
            self._changed()

    def _adopt(self, thread: threading.Thread) -> None:
        with self._lock:
            self._local.participant = self._participants.get(id(thread))

    def running_threads(self) -> list[str]:
        """Names of the participants not waiting on the clock now."""
        with self._lock:
            return sorted(p.name for p in self._participants.values() if p.waiting_on is None)

    def waiting_threads(self) -> list[str]:
        """Each waiting thread with what it waits for, as `name: reason`."""
        with self._lock:
            return sorted(f"{w.thread_name}: {w.reason}" for w in self._waiters if not w.awake())

    # -- waiting on virtual time -------------------------------------------------------------
    def sleep(self, seconds: float, reason: str = "a sleep") -> None:
        """Blocks the calling thread until `seconds` of virtual time have passed."""
        self.wait_for(threading.Event(), seconds, reason=f"{reason} of {seconds:g} s")

    def wait_for(
        self,
        event: threading.Event,
        timeout: float | None,
        *,
        reason: str = "an event",
    ) -> bool:
        """Blocks until `event` is set or `timeout` virtual seconds pass; True when the event came.

        An event made by `event()` stays as it was when the wait times out; a plain
        `threading.Event` is set by the clock at the deadline (so give it one that serves this wait
        only). `reason` names what the thread waits for in a deadlock's report.
        """
        if event.is_set():
            return True
        me: _Participant | None = getattr(self._local, "participant", None)
        target = event if isinstance(event, _VirtualEvent) else None
        wake = threading.Event() if target is not None else event
        with self._lock:
            deadline = self._now + timedelta(seconds=max(timeout, 0)) if timeout is not None else _FOREVER
            waiter = _Waiter(deadline, next(self._seq), wake, reason, threading.current_thread().name, target)
            heapq.heappush(self._waiters, waiter)
            if target is not None:
                target._waiters.append(waiter)
                if target.is_set():  # set between the first look and the registration
                    wake.set()
            if me is not None:
                me.waiting_on = waiter
            self._changed()
        # `wake` is set either by whoever the thread waits for, or by the driver at the deadline.
        threading.Event.wait(wake)
        with self._lock:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
                heapq.heapify(self._waiters)
            if target is not None and waiter in target._waiters:
                target._waiters.remove(waiter)
            if me is not None:
                me.waiting_on = None
            self._changed()
            return target.is_set() if target is not None else not waiter.woken

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

    def _all_waiting(self) -> bool:
        """With the lock held: nothing runs, nothing is busy, and no waiter has been woken."""
        return (
            self._in_flight == 0
            and all(p.waiting_on is not None for p in self._participants.values())
            and not any(w.awake() for w in self._waiters)
        )

    def _component_times(self) -> list[datetime]:
        # Called without holding the clock's lock: components read the clock under their own locks.
        return [at for component in list(self._components) if (at := component.next_change_at()) is not None]

    def _still_waiting(self) -> int | None:
        """Blocks (briefly) until everything waits; returns the accounting's version, or None."""
        with self._lock:
            if self._all_waiting():
                return self._activity
            self._lock.wait(_DRIVER_POLL_SECONDS)
            return None

    def _next_moment(self, version: int, component_times: list[datetime]) -> datetime | None:
        """With the lock held: the next due moment, if nothing changed since `version`."""
        if self._activity != version or not self._all_waiting():
            return None  # someone ran meanwhile: `component_times` may be stale
        return min(component_times + [w.deadline for w in self._waiters if w.deadline != _FOREVER], default=_FOREVER)

    def run_until(self, finished: Callable[[], bool], real_timeout: float = 120.0) -> None:
        """Drives virtual time until `finished()` is true.

        Raises Deadlock when threads wait forever on nothing scheduled, TimeoutError after
        `real_timeout` seconds of real time (naming the threads still running).
        """
        started = time.monotonic()
        while not finished():
            if time.monotonic() - started > real_timeout:
                raise TimeoutError(
                    f"simulation still running after {real_timeout} s of real time; running: "
                    f"{self.running_threads() or 'none'}; busy: {self._in_flight}; waiting: {self.waiting_threads()}"
                )
            version = self._still_waiting()
            if version is None:
                continue
            component_times = self._component_times()
            with self._lock:
                due = self._next_moment(version, component_times)
                if due is None:
                    continue
                if due == _FOREVER:
                    waiting = _describe(self._waiters)
            if due == _FOREVER:
                if finished():
                    break
                raise Deadlock(
                    f"every thread waits and nothing is scheduled at {self.now().isoformat()}: {waiting or 'none'}"
                )
            with self._lock:
                if due > self._now:
                    self._now = due
                    self.advances += 1
                now = self._now
            self._arrive(now, component_times)

    def run_in_real_time(self, speed: float, stop: threading.Event, tick_seconds: float = 0.02) -> None:
        """Drives virtual time at `speed` virtual seconds per real second until `stop` is set.

        For serving the emulated AWS to people and other processes: time moves on by itself, so
        DataSync's counters grow while someone watches. It still stands still while anything runs,
        and due moments are handled one at a time, in order, as `run_until` does; after a
        stretch of work it catches up.
        """
        if speed <= 0:
            raise ValueError("speed must be positive")
        real_start, virtual_start = time.monotonic(), self.now()
        while not stop.is_set():
            version = self._still_waiting()
            if version is None:
                continue
            target = virtual_start + timedelta(seconds=(time.monotonic() - real_start) * speed)
            component_times = self._component_times()
            with self._lock:
                due = self._next_moment(version, component_times)
                if due is None:
                    continue
                step = min(due, target)
                if step <= self._now and due > self._now:
                    moving = False  # nothing due yet, and real time has not moved virtual time on
                else:
                    moving = True
                    if step > self._now:
                        self._now = step
                        self.advances += 1
                now = self._now
            if moving:
                self._arrive(now, component_times)
            if not moving or due > target:
                stop.wait(tick_seconds)  # caught up with real time: wait for it to move on

    def _arrive(self, now: datetime, component_times: list[datetime]) -> None:
        """One step at a moment time moved to: the components' changes due, or else the waits due.

        Everything a moment brings happens before any wait ending at that moment times out: the
        components act first, and the driver lets all they set off (an event delivered, a function
        run, a task token sent) run until everything waits again before it looks at this moment
        once more; only when no component has anything left due are the waits whose deadline it is
        woken. So a wait of N seconds ends by timeout only if nothing ended it within those N
        seconds, the same in every run (docs/local-emulator.md#the-same-virtual-moment)."""
        if any(at <= now for at in component_times):
            self._run_components(now)
            return
        with self._lock:
            for waiter in self._waiters:
                if waiter.deadline <= now and not waiter.event.is_set():
                    waiter.woken = True
                    waiter.event.set()
            self._changed()

    def _run_components(self, now: datetime) -> None:
        # Outside the lock: components deliver events to Lambdas that read the clock.
        for component in list(self._components):
            at = component.next_change_at()
            if at is not None and at <= now:
                with self.busy():
                    component.advance_to(now)


def _describe(waiters: Iterable[_Waiter]) -> str:
    return "; ".join(sorted(f"{w.thread_name} waits for {w.reason}" for w in waiters if not w.awake()))


class _Busy:
    """`VirtualClock.busy()`: a context manager, re-usable for one enter/exit at a time."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    def __enter__(self) -> None:
        with self._clock._lock:
            self._clock._in_flight += 1
            self._clock._changed()

    def __exit__(self, *_: object) -> None:
        with self._clock._lock:
            self._clock._in_flight -= 1
            self._clock._changed()


class _VirtualEvent(threading.Event):
    def __init__(self, clock: VirtualClock, forever_from: float | None) -> None:
        super().__init__()
        self._clock = clock
        self._forever_from = forever_from
        self._waiters: list[_Waiter] = []  # guarded by the clock's lock

    def set(self) -> None:
        super().set()
        with self._clock._lock:
            for waiter in self._waiters:
                waiter.event.set()
            self._clock._changed()

    def wait(self, timeout: float | None = None) -> bool:
        if timeout is not None and self._forever_from is not None and timeout >= self._forever_from:
            timeout = None
        return self._clock.wait_for(self, timeout, reason=f"an event ({_caller()})")


class _VirtualCondition(threading.Condition):
    """A condition variable whose waits the clock sees: each wait is a virtual event that `notify`
    sets, so a notified thread counts as running from the moment it is notified."""

    def __init__(self, clock: VirtualClock, lock: Any = None) -> None:
        super().__init__(lock)
        self._clock = clock
        self._pending: list[threading.Event] = []

    def wait(self, timeout: float | None = None) -> bool:
        event = threading.Event()
        self._pending.append(event)
        # Release the lock completely (it may be re-entrant), wait, then take it back as it was.
        saved = self._release_save()  # type: ignore[attr-defined]
        try:
            return self._clock.wait_for(event, timeout, reason=f"a condition ({_caller()})")
        finally:
            self._acquire_restore(saved)  # type: ignore[attr-defined]
            if event in self._pending:
                self._pending.remove(event)

    def notify(self, n: int = 1) -> None:
        for event in self._pending[:n]:
            event.set()
        del self._pending[:n]

    def notify_all(self) -> None:
        self.notify(len(self._pending))


def _participant_thread_class(clock: VirtualClock) -> type[threading.Thread]:
    class ParticipantThread(threading.Thread):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._virtually_done = clock.event()

        def start(self) -> None:
            # Counted from here, in the starting thread: no gap between the parent's work and the child's.
            clock._enroll(self)
            try:
                super().start()
            except BaseException:
                clock._leave(self)
                raise

        def run(self) -> None:
            clock._adopt(self)
            try:
                super().run()
            finally:
                self._virtually_done.set()  # a joining thread runs again before this one leaves
                clock._leave(self)

        def join(self, timeout: float | None = None) -> None:
            joining_another = threading.current_thread() is not self and self.ident is not None
            if joining_another and not clock.wait_for(
                self._virtually_done, timeout, reason=f"thread {self.name} to end"
            ):
                return  # timed out in virtual time: the thread still runs (is_alive() says so)
            super().join()

    return ParticipantThread


def _caller() -> str:
    """Where the waiting code is (module:function), for deadlock reports."""
    import sys

    frame = sys._getframe(2)
    return f"{frame.f_globals.get('__name__', '?')}:{frame.f_code.co_name}"
