"""Faults a scenario injects into the stack's functions and into the AWS calls the stack makes.

A scenario's `faults` (events/scenarios/README.md) name a function of the template or an AWS API
(`service:Operation`, as IAM names it), which of its calls fail (counted from 1 per function or
per API over the whole run, or all of them), and how:

- a function raises the named exception before its handler runs, so the runtime reports it as the
  invocation's `errorType`, exactly as a bug of ours would be reported;
- a function times out: the handler runs to its end (its side effects happen) and its result is
  thrown away; the caller gets what Lambda returns for a timed-out invocation
  (docs/aws-facts.md#lambda-timeouts). Running it exposes more than not running it would: a
  caller that retries must cope with work that was done although it was told otherwise;
- a fault may hold only for a window of the run's virtual time (`afterSeconds`, `forSeconds`):
  an outage that starts an hour into the run and lasts an hour fails every call in between and
  none outside it;
- an AWS call takes `latency_seconds` of virtual time before it is answered (and then answers
  as the service would, or with the fault's error when it names one too). Virtual time is what
  makes a race reproducible: the clock stands still while any participant computes, so two
  invocations that both reach the slow call wait there together, and both go on only once both
  are waiting. Real-time latency would only make the race likely;
- an AWS call fails with the named error code, as an HTTP response with the status AWS uses for
  it (docs/aws-facts.md#injected-aws-errors). botocore parses it and its own retry handler
  decides, so a throttled call is retried before the caller sees it, each HTTP attempt counting
  as one call. Calls from the functions and from the state machines' service integrations
  count; the emulated services' own calls and the harness's (deploying, starting, watching) never
  do (see `emulator.call_recorder`);
- an AWS call's response is lost (`"lose_response": true`): the service acts on the call (a
  Publish is published), then the caller's connection times out before the answer arrives, and
  botocore raises `ReadTimeoutError`, which its retry handler retries like any connection error
  (docs/aws-facts.md#lost-responses). The caller cannot tell this from a call that never arrived.
"""

from __future__ import annotations

import builtins
import json
import re
import threading
import uuid
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from functools import cache
from types import SimpleNamespace
from typing import Any, Literal

import botocore.endpoint
import botocore.handlers
import botocore.loaders
import botocore.session
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.exceptions import ReadTimeoutError
from botocore.model import ServiceModel

from emulator import call_recorder, moto_internals

# IAM's service prefix -> botocore's service name, where they differ (Service Authorization Reference).
_BOTOCORE_SERVICE = {"states": "stepfunctions"}
# Errors every AWS API may return, with their HTTP status, where a service's model lists neither
# ("Common Errors" of the API references: docs/aws-facts.md#injected-aws-errors).
COMMON_ERRORS = {"InternalFailure": 500, "ServiceUnavailable": 503, "ThrottlingException": 400}
_FIELDS = {
    "function",
    "api",
    "error",
    "timeout",
    "lose_response",
    "calls",
    "latency_seconds",
    "afterSeconds",
    "forSeconds",
}
# What the injected-call list says of a call whose response was lost (it succeeded at the service).
RESPONSE_LOST = "ResponseLost"
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class FaultError(ValueError):
    """A fault entry that cannot be injected; the message names the field."""


@dataclass(frozen=True)
class ApiError:
    code: str
    status: int


@dataclass(frozen=True)
class Fault:
    kind: Literal["function", "api"]
    target: str  # a function's logical id, or "service:Operation" as written
    calls: frozenset[int] | None  # None: every call
    error: str | None = None  # exception class name (function) or AWS error code (api)
    timeout: bool = False
    lose_response: bool = False  # an API: the call is served, then its answer never reaches the caller
    # For an API: botocore's service name and id (as in its event names), the operation, the answer.
    service: str = ""
    service_id: str = ""
    operation: str = ""
    api_error: ApiError | None = None
    latency_seconds: float = 0.0  # an API call's delay, in virtual seconds, before its answer
    # The window of virtual time, in seconds since the run started, in which the fault holds:
    # from `after_seconds` for `for_seconds` (None: to the end of the run).
    after_seconds: float = 0.0
    for_seconds: float | None = None

    def hits(self, call: int, elapsed: float | None = None) -> bool:
        """Whether the call numbered `call`, made `elapsed` virtual seconds into the run, fails."""
        if self.calls is not None and call not in self.calls:
            return False
        return self.within(elapsed)

    def within(self, elapsed: float | None) -> bool:
        if elapsed is None:  # the run has not started: only a fault without a window holds
            return self.after_seconds == 0 and self.for_seconds is None
        if elapsed < self.after_seconds:
            return False
        return self.for_seconds is None or elapsed < self.after_seconds + self.for_seconds

    def describe(self) -> str:
        what = (
            "times out"
            if self.timeout
            else "loses its response"
            if self.lose_response
            else f"raises {self.error}"
            if self.error
            else "is slow"
        )
        if self.latency_seconds:
            what += f" after {self.latency_seconds:g} s"
        which = "every call" if self.calls is None else "call(s) " + ", ".join(map(str, sorted(self.calls)))
        when = ""
        if self.after_seconds or self.for_seconds is not None:
            until = "the end" if self.for_seconds is None else f"{self.after_seconds + self.for_seconds:g} s"
            when = f" from {self.after_seconds:g} s to {until} into the run"
        return f"{self.target} {what} on {which}{when}"


@cache
def _service_model(service: str) -> ServiceModel:
    return botocore.session.get_session().get_service_model(service)


def service_model_for(prefix: str) -> ServiceModel | None:
    """botocore's model of the service IAM calls `prefix`, or None when botocore has no such service."""
    name = _BOTOCORE_SERVICE.get(prefix, prefix)
    if name not in botocore.session.get_session().get_available_services():
        return None
    return _service_model(name)


def api_error(model: ServiceModel, code: str) -> ApiError | None:
    """The HTTP status AWS answers `code` with: the service model's, else the common errors'.

    JSON-protocol models give no status; a shape they mark `fault` is a server error (500), any
    other a client error (400)."""
    shape = model.shape_for_error_code(code)  # type: ignore[arg-type]  # botocore-stubs says int; it is the code
    if shape is not None:
        error = shape.metadata.get("error", {})
        server_side = _raw_shapes(model.service_name).get(shape.name, {}).get("fault", False)
        status = error.get("httpStatusCode") or (500 if server_side else 400)
        return ApiError(str(error.get("code", code)), int(status))
    if code in COMMON_ERRORS:
        return ApiError(code, COMMON_ERRORS[code])
    return None


@cache
def _raw_shapes(service: str) -> dict[str, Any]:
    """The model's shapes as botocore ships them (ServiceModel keeps no `fault` trait)."""
    return dict(botocore.loaders.Loader().load_service_model(service, "service-2")["shapes"])


def parse_faults(raw: Any, functions: Collection[str], where: str = "faults") -> tuple[Fault, ...]:
    """The scenario's `faults`, checked against the template's functions and botocore's models."""
    if not isinstance(raw, list):
        raise FaultError(f"{where}: expected a list of faults")
    return tuple(_parse_fault(item, functions, f"{where}[{index}]") for index, item in enumerate(raw))


def _parse_fault(raw: Any, functions: Collection[str], where: str) -> Fault:
    if not isinstance(raw, dict):
        raise FaultError(f"{where}: expected an object with 'function' or 'api'")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise FaultError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    if ("function" in raw) == ("api" in raw):
        raise FaultError(f"{where}: give exactly one of 'function' (a logical id) or 'api' (service:Operation)")
    calls = _calls(raw.get("calls"), f"{where}.calls")
    after = _seconds(raw.get("afterSeconds", 0), f"{where}.afterSeconds", allow_zero=True)
    lasting = None if raw.get("forSeconds") is None else _seconds(raw["forSeconds"], f"{where}.forSeconds")
    timeout = raw.get("timeout", False)
    if not isinstance(timeout, bool):
        raise FaultError(f"{where}.timeout: expected true or false, not {timeout!r}")
    lose_response = raw.get("lose_response", False)
    if not isinstance(lose_response, bool):
        raise FaultError(f"{where}.lose_response: expected true or false, not {lose_response!r}")
    error = raw.get("error")
    if error is not None and not isinstance(error, str):
        raise FaultError(f"{where}.error: expected a name, not {error!r}")
    latency = raw.get("latency_seconds", 0)
    if "latency_seconds" in raw and (
        isinstance(latency, bool) or not isinstance(latency, int | float) or not 0 < latency <= 900
    ):
        raise FaultError(f"{where}.latency_seconds: expected seconds (more than 0, at most 900), not {latency!r}")
    if "function" in raw:
        if lose_response:
            raise FaultError(f"{where}.lose_response: only an API call loses its response; a function times out")
        if "latency_seconds" in raw:
            raise FaultError(f"{where}.latency_seconds: only an API call is slowed; a function fault times out")
        function = raw["function"]
        if function not in functions:
            raise FaultError(
                f"{where}.function: {function!r} is not a function of the template "
                f"(one of {', '.join(sorted(functions))})"
            )
        if timeout == (error is not None):
            raise FaultError(f"{where}: a function fault gives either 'error' (an exception) or 'timeout': true")
        if error is not None and not _IDENTIFIER.fullmatch(error):
            raise FaultError(f"{where}.error: {error!r} is not a Python exception class name")
        return Fault(
            "function", str(function), calls, error=error, timeout=timeout, after_seconds=after, for_seconds=lasting
        )
    return replace(
        _api_fault(raw["api"], error, timeout, lose_response, calls, where, float(latency)),
        after_seconds=after,
        for_seconds=lasting,
    )


def _seconds(raw: Any, where: str, *, allow_zero: bool = False) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or raw < 0 or (raw == 0 and not allow_zero):
        least = "0 or more" if allow_zero else "more than 0"
        raise FaultError(f"{where}: expected a number of virtual seconds, {least}, not {raw!r}")
    return float(raw)


def _api_fault(
    api: Any,
    error: str | None,
    timeout: bool,
    lose_response: bool,
    calls: frozenset[int] | None,
    where: str,
    latency: float = 0.0,
) -> Fault:
    if not isinstance(api, str) or api.count(":") != 1:
        raise FaultError(f"{where}.api: expected 'service:Operation' as in IAM (e.g. datasync:StartTaskExecution)")
    prefix, operation = api.split(":")
    model = service_model_for(prefix)
    if model is None:
        raise FaultError(f"{where}.api: botocore knows no service {prefix!r}")
    if operation not in model.operation_names:
        raise FaultError(f"{where}.api: {model.service_name} has no operation {operation!r}")
    if timeout:
        raise FaultError(f"{where}.timeout: only a function times out; an API fault gives 'error' or 'lose_response'")
    if lose_response:
        if error is not None:
            raise FaultError(f"{where}: an API fault gives either 'error' or 'lose_response': true, not both")
        return Fault(
            "api",
            api,
            calls,
            lose_response=True,
            service=model.service_name,
            service_id=model.service_id.hyphenize(),
            operation=operation,
            latency_seconds=latency,
        )
    if error is None:
        if latency:
            return Fault(
                "api",
                api,
                calls,
                service=model.service_name,
                service_id=model.service_id.hyphenize(),
                operation=operation,
                latency_seconds=latency,
            )
        raise FaultError(f"{where}.error: an API fault needs the AWS error code to answer with, or latency_seconds")
    answer = api_error(model, error)
    if answer is None:
        raise FaultError(
            f"{where}.error: {error!r} is neither an error of {model.service_name}'s model "
            f"nor a common AWS error ({', '.join(sorted(COMMON_ERRORS))})"
        )
    return Fault(
        "api",
        api,
        calls,
        error=answer.code,
        service=model.service_name,
        service_id=model.service_id.hyphenize(),
        operation=operation,
        api_error=answer,
        latency_seconds=latency,
    )


def _calls(raw: Any, where: str) -> frozenset[int] | None:
    if raw == "all":
        return None
    if (
        isinstance(raw, list)
        and raw
        and all(isinstance(item, int) and not isinstance(item, bool) and item >= 1 for item in raw)
    ):
        return frozenset(raw)
    raise FaultError(f'{where}: expected "all" or a list of call numbers counted from 1, not {raw!r}')


@dataclass(frozen=True)
class Injected:
    """One call that failed because of a fault."""

    target: str
    call: int
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"target": self.target, "call": self.call, "error": self.error}


@dataclass
class FaultInjector:
    """Counts each function's invocations and each API's calls over one run, and says which fail."""

    faults: tuple[Fault, ...]
    injected: list[Injected] = field(default_factory=list)
    # Virtual seconds since the run started (set by the runner when it starts the run), for the
    # faults that hold in a window of time; None before.
    elapsed: Callable[[], float] | None = None
    # How a slow call waits: the run's virtual clock (`VirtualClock.sleep`); set by the runner.
    sleep: Callable[[float], None] | None = None
    _counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _next(self, key: str, matching: list[Fault]) -> tuple[Fault, int] | None:
        with self._lock:
            self._counts[key] = call = self._counts.get(key, 0) + 1
            elapsed = self.elapsed() if self.elapsed is not None else None
            for fault in matching:
                if fault.hits(call, elapsed):
                    self.injected.append(Injected(key, call, _injected_error(fault)))
                    return fault, call
        return None

    def calls(self, key: str) -> int:
        """How many calls of the function or API (as the fault names it) were counted so far."""
        with self._lock:
            return self._counts.get(key, 0)

    def on_invocation(self, logical_id: str) -> tuple[Fault, int] | None:
        """Counts one invocation of the function; the fault it meets and the invocation's number, if any."""
        matching = [f for f in self.faults if f.kind == "function" and f.target == logical_id]
        return self._next(logical_id, matching) if matching else None

    def _api_faults(self, service_id: str, operation: str) -> list[Fault]:
        return [f for f in self.faults if f.kind == "api" and (f.service_id, f.operation) == (service_id, operation)]

    def armed(self, service_id: str, operation: str) -> bool:
        return bool(self._api_faults(service_id, operation))

    def on_request(self, service_id: str, operation: str) -> Fault | None:
        """Counts one HTTP attempt of the API; the fault it meets, if any."""
        matching = self._api_faults(service_id, operation)
        hit = self._next(matching[0].target, matching) if matching else None
        return hit[0] if hit else None


def _injected_error(fault: Fault) -> str:
    answer = TIMEOUT_ERROR if fault.timeout else RESPONSE_LOST if fault.lose_response else fault.error or ""
    if fault.latency_seconds:
        answer = f"{answer} " if answer else ""
        answer += f"after {fault.latency_seconds:g} s"
    return answer


# -- functions ---------------------------------------------------------------------------------

# What Lambda reports for an invocation that ran out of time (docs/aws-facts.md#lambda-timeouts).
TIMEOUT_ERROR = "Sandbox.Timedout"


def timeout_payload(request_id: str, timeout_seconds: int) -> dict[str, Any]:
    return {
        "errorType": TIMEOUT_ERROR,
        "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout_seconds:.2f} seconds",
    }


def exception_for(fault: Fault, logical_id: str, call: int) -> Exception:
    """The exception a function fault raises: a built-in one by that name, or a class of that name."""
    name = str(fault.error)
    known = getattr(builtins, name, None)
    kind: type[Exception] = (
        known if isinstance(known, type) and issubclass(known, Exception) else type(name, (Exception,), {})
    )
    return kind(f"injected fault: {logical_id} invocation {call} raises {name}")


# -- AWS calls -----------------------------------------------------------------------------------

_active: FaultInjector | None = None
_active_lock = threading.Lock()


@contextmanager
def injecting(injector: FaultInjector) -> Iterator[FaultInjector]:
    """Injects the faults into every call of the stack made inside the block."""
    global _active
    with _active_lock:
        if _active is not None:
            raise RuntimeError("faults are already being injected")
        _active = injector
    real_time = vars(botocore.endpoint)["time"]
    # botocore sleeps between attempts in real time; a function's invocation takes no virtual time
    # here (the clock stands still while it runs), so the back-off would only cost the test real
    # seconds (up to half a minute per call in standard mode). The attempts themselves all happen.
    setattr(botocore.endpoint, "time", SimpleNamespace(**{**vars(real_time), "sleep": lambda _seconds: None}))  # noqa: B010
    try:
        yield injector
    finally:
        setattr(botocore.endpoint, "time", real_time)  # noqa: B010
        with _active_lock:
            _active = None


def active() -> FaultInjector | None:
    return _active


def _error_response(fault: Fault, service_model: ServiceModel, attempt_url: str) -> AWSResponse:
    """An HTTP error response in the service's protocol, which botocore parses as AWS's own."""
    assert fault.api_error is not None
    code, status = fault.api_error.code, fault.api_error.status
    message = f"injected fault: {fault.target} answers {code}"
    request_id = str(uuid.uuid4())
    headers = {"x-amzn-RequestId": request_id}
    protocol = service_model.resolved_protocol
    body: bytes
    if protocol in ("query", "ec2"):
        headers["Content-Type"] = "text/xml"
        body = (
            f"<ErrorResponse><Error><Type>{'Receiver' if status >= 500 else 'Sender'}</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
        ).encode()
    elif protocol == "rest-xml":
        headers["Content-Type"] = "application/xml"
        body = (
            f"<Error><Code>{code}</Code><Message>{message}</Message><RequestId>{request_id}</RequestId></Error>"
        ).encode()
    elif protocol == "smithy-rpc-v2-cbor":
        headers["Content-Type"] = "application/cbor"
        headers["smithy-protocol"] = "rpc-v2-cbor"
        body = _cbor_text_map({"__type": code, "message": message})
    else:  # json, rest-json
        headers["Content-Type"] = "application/x-amz-json-1.1"
        headers["x-amzn-ErrorType"] = code
        body = json.dumps({"__type": code, "message": message}).encode()
    return AWSResponse(attempt_url, status, HTTPHeaders.from_dict(headers), RawBody(body))


def _cbor_text_map(values: Mapping[str, str]) -> bytes:
    """A CBOR map of text strings (RFC 8949 major types 5 and 3), enough for an error body."""

    def head(major: int, length: int) -> bytes:
        if length < 24:
            return bytes([major << 5 | length])
        if length < 256:
            return bytes([major << 5 | 24, length])
        return bytes([major << 5 | 25]) + length.to_bytes(2, "big")

    out = head(5, len(values))
    for key, value in values.items():
        for text in (key, value):
            encoded = text.encode()
            out += head(3, len(encoded)) + encoded
    return out


class RawBody:
    """The raw stream botocore reads an HTTP body from (an answer made here instead of by moto)."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._body

    def read(self, *_: Any) -> bytes:
        body, self._body = self._body, b""
        return body


_slow = threading.local()  # .seconds: the latency owed by this thread's call, once it is answered


def response_for(
    service_id: str,
    operation: str,
    request: Any,
    serve: Callable[[], AWSResponse | None],
    *,
    answered_later: bool = False,
) -> AWSResponse | None:
    """Counts one HTTP attempt of a call; the error response of the fault it meets, if any.

    A slow call's latency: an emulated service (`answered_later`, see emulator.aws_hooks) computes
    its answer when the call arrives and the answer takes the latency to come back, so it describes
    the service as it was when asked, not as it is when the caller reads it (what a race depends
    on): the caller then owes `pay_latency()`. A call moto serves waits before it is served.

    A fault that loses the response has the call served (`serve`: the service acts on it) and then
    raises what botocore raises when the answer does not come in time.

    Only the stack's calls count: a call made while the emulated AWS serves another, and the
    harness's own, are nobody's (`emulator.call_recorder`) and never fail."""
    _slow.seconds = 0.0
    injector = _active
    if injector is None or is_answered(request) or not injector.armed(service_id, operation):
        return None
    if call_recorder.current_principal() is None:
        return None
    fault = injector.on_request(service_id, operation)
    if fault is None:
        return None
    if fault.latency_seconds:
        if injector.sleep is None:
            raise RuntimeError("a slow-call fault needs the run's clock: FaultInjector.sleep is not set")
        if answered_later and fault.api_error is None and not fault.lose_response:
            _slow.seconds = fault.latency_seconds
        else:
            injector.sleep(fault.latency_seconds)
    url = str(request.url)
    if fault.lose_response:
        if serve() is None:
            raise RuntimeError(f"nothing serves {fault.target} here: its response cannot be lost")
        mark_answered(request)
        raise ReadTimeoutError(endpoint_url=url, error=f"injected fault: {fault.target} loses its response")
    if fault.api_error is None:
        return None  # only slow: the service answers as it would have
    response = _error_response(fault, _service_model(fault.service), url)
    mark_answered(request)
    return response


def pay_latency() -> None:
    """Waits out the latency `response_for` left owing for this thread's call (none: returns)."""
    seconds, _slow.seconds = getattr(_slow, "seconds", 0.0), 0.0
    injector = _active
    if seconds and injector is not None and injector.sleep is not None:
        injector.sleep(seconds)


# botocore asks every `before-send` handler and takes the first answer: the others still see the
# request. One that is answered is marked, and sent nowhere a service (moto's) would act on it.
_ANSWERED_HEADER = "x-emulator-answered"
_NOWHERE = "https://answered.emulator.invalid/"


def mark_answered(request: Any) -> None:
    request.headers[_ANSWERED_HEADER] = "1"
    request.url = _NOWHERE


def is_answered(request: Any) -> bool:
    return _ANSWERED_HEADER in request.headers


def _before_send(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
    service_id, operation = event_name.split(".", 2)[1:]
    # A call no emulated service of ours answers is moto's: a lost response is served by moto first.
    return response_for(service_id, operation, request, lambda: moto_internals.moto_answer(event_name, request))


# Every botocore session copies this list when it is created; first, so the fault answers before
# moto's own `before-send` handler would.
botocore.handlers.BUILTIN_HANDLERS.append(("before-send", _before_send, botocore.handlers.REGISTER_FIRST))
