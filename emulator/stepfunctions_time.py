"""Puts moto's Step Functions interpreter on the virtual clock.

- Every thread the interpreter starts (an execution, a Map iteration, a Parallel branch, a Task
  with a timeout, a task-token wait) is a participant of the clock, and every event, condition
  and join it waits on is a wait the clock sees; timeouts are virtual seconds. So the clock knows
  exactly when every execution is waiting (see emulator.clock).
- A Wait state and a Retry's back-off sleep on the clock.
- A `.sync` task waits for the execution it started on the clock: it looks again whenever any
  execution ends, and gives up at its TimeoutSeconds of virtual time.
- A task-token wait that reaches its TimeoutSeconds spends the token: a SendTaskSuccess after it
  answers TaskTimedOut, as on AWS (docs/aws-facts.md#task-token-after-timeout).

The hooks into the interpreter are in emulator.moto_internals.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from emulator import moto_internals
from emulator.clock import VirtualClock


@contextmanager
def on_virtual_time(clock: VirtualClock) -> Iterator[None]:
    lock = threading.Lock()
    sync_waiters: set[threading.Event] = set()  # `.sync` tasks, each woken whenever an execution ends

    def execution_ended() -> None:
        # Runs in the ended execution's thread, still a participant: the woken tasks count as
        # running before that thread leaves, so time cannot move in between.
        with lock:
            waiting = list(sync_waiters)
        for ended in waiting:
            ended.set()

    def sync_wait(
        is_running: Callable[[], bool], resolve: Callable[[], Any], timeout: float | None, callback_id: str
    ) -> Any:
        # Waiting for a child is not waiting for time: without a timeout of its own the task waits
        # on no deadline, and only the child's own timers move the clock.
        deadline = clock.now() + timedelta(seconds=timeout) if timeout is not None else None
        while is_running():
            ended = clock.event()
            with lock:
                sync_waiters.add(ended)  # before looking: an end between the look and the wait still wakes it
            try:
                result = resolve()
                if result:
                    return result
                remaining = (deadline - clock.now()).total_seconds() if deadline else None
                if remaining is not None and remaining <= 0:
                    return moto_internals.sync_task_timed_out(callback_id)  # fails with States.Timeout
                clock.wait_for(ended, remaining, reason="a `.sync` task's child execution to end")
            finally:
                with lock:
                    sync_waiters.discard(ended)
        return None

    with (
        moto_internals.interpreter_threads_on(clock),
        moto_internals.wait_state_sleep(lambda seconds: clock.sleep(seconds, "a Wait state")),
        moto_internals.retry_backoff_sleep(lambda seconds: clock.sleep(seconds, "a Retry back-off")),
        moto_internals.sync_task_wait(sync_wait),
        moto_internals.on_execution_end(execution_ended),
        moto_internals.task_tokens_spent_at_timeout(),
    ):
        yield
