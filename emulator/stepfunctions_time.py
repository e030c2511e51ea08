"""Puts moto's Step Functions interpreter on the virtual clock.

Four places in the interpreter wait on real time: Wait states, Retry back-off, a
`.waitForTaskToken` task's timeout, and a `.sync` task polling the execution it started. Each is
redirected to the virtual clock.

With several executions at once (a batch), one execution's work must not let time run on for
another: the clock moves only after a quiet settle period, and some of the interpreter's work is
longer than that and invisible to it. So that work is made visible: creating a client for a task
(tens of milliseconds), a `states:` integration call, a new execution's thread parsing its
definition, the moment after an execution ends (while its parent reacts, e.g. a Map starts the next
child), and every history event counts as activity. These are moto internals: moto is pinned, and
tests/emulator has tests for them.
"""

from __future__ import annotations

import threading
import time
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import state_task_service_sns
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ResourceCondition
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
    StateTaskServiceCallback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.callback.callback import (
    CallbackEndpoint,
    CallbackOutcome,
    CallbackOutcomeTimedOut,
    HeartbeatEndpoint,
)
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventManager
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

from emulator.clock import VirtualClock

# Real time an ended execution's parent gets to react before virtual time may move on.
REACTION_GRACE_SECONDS = 0.1


class _Handoff:
    """Busy work that one call starts and a later call in the same thread ends, exactly once.

    A safety timer ends it anyway after a while, so a path that never reaches the later call
    cannot stop the clock for good.
    """

    SAFETY_SECONDS = 5.0

    def __init__(self, clock: VirtualClock) -> None:
        self._work = clock.busy()
        self._work.__enter__()
        self._lock = threading.Lock()
        self._open = True
        self._timer = threading.Timer(self.SAFETY_SECONDS, self.release)
        self._timer.daemon = True
        self._timer.start()

    def release(self) -> None:
        with self._lock:
            if not self._open:
                return
            self._open = False
        self._timer.cancel()
        self._work.__exit__(None, None, None)


@contextmanager
def on_virtual_time(clock: VirtualClock) -> Iterator[None]:
    original_wait_interval = WaitFunction._wait_interval
    original_callback_wait = CallbackEndpoint.wait
    original_retrier_time = getattr(retrier_decl, "time")  # noqa: B009 - a module global moto does not export
    original_eval_sync = StateTaskServiceCallback._eval_sync
    original_terminated = BaseExecutionWorkerCommunication.terminated
    original_worker_start = ExecutionWorker.start
    original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
    original_sfn_call = StateTaskServiceSfn._eval_service_task
    original_add_event = EventManager.add_event
    # Modules that create a boto3 client per task (the Lambda and SNS tasks this project uses).
    client_factories = {module: module.boto_client_for for module in (lambda_eval_utils, state_task_service_sns)}
    lock = threading.Lock()
    handoff = threading.local()  # a `.sync` task's busy work, from its start call to its wait
    sync_waiters: set[threading.Event] = set()  # `.sync` tasks, each woken whenever an execution ends
    parsing: dict[int, Any] = {}  # id(worker) -> its clock.busy() context, held until its definition is parsed

    def wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            clock.sleep(wait_seconds)

    def callback_wait(self: CallbackEndpoint, timeout: float | None = None) -> Any:
        clock.wait_for(self._notify_event, timeout)
        return self._outcome

    def worker_start(self: ExecutionWorker) -> None:
        # Parsing a definition takes tens of milliseconds, far longer than the clock's settle period:
        # without this, time would move (or a waiting `.sync` parent see a deadlock) meanwhile.
        work = clock.busy()
        work.__enter__()
        with lock:
            parsing[id(self)] = work
        try:
            original_worker_start(self)  # type: ignore[no-untyped-call]
        except BaseException:
            with lock:
                parsing.pop(id(self), None)
            work.__exit__(None, None, None)
            raise

    def entrypoint(self: ExecutionWorker) -> Any:
        try:
            return original_entrypoint(self)
        finally:
            with lock:
                work = parsing.pop(id(self), None)
            if work is not None:
                work.__exit__(None, None, None)

    def tracked_client_factory(create: Callable[..., Any]) -> Callable[..., Any]:
        def create_client(*args: Any, **kwargs: Any) -> Any:
            with clock.busy():
                return create(*args, **kwargs)

        return create_client

    def add_event(self: EventManager, *args: Any, **kwargs: Any) -> Any:
        result = original_add_event(self, *args, **kwargs)
        clock.poke()
        return result

    def sfn_call(self: StateTaskServiceSfn, *args: Any, **kwargs: Any) -> Any:
        work = _Handoff(clock)
        try:
            result = original_sfn_call(self, *args, **kwargs)
        except BaseException:
            work.release()
            raise
        if self.resource.condition in (ResourceCondition.Sync, ResourceCondition.Sync2):
            # The task goes on to wait for the child it started (eval_sync). Until that wait is
            # registered the clock must not move: it would see only the child's timers and could
            # jump past this task's own timeout. eval_sync releases the work once it waits.
            handoff.work = work
        else:
            work.release()
        return result

    def hold_still() -> None:
        """Holds time still for a moment while interpreter threads the clock cannot see react."""
        grace = clock.busy()
        grace.__enter__()
        release = threading.Timer(REACTION_GRACE_SECONDS, grace.__exit__, (None, None, None))
        release.daemon = True
        release.start()

    def terminated(self: BaseExecutionWorkerCommunication) -> None:
        original_terminated(self)  # records the execution's final status first
        hold_still()  # the parent's `.sync` task resumes, a Map starts its next item
        with lock:
            waiting = list(sync_waiters)
        for ended in waiting:
            ended.set()

    def eval_sync(
        self: StateTaskServiceCallback,
        env: Environment,
        sync_resolver: Callable[[], Any] | None,
        timeout_seconds: int | None,
        callback_endpoint: CallbackEndpoint | None,
        heartbeat_endpoint: HeartbeatEndpoint | None,
    ) -> CallbackOutcome | Any:
        # moto polls the started execution every 0.5 s of real time and parks a second thread on a
        # task token AWS has no use for in a `.sync` integration (it would time the task out at
        # moto's default of 3 years of virtual time). Here the task waits until some execution
        # ends, then looks again. Waiting for a child is not waiting for time, so the clock is
        # told only when the task has a timeout of its own.
        no_limit = not timeout_seconds or timeout_seconds >= TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS
        limit = None if no_limit else timeout_seconds
        deadline = clock.now() + timedelta(seconds=limit) if limit else None
        assert sync_resolver is not None  # moto builds one for every `.sync` and `.sync:2` task
        started: _Handoff | None = getattr(handoff, "work", None)
        handoff.work = None
        release = started.release if started else None
        while env.is_running():
            ended = threading.Event()
            with lock:
                sync_waiters.add(ended)  # before looking: an end between the look and the wait still wakes it
            try:
                result = sync_resolver()
                if result:
                    return result
                remaining = (deadline - clock.now()).total_seconds() if deadline else None
                if remaining is not None and remaining <= 0:
                    hold_still()  # the task fails (States.Timeout) before anything else moves on
                    return CallbackOutcomeTimedOut(
                        callback_id=callback_endpoint.callback_id if callback_endpoint else ""
                    )
                if remaining is None:
                    if release:
                        release()  # waiting for a child only: time may move
                    ended.wait()
                else:
                    clock.wait_for(ended, remaining, once_waiting=release)
            finally:
                with lock:
                    sync_waiters.discard(ended)
                if release:
                    release()  # idempotent; covers a result found at the first look
        return None

    # The retrier calls `time.sleep(interval)`; give it a `time` whose sleep is virtual.
    virtual_time = types.SimpleNamespace(
        **{name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    )
    virtual_time.sleep = clock.sleep

    WaitFunction._wait_interval = wait_interval  # type: ignore[method-assign]
    CallbackEndpoint.wait = callback_wait  # type: ignore[method-assign]
    setattr(retrier_decl, "time", virtual_time)  # noqa: B010
    StateTaskServiceCallback._eval_sync = eval_sync  # type: ignore[method-assign]
    BaseExecutionWorkerCommunication.terminated = terminated  # type: ignore[method-assign]
    ExecutionWorker.start = worker_start  # type: ignore[method-assign]
    ExecutionWorker._get_evaluation_entrypoint = entrypoint  # type: ignore[method-assign]
    StateTaskServiceSfn._eval_service_task = sfn_call  # type: ignore[method-assign]
    EventManager.add_event = add_event  # type: ignore[method-assign]
    for module, create in client_factories.items():
        setattr(module, "boto_client_for", tracked_client_factory(create))  # noqa: B010
    try:
        yield
    finally:
        StateTaskServiceCallback._eval_sync = original_eval_sync  # type: ignore[method-assign]
        BaseExecutionWorkerCommunication.terminated = original_terminated  # type: ignore[method-assign]
        ExecutionWorker.start = original_worker_start  # type: ignore[method-assign]
        ExecutionWorker._get_evaluation_entrypoint = original_entrypoint  # type: ignore[method-assign]
        StateTaskServiceSfn._eval_service_task = original_sfn_call  # type: ignore[method-assign]
        EventManager.add_event = original_add_event  # type: ignore[method-assign]
        for module, create in client_factories.items():
            setattr(module, "boto_client_for", create)  # noqa: B010
        WaitFunction._wait_interval = original_wait_interval  # type: ignore[method-assign]
        CallbackEndpoint.wait = original_callback_wait  # type: ignore[method-assign]
        setattr(retrier_decl, "time", original_retrier_time)  # noqa: B010
