"""The virtual clock: time moves only when every waiting thread is blocked, straight to the next due moment."""

import threading
import time
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


def test_a_sleeping_thread_wakes_at_its_virtual_deadline() -> None:
    clock = VirtualClock()
    start = clock.now()
    woke: list[datetime] = []
    thread = threading.Thread(target=lambda: (clock.sleep(3600), woke.append(clock.now())))
    thread.start()
    clock.run_until(lambda: bool(woke), real_timeout=5)
    thread.join()
    assert woke == [start + timedelta(hours=1)]


def test_a_component_change_comes_before_a_later_deadline() -> None:
    clock = VirtualClock()
    start = clock.now()
    alarm = Alarm(start + timedelta(minutes=10))
    clock.attach(alarm)
    done = threading.Event()
    thread = threading.Thread(target=lambda: (clock.sleep(3600), done.set()))
    thread.start()
    clock.run_until(done.is_set, real_timeout=5)
    thread.join()
    assert alarm.rang_at == start + timedelta(minutes=10)
    assert clock.now() == start + timedelta(hours=1)


def test_an_event_set_by_another_thread_ends_a_wait_early() -> None:
    clock = VirtualClock()
    event = threading.Event()
    results: list[bool] = []
    thread = threading.Thread(target=lambda: results.append(clock.wait_for(event, 3600)))
    thread.start()
    event.set()
    thread.join(timeout=5)
    assert results == [True]
    assert clock.now() == clock.now()  # no time passed for an early wake


def test_time_stands_still_while_work_is_in_flight() -> None:
    clock = VirtualClock()
    start = clock.now()
    with clock.busy():
        clock.attach(Alarm(start + timedelta(minutes=5)))
        assert clock.now() == start


def test_waiting_forever_on_nothing_is_reported_as_a_deadlock() -> None:
    clock = VirtualClock()
    never = threading.Event()
    thread = threading.Thread(target=lambda: clock.wait_for(never, None), daemon=True)
    thread.start()
    with pytest.raises(Deadlock):
        clock.run_until(lambda: False, real_timeout=5)
    never.set()


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
    sleeper = threading.Thread(target=lambda: (clock.sleep(3600), woke.append(clock.now())))
    sleeper.start()
    with RealTimeDriver(clock, speed=36_000):  # ten virtual hours per real second
        sleeper.join(timeout=10)
    assert alarm.rang_at == start + timedelta(minutes=10)
    assert woke == [start + timedelta(hours=1)]


def test_in_real_time_the_clock_moves_on_with_nothing_scheduled() -> None:
    clock = VirtualClock()
    start = clock.now()
    with RealTimeDriver(clock, speed=3600):
        give_up = time.monotonic() + 10
        while clock.now() == start and time.monotonic() < give_up:
            time.sleep(0.01)
    assert clock.now() > start


def test_in_real_time_the_clock_stands_still_while_work_is_in_flight() -> None:
    clock = VirtualClock()
    with RealTimeDriver(clock, speed=36_000), clock.busy():
        before = clock.now()
        threading.Event().wait(0.2)  # the driver gets many turns meanwhile
        assert clock.now() == before


def test_a_clock_cannot_run_backwards_or_stand_still_in_real_time() -> None:
    with pytest.raises(ValueError, match="speed must be positive"):
        VirtualClock().run_in_real_time(0, threading.Event())
