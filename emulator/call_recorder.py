"""Records every AWS API call the stack's functions and state machines make, and who made it.

On AWS each call is signed with the caller's role: a function's execution role, or a state
machine's role for its service integrations. To check those roles (tests/iam), every call made
while a recording is active is kept with its principal:

- a function: the Lambda router runs handlers through `acting_as(<logical id>)`, so every call in
  the handler's thread belongs to it;
- a state machine: moto's interpreter calls services from worker threads of its own; the caller
  is found on the thread's stack, in the interpreter's `Environment` (its context object names the
  state machine), read through emulator.moto_internals;
- nobody: calls the emulated services make while serving a call (`acting_as(None)`, see
  `emulator.aws_hooks`), what the emulator's own code does for a service (SNS delivering to a
  function and Lambda sending the failed event to its queue, in `emulator.sns_lambda`), and the
  harness's own calls (deploying, starting, watching) are AWS's or the test's, not the stack's,
  and are not recorded.

Calls are seen on botocore's `before-parameter-build` event, with the parameters as the caller
passed them (the same event `emulator.aws_hooks` reads them from).
"""

from __future__ import annotations

import copy
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import botocore.handlers


@dataclass(frozen=True)
class Principal:
    kind: str  # "function" or "state machine"
    name: str  # a function's logical id, a state machine's ARN


@dataclass(frozen=True)
class RecordedCall:
    principal: Principal
    service: str  # botocore's service name, e.g. "stepfunctions"
    operation: str  # e.g. "StartExecution"
    params: dict[str, Any]
    # The Region of the client that made the call (a task's own, for calls about a task elsewhere).
    region: str = ""


class _Recording:
    def __init__(self) -> None:
        self.calls: list[RecordedCall] = []
        self.lock = threading.Lock()


_NOBODY = None
_local = threading.local()
_active: _Recording | None = None
_active_lock = threading.Lock()


@contextmanager
def acting_as(principal: Principal | None) -> Iterator[None]:
    """Calls made in this thread inside the block are `principal`'s (None: nobody's)."""
    stack: list[Principal | None] = _local.__dict__.setdefault("stack", [])
    stack.append(principal)
    try:
        yield
    finally:
        stack.pop()


def function(logical_id: str) -> Principal:
    return Principal("function", logical_id)


@contextmanager
def recording() -> Iterator[list[RecordedCall]]:
    """Records the calls made inside the block into the list it yields."""
    global _active
    with _active_lock:
        if _active is not None:
            raise RuntimeError("a recording is already active")
        _active = _Recording()
    try:
        yield _active.calls
    finally:
        with _active_lock:
            _active = None


def _record(params: dict[str, Any], model: Any, context: Any = None, **_: Any) -> None:
    active = _active
    if active is None:
        return
    principal = _current_principal()
    if principal is None:
        return
    call = RecordedCall(
        principal=principal,
        service=model.service_model.service_name,
        operation=model.name,
        # A streamed body (s3transfer's parts are file-like objects that reach back to the client)
        # is kept as it is: what a permission check reads is the call's names, never its bytes.
        params={name: value if hasattr(value, "read") else copy.deepcopy(value) for name, value in params.items()},
        region=str((context or {}).get("client_region") or ""),
    )
    with active.lock:
        active.calls.append(call)


# Every botocore session copies this list when it is created: registered at import, before any
# session of the emulated account exists, every client in any thread reports here.
botocore.handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _record))


def current_principal() -> Principal | None:
    """Who makes the call this thread is making: a function, a state machine, or nobody (None)."""
    return _current_principal()


# Modules whose botocore hooks ask who is calling: their frames stand between the caller and botocore.
_HOOKS = {"emulator.faults", "emulator.aws_hooks"}


def _current_principal() -> Principal | None:
    stack: list[Principal | None] = _local.__dict__.get("stack", [])
    if stack:
        return stack[-1]
    return _state_machine_on_stack()


def _state_machine_on_stack() -> Principal | None:
    """The state machine whose interpreter is calling, if this thread runs one.

    The nearest caller decides: the interpreter's own frames hold its `env`; a frame of the emulator
    (SNS delivering to a function, say) means a service acting on its own, which no role signs."""
    from emulator import moto_internals  # late: loading the interpreter is only needed once it calls

    frame = sys._getframe(2)
    while frame is not None:
        module = str(frame.f_globals.get("__name__", ""))
        if module.startswith("emulator.") and module != __name__ and module not in _HOOKS:
            return _NOBODY
        state_machine = moto_internals.state_machine_of(frame.f_locals.get("env"))
        if state_machine is not None:
            return Principal("state machine", state_machine)
        frame = frame.f_back  # type: ignore[assignment]
    return _NOBODY
