"""The virtual clock: time moves only when every thread taking part is waiting on it, straight to
the next due moment; a wait nothing can end is reported, naming who waits for what."""

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from emulator.clock import Deadlock, VirtualClock


class Alarm:
    """A time-driven component with one scheduled change."""

    def __init__(self, at: datetime) -> None:
        self.at: datetime | None = at
        self.rang_at: datetime | None = None

    def next_change_at(self) -> datetime | None:
        return self.at

    def advance_to(self, now: datetime) -> None:
        self.rang_at, self.at = now, None


class Driver:
    """`run_until` in a thread of its own, so the test can act while time is driven."""

    def __init__(self, clock: VirtualClock, finished: Callable[[], bool], real_timeout: float = 10) -> None:
        self.errors: list[BaseException] = []

        def drive() -> None:
            try:
                clock.run_until(finished, real_timeout=real_timeout)
            except BaseException as error:  # noqa: BLE001 - handed to the test
                self.errors.append(error)

        self.thread = threading.Thread(target=drive, name="driver", daemon=True)
        self.thread.start()

    def join(self) -> None:
        self.thread.join(timeout=30)
        assert not self.thread.is_alive()


def until(condition: Callable[[], bool]) -> None:
    """Waits (real time) for something another thread does; the bound only stops a broken test."""
    give_up = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < give_up, "the other thread never got there"
        threading.Event().wait(0.001)


def test_a_sleeping_thread_wakes_at_its_virtual_deadline() -> None:
    clock = VirtualClock()
    start = clock.now()
    woke: list[datetime] = []
    thread = clock.start_thread(lambda: (clock.sleep(3600), woke.append(clock.now())), "sleeper")
    clock.run_until(lambda: bool(woke), real_timeout=5)
    thread.join()
    assert woke == [start + timedelta(hours=1)]


def test_a_component_change_comes_before_a_later_deadline() -> None:
    clock = VirtualClock()
    start = clock.now()
    alarm = Alarm(start + timedelta(minutes=10))
    clock.attach(alarm)
    done = threading.Event()
    clock.start_thread(lambda: (clock.sleep(3600), done.set()), "sleeper")
    clock.run_until(done.is_set, real_timeout=5)
    assert alarm.rang_at == start + timedelta(minutes=10)
    assert clock.now() == start + timedelta(hours=1)


def test_an_event_set_by_another_thread_ends_a_wait_early() -> None:
    clock = VirtualClock()
    start = clock.now()
    event = threading.Event()
    results: list[bool] = []
    waiter = clock.start_thread(lambda: results.append(clock.wait_for(event, 3600)), "waiter")
    clock.start_thread(lambda: (clock.sleep(60), event.set()), "setter")
    clock.run_until(lambda: bool(results), real_timeout=5)
    waiter.join()
    assert results == [True]
    assert clock.now() == start + timedelta(minutes=1)


def test_time_stands_still_while_work_is_in_flight() -> None:
    clock = VirtualClock()
    start = clock.now()
    with clock.busy():
        clock.attach(Alarm(start + timedelta(minutes=5)))
        assert clock.now() == start


def test_a_thread_busy_for_a_long_real_time_holds_the_clock_still() -> None:
    # The computing thread blocks on something the clock cannot see (here a plain event the test
    # sets): it counts as running all along, however long that takes, so the sleeper's hour waits.
    clock = VirtualClock()
    start = clock.now()
    release = threading.Event()
    seen: list[datetime] = []
    woke: list[datetime] = []
    clock.start_thread(lambda: (release.wait(), seen.append(clock.now())), "computing")
    clock.start_thread(lambda: (clock.sleep(3600), woke.append(clock.now())), "sleeper")
    driver = Driver(clock, lambda: bool(woke))
    until(lambda: clock.waiting_threads() != [])
    threading.Event().wait(0.3)  # many turns of the driver; with a quiet-period heuristic time would move
    assert clock.now() == start and clock.advances == 0
    assert clock.running_threads() == ["computing"]
    release.set()
    driver.join()
    assert seen == [start]
    assert woke == [start + timedelta(hours=1)]


def test_a_thread_counts_from_the_moment_it_is_started_not_from_its_first_line() -> None:
    clock = VirtualClock()
    go = threading.Event()
    thread = clock.participant_thread()(target=go.wait, name="late starter", daemon=True)
    thread.start()
    assert "late starter" in clock.running_threads()
    go.set()
    thread.join()
    assert clock.running_threads() == []


def test_joining_a_thread_is_a_wait_in_virtual_time() -> None:
    clock = VirtualClock()
    start = clock.now()
    seen: list[tuple[datetime, bool]] = []

    def parent() -> None:
        child = clock.start_thread(lambda: clock.sleep(600), "child")
        child.join(timeout=60)  # gives up after a virtual minute: the child still runs
        seen.append((clock.now(), child.is_alive()))
        child.join()
        seen.append((clock.now(), child.is_alive()))

    clock.start_thread(parent, "parent")
    clock.run_until(lambda: len(seen) == 2, real_timeout=5)
    assert seen == [(start + timedelta(minutes=1), True), (start + timedelta(minutes=10), False)]


def test_a_condition_wait_is_a_wait_in_virtual_time_and_a_notify_ends_it() -> None:
    clock = VirtualClock()
    start = clock.now()
    condition = clock.condition()
    results: list[tuple[bool, datetime]] = []

    def waiter(timeout: float) -> None:
        with condition:
            results.append((condition.wait(timeout), clock.now()))

    def notifier() -> None:
        clock.sleep(120)
        with condition:
            condition.notify_all()

    clock.start_thread(lambda: waiter(30), "short waiter")
    clock.start_thread(lambda: waiter(3600), "long waiter")
    clock.start_thread(notifier, "notifier")
    clock.run_until(lambda: len(results) == 2, real_timeout=5)
    assert sorted(results) == [(False, start + timedelta(seconds=30)), (True, start + timedelta(minutes=2))]


def test_waiting_forever_on_nothing_is_reported_as_a_deadlock_naming_the_waiters() -> None:
    clock = VirtualClock()
    never = threading.Event()
    clock.start_thread(lambda: clock.wait_for(never, None, reason="a task token nobody sends"), "Await Sync End")
    event = clock.event()
    clock.start_thread(event.wait, "listener")
    with pytest.raises(Deadlock) as raised:
        clock.run_until(lambda: False, real_timeout=5)
    assert "Await Sync End waits for a task token nobody sends" in str(raised.value)
    assert "listener waits for an event" in str(raised.value)
    never.set()
    event.set()


def test_a_timeout_too_long_to_mean_anything_counts_as_none() -> None:
    clock = VirtualClock()
    event = clock.event(forever_from=99_999_999)
    clock.start_thread(lambda: event.wait(99_999_999), "forever")
    with pytest.raises(Deadlock, match="forever waits for an event"):
        clock.run_until(lambda: False, real_timeout=5)
    event.set()


def test_a_thread_that_never_waits_is_named_when_real_time_runs_out() -> None:
    clock = VirtualClock()
    stuck = threading.Event()
    clock.start_thread(stuck.wait, "stuck on a socket")
    with pytest.raises(TimeoutError, match="stuck on a socket"):
        clock.run_until(lambda: False, real_timeout=0.2)
    stuck.set()


def test_advance_runs_due_changes_in_order_before_a_workflow_starts() -> None:
    clock = VirtualClock()
    start = clock.now()
    alarm = Alarm(start + timedelta(minutes=3))
    clock.attach(alarm)
    clock.advance(600)
    assert alarm.rang_at == start + timedelta(minutes=3)
    assert clock.now() == start + timedelta(minutes=10)


class RealTimeDriver:
    """`run_in_real_time` in a thread of its own, as the local server runs it."""

    def __init__(self, clock: VirtualClock, speed: float) -> None:
        self.stop = threading.Event()
        self.thread = threading.Thread(target=clock.run_in_real_time, args=(speed, self.stop), daemon=True)

    def __enter__(self) -> "RealTimeDriver":
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=5)


def test_in_real_time_due_moments_still_happen_exactly_when_due_and_in_order() -> None:
    clock = VirtualClock()
    start = clock.now()
    alarm = Alarm(start + timedelta(minutes=10))
    clock.attach(alarm)
    woke: list[datetime] = []
    sleeper = clock.start_thread(lambda: (clock.sleep(3600), woke.append(clock.now())), "sleeper")
    with RealTimeDriver(clock, speed=36_000):  # ten virtual hours per real second
        sleeper.join()
    assert alarm.rang_at == start + timedelta(minutes=10)
    assert woke == [start + timedelta(hours=1)]


def test_in_real_time_the_clock_moves_on_with_nothing_scheduled() -> None:
    clock = VirtualClock()
    start = clock.now()
    with RealTimeDriver(clock, speed=3600):
        until(lambda: clock.now() > start)


def test_in_real_time_the_clock_stands_still_while_work_is_in_flight() -> None:
    clock = VirtualClock()
    with RealTimeDriver(clock, speed=36_000), clock.busy():
        before = clock.now()
        threading.Event().wait(0.2)  # the driver gets many turns meanwhile
        assert clock.now() == before


def test_a_clock_cannot_run_backwards_or_stand_still_in_real_time() -> None:
    with pytest.raises(ValueError, match="speed must be positive"):
        VirtualClock().run_in_real_time(0, threading.Event())
