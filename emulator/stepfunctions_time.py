"""Puts moto's Step Functions interpreter on the virtual clock.

Three places in the interpreter wait on real time: Wait states, Retry back-off, and a
`.waitForTaskToken` task's timeout. Each is redirected to the virtual clock. These are moto
internals: moto is pinned, and tests/emulator has one test per patch.
"""

from __future__ import annotations

import time
import types
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint

from emulator.clock import VirtualClock


@contextmanager
def on_virtual_time(clock: VirtualClock) -> Iterator[None]:
    original_wait_interval = WaitFunction._wait_interval
    original_callback_wait = CallbackEndpoint.wait
    original_retrier_time = getattr(retrier_decl, "time")  # noqa: B009 - a module global moto does not export

    def wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            clock.sleep(wait_seconds)

    def callback_wait(self: CallbackEndpoint, timeout: float | None = None) -> Any:
        clock.wait_for(self._notify_event, timeout)
        return self._outcome

    # The retrier calls `time.sleep(interval)`; give it a `time` whose sleep is virtual.
    virtual_time = types.SimpleNamespace(
        **{name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    )
    virtual_time.sleep = clock.sleep

    WaitFunction._wait_interval = wait_interval  # type: ignore[method-assign]
    CallbackEndpoint.wait = callback_wait  # type: ignore[method-assign]
    setattr(retrier_decl, "time", virtual_time)  # noqa: B010
    try:
        yield
    finally:
        WaitFunction._wait_interval = original_wait_interval  # type: ignore[method-assign]
        CallbackEndpoint.wait = original_callback_wait  # type: ignore[method-assign]
        setattr(retrier_decl, "time", original_retrier_time)  # noqa: B010
