"""Runs the template's Lambda functions in-process, the way the Python runtime would.

Invocations arrive through boto3's `lambda.Invoke` (from the state machine interpreter) or
directly (event deliveries). A handler that raises is reported as the runtime does
(`FunctionError: Unhandled` with errorType/errorMessage/stackTrace), so Retry and Catch match
error names exactly as on AWS. Each invocation holds the virtual clock still while it runs, and
keeps what the handler printed (its log stream on AWS, where its metric documents go).
"""

from __future__ import annotations

import importlib.util
import io
import json
import logging
import os
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import botocore.session
from botocore.response import StreamingBody

from emulator import call_recorder
from emulator.clock import VirtualClock
from emulator.faults import FaultInjector, exception_for, timeout_payload
from emulator.function_output import RoutedStdout
from emulator.service_errors import EmulatedServiceError

# The process has one environment and each function its own: one function at a time has it, and
# while it changes no other thread may read it whole. botocore copies and iterates `os.environ`
# when it builds a client (credential and proxy lookups), and the Step Functions interpreter builds
# clients in its own threads: a variable removed between its listing and its reading raises
# KeyError there. So building a client waits for the function that holds the environment.
_ENVIRONMENT = threading.RLock()
_create_client = botocore.session.Session.create_client


def _create_client_outside_a_change(self: botocore.session.Session, *args: Any, **kwargs: Any) -> Any:
    with _ENVIRONMENT:
        return _create_client(self, *args, **kwargs)


botocore.session.Session.create_client = _create_client_outside_a_change  # type: ignore[method-assign]


@dataclass(frozen=True)
class LambdaFunction:
    logical_id: str
    name: str
    arn: str
    handler: str  # "module.function" (or "package.module.function"), as in the template
    code_dir: Path  # its CodeUri: what Lambda unpacks into /var/task
    timeout_seconds: int
    memory_mb: int
    # Asynchronous invocations (EventInvokeConfig): retries after an error, then where the event goes.
    max_retry_attempts: int = 2
    on_failure: str | None = None  # the OnFailure destination's ARN (an SQS queue)
    # Its own variables (the template's Globals and its own): on Lambda no function sees another's.
    environment: Mapping[str, str] = field(default_factory=dict)
    # The content of the template's own layers it uses (a layer's python/ folder on Lambda).
    layer_dirs: tuple[Path, ...] = ()


@dataclass
class Invocation:
    function: str  # logical id
    at: datetime
    error_type: str | None
    output: str = ""  # what the handler printed


@dataclass
class LambdaContext:
    """What the Python runtime passes as `context` (the fields Powertools reads)."""

    function_name: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    timeout_seconds: int
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    function_version: str = "$LATEST"
    log_group_name: str = ""
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return self.timeout_seconds * 1000


class LambdaRouter:
    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self._by_key: dict[str, LambdaFunction] = {}
        self._handlers: dict[str, Callable[[Any, Any], Any]] = {}
        self._loading = threading.Lock()
        self.invocations: list[Invocation] = []
        self._environment = _ENVIRONMENT
        self._running: Mapping[str, str] | None = None  # the environment of the function running now
        self._built_for: Mapping[str, str] | None = None  # the environment settings were last built from
        # Called when the environment changes to another function's: what was built from the previous
        # one (settings, clients) must not be reused, as a separate Lambda container would not.
        self.on_environment_change: Callable[[], None] = lambda: None
        # Set while the emulator routes sys.stdout; without it, handlers print where the process does.
        self.stdout: RoutedStdout | None = None
        # A scenario's faults: invocations that raise or time out (see emulator/faults.py).
        self.faults: FaultInjector | None = None
        self._local = threading.local()  # .current: (function, its busy mark) of this thread's invocation

    def register(self, function: LambdaFunction) -> None:
        for key in (function.logical_id, function.name, function.arn):
            self._by_key[key] = function

    def function(self, name_or_arn: str) -> LambdaFunction:
        key = name_or_arn
        if key.startswith("arn:") and key.count(":") > 6:
            key = key.rsplit(":", 1)[0]  # drop a version or alias qualifier
        if key not in self._by_key:
            raise EmulatedServiceError("ResourceNotFoundException", f"Function not found: {name_or_arn}", status=404)
        return self._by_key[key]

    def _handler(self, function: LambdaFunction) -> Callable[[Any, Any], Any]:
        with self._loading:
            if function.logical_id not in self._handlers:
                self._handlers[function.logical_id] = load_handler(function)
            return self._handlers[function.logical_id]

    def invoke(self, name_or_arn: str, event: Any) -> tuple[Any, dict[str, Any] | None]:
        """Calls the handler; returns (result, None) or (None, the runtime's error payload)."""
        function = self.function(name_or_arn)
        context = LambdaContext(function.name, function.arn, function.memory_mb, function.timeout_seconds)
        busy = self._clock.busy()
        outer_invocation = getattr(self._local, "current", None)
        with (
            busy,
            self._current(function, busy, outer_invocation),
            self._environment_of_function(function),
            call_recorder.acting_as(call_recorder.function(function.logical_id)),
            self.stdout.capture() if self.stdout else nullcontext(None) as printed,
        ):
            # A cold start's import is part of the invocation: virtual time must not run on meanwhile.
            handler = self._handler(function)
            at = self._clock.now()
            fault = self.faults.on_invocation(function.logical_id) if self.faults else None
            try:
                if fault is not None and fault[0].error is not None:
                    raise exception_for(fault[0], function.logical_id, fault[1])
                result = handler(event, context)
            except Exception as error:  # noqa: BLE001 - reported to the caller like the runtime does
                if fault is not None and fault[0].timeout:
                    return self._timed_out(function, context, at, printed)
                self.invocations.append(Invocation(function.logical_id, at, type(error).__name__, _text(printed)))
                # The Python runtime's error payload (awslambdaric `make_error`; docs/aws-facts.md#lambda-error-cause).
                return None, {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "requestId": context.aws_request_id,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
            if fault is not None and fault[0].timeout:
                return self._timed_out(function, context, at, printed)
            self.invocations.append(Invocation(function.logical_id, at, None, _text(printed)))
            return result, None

    def _timed_out(
        self, function: LambdaFunction, context: LambdaContext, at: datetime, printed: io.StringIO | None
    ) -> tuple[None, dict[str, Any]]:
        """The handler ran (its work is done) but its time ran out: the caller gets Lambda's timeout
        error, never the result (docs/aws-facts.md#lambda-timeouts)."""
        payload = timeout_payload(context.aws_request_id, function.timeout_seconds)
        self.invocations.append(Invocation(function.logical_id, at, payload["errorType"], _text(printed)))
        return None, payload

    @contextmanager
    def _current(self, function: LambdaFunction, busy: Any, outer: Any) -> Iterator[None]:
        self._local.current = (function, busy)
        try:
            yield
        finally:
            self._local.current = outer

    def pause(self, seconds: float, reason: str = "a slow AWS call") -> None:
        """`seconds` of virtual time pass inside this thread's invocation (a slow AWS call).

        On AWS each concurrent invocation has its own instance and process, so while one waits on a
        slow call, others run. Here invocations share one process (and its environment, which is
        why they take turns): the waiting one steps aside for the pause, letting any other
        invocation run, and takes its environment back before it goes on. Outside an invocation,
        it is a plain virtual sleep."""
        current = getattr(self._local, "current", None)
        if current is None:
            self._clock.sleep(seconds, reason)
            return
        function, busy = current
        running, environment = self._running, dict(os.environ)
        # Step aside with the process environment as it was before this thread's invocations set
        # theirs: the invocations that run meanwhile then start from it and restore it when they
        # end, in whatever order they end, and leave none of this invocation's variables behind.
        for previous in reversed(self._undo_stack()):
            restore_environment(previous)
        held = 0
        while True:  # the lock is re-entrant: step out of every level this thread holds
            try:
                self._environment.release()
            except RuntimeError:
                break
            held += 1
        busy.__exit__(None, None, None)
        try:
            self._clock.sleep(seconds, reason)
        finally:
            busy.__enter__()
            for _ in range(held):
                self._environment.acquire()
            # Another invocation may have changed the process environment meanwhile: this one's back.
            os.environ.clear()
            os.environ.update(environment)
            self._running = running
            self._built_under(function.environment)

    @contextmanager
    def _environment_of_function(self, function: LambdaFunction) -> Iterator[None]:
        """The function's own variables in the process environment while it runs, and no other's."""
        with self._environment:
            outer = self._running  # a function that invoked this one in the same thread
            hidden = set(outer or {}) - set(function.environment)
            previous = {key: os.environ.get(key) for key in hidden | set(function.environment)}
            for key in hidden:
                os.environ.pop(key, None)
            os.environ.update(function.environment)
            self._running = function.environment
            self._built_under(function.environment)
            undo = self._undo_stack()
            undo.append(previous)
            try:
                yield
            finally:
                undo.pop()
                restore_environment(previous)
                self._running = outer
                if outer is not None:
                    self._built_under(outer)

    def _undo_stack(self) -> list[dict[str, str | None]]:
        """This thread's invocations, outermost first: what each one's end puts back."""
        stack: list[dict[str, str | None]] | None = getattr(self._local, "undo", None)
        if stack is None:
            stack = self._local.undo = []
        return stack

    def _built_under(self, environment: Mapping[str, str]) -> None:
        if environment != self._built_for:
            self.on_environment_change()
            self._built_for = environment

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """The `lambda` service as seen by boto3 (only Invoke is emulated)."""
        if operation != "Invoke":
            raise EmulatedServiceError("InvalidRequestContentException", f"{operation} is not emulated locally")
        payload = params.get("Payload") or b"{}"
        # boto3 hands over bytes, or a file-like object when the caller passed one.
        raw = payload if isinstance(payload, str | bytes | bytearray) else payload.read()
        event = json.loads(raw or b"{}")
        result, error = self.invoke(str(params["FunctionName"]), event)
        body = json.dumps(error if error is not None else result).encode()
        response: dict[str, Any] = {
            "StatusCode": 202 if params.get("InvocationType") == "Event" else 200,
            "ExecutedVersion": "$LATEST",
            "Payload": StreamingBody(io.BytesIO(body), len(body)),
        }
        if error is not None:
            response["FunctionError"] = "Unhandled"
        return response


def handler_file(code_dir: Path, handler: str) -> Path:
    """The file the Python runtime imports for `handler` ("app.handler": `app.py` in the code)."""
    module_name = handler.rpartition(".")[0]
    return code_dir.joinpath(*module_name.split(".")).with_suffix(".py")


def _forget_configured_loggers() -> None:
    """A cold start begins in a new process, where no Powertools Logger is configured yet. Here the
    first Logger of a service configured the shared stdlib logger once, with a handler writing to the
    `sys.stdout` of that moment (perhaps a test's, before the emulator routed it), and later Loggers of
    the service reuse it. So before a handler module runs again, that configuration is forgotten: its
    Logger writes where standard output goes now, as a new Lambda process would. Powertools marks a
    configured stdlib logger with `init` and keeps its handler as `powertools_handler`."""
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if isinstance(logger, logging.Logger) and getattr(logger, "init", False):
            handler = getattr(logger, "powertools_handler", None)
            if isinstance(handler, logging.Handler):
                logger.removeHandler(handler)
            for mark in ("init", "powertools_handler"):
                if hasattr(logger, mark):
                    delattr(logger, mark)


def load_handler(function: LambdaFunction) -> Callable[[Any, Any], Any]:
    """Imports the handler the way Lambda's Python runtime does: its module from the function's own
    code (CodeUri), the layers' content importable beside it. Every load runs the module again, as a
    cold start would (a new deployment reads its own environment, clients and credentials).

    Every function's module is called `app`, and here they share one process: each is loaded from
    its file under a name of its own. So a function's code may hold its handler module only; a
    second module beside it would be shared by name between functions, which no Lambda does."""
    path = handler_file(function.code_dir, function.handler)
    if not path.is_file():
        raise FileNotFoundError(f"{function.logical_id}: no {path.name} in its CodeUri {function.code_dir}")
    others = sorted(
        str(other.relative_to(function.code_dir))
        for other in function.code_dir.rglob("*.py")
        if other != path and other.name != "__init__.py"
    )
    if others:
        raise ValueError(
            f"{function.logical_id}: the emulator loads a function's handler module only, not {', '.join(others)}; "
            "shared code belongs in the core layer"
        )
    for layer in function.layer_dirs:
        if str(layer) not in sys.path:
            sys.path.append(str(layer))  # after the code's own folder, as /opt/python is on Lambda
    _forget_configured_loggers()
    module_name = f"lambda_{function.logical_id}_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    # Registered so that what the module defines can find it by name (dataclasses, pydantic, pickle).
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except BaseException:
        sys.modules.pop(module_name, None)
        raise
    attribute = function.handler.rpartition(".")[2]
    handler: Callable[[Any, Any], Any] = getattr(module, attribute)
    return handler


def _text(printed: io.StringIO | None) -> str:
    return printed.getvalue() if printed is not None else ""


def restore_environment(previous: Mapping[str, str | None]) -> None:
    """Puts the process environment's variables back as `previous` recorded them (None: unset)."""
    for key, value in previous.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
