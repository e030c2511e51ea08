"""Serves chosen AWS APIs in-process through botocore's public event hooks.

A `before-call` handler that returns a response makes botocore skip HTTP (and moto) entirely, so
code under test keeps using ordinary boto3 clients. Registration goes on
`botocore.handlers.BUILTIN_HANDLERS`, the list every new botocore session copies: moto's
Step Functions interpreter builds a fresh client per task in worker threads, and `mock_aws` resets
boto3's default session, so hooks on one session would be missed.

Only calls to AWS's own endpoints are served here: a client given another endpoint (the local
server's, see `emulator.server`) goes over HTTP like any client of a real service.

A call that a scenario's fault may fail (`emulator.faults`) is served one step later instead, on
`before-send`, once per HTTP attempt: the fault's error or the service's answer then goes through
botocore's parser and retry handler, as a real response would.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.model import OperationModel

from emulator import call_recorder, faults, moto_internals
from emulator.service_errors import EmulatedServiceError

# (operation name, request parameters as the caller passed them) -> parsed response
ServiceHandler = Callable[[str, dict[str, Any]], dict[str, Any]]

_PARAMS_KEY = "emulator.params"
_handlers: dict[str, ServiceHandler | Regional] = {}
_lock = threading.Lock()
_registered_services: set[str] = set()
# Calls left for `before-send` (see the module's docstring), by the id their request carries.
_DEFERRED_HEADER = "x-emulator-deferred-call"
_DEFERRED_KEY = "emulator.deferred"


class Regional:
    """A service served per account and Region, as AWS serves it: each call goes to the handler of
    the Region its client's endpoint names (`<service>.<region>.amazonaws.com`) in the account its
    credentials belong to (an assumed role's session: the role's account, as moto maps them)."""

    def __init__(self, at: Callable[[str, str], ServiceHandler]) -> None:
        self.at = at


def _region_of(url: str) -> str:
    host = urlsplit(url).hostname or ""
    parts = host.split(".")
    return parts[1] if len(parts) > 3 else ""


@dataclass(frozen=True)
class _Deferred:
    handler: ServiceHandler
    model: OperationModel
    params: dict[str, Any]


_deferred: dict[str, _Deferred] = {}


def serve(service_id: str, handler: ServiceHandler | Regional) -> None:
    """Routes every call of `service_id` (e.g. "datasync", "lambda") to `handler` until `stop`."""
    with _lock:
        if service_id not in _registered_services:
            botocore.handlers.BUILTIN_HANDLERS.append((f"before-parameter-build.{service_id}", _keep_params))
            botocore.handlers.BUILTIN_HANDLERS.append((f"before-call.{service_id}", _dispatch))
            botocore.handlers.BUILTIN_HANDLERS.append((f"before-send.{service_id}", _send_deferred))
            botocore.handlers.BUILTIN_HANDLERS.append((f"after-call.{service_id}", _forget_deferred))
            botocore.handlers.BUILTIN_HANDLERS.append((f"after-call-error.{service_id}", _forget_deferred))
            _registered_services.add(service_id)
        _handlers[service_id] = handler


def stop(service_id: str) -> None:
    with _lock:
        _handlers.pop(service_id, None)


def _is_aws_endpoint(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


def _keep_params(params: dict[str, Any], context: dict[str, Any], **_: Any) -> None:
    context[_PARAMS_KEY] = copy.deepcopy(params)


def _account_of(request_signer: Any) -> str:
    # botocore hands the client's request signer to `before-call`; its credentials are not public
    # otherwise. Calls are signed after this hook, so the signature cannot be read instead.
    credentials = getattr(request_signer, "_credentials", None)
    if credentials is None:
        return ""
    return moto_internals.account_of_access_key(credentials.get_frozen_credentials().access_key)


def _dispatch(
    model: Any, params: dict[str, Any], context: dict[str, Any], request_signer: Any = None, **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    service_id = model.service_model.service_id.hyphenize()
    handler = _handlers.get(service_id)
    request = params  # botocore's request dict (url, headers, body, context)
    if handler is None or _PARAMS_KEY not in context:
        return None  # not emulated here: moto (or the network) answers
    if not _is_aws_endpoint(str(request.get("url", ""))):
        # A client given its own endpoint (the local server's) talks HTTP, as it would to AWS.
        context.pop(_PARAMS_KEY)
        return None
    params = context.pop(_PARAMS_KEY)
    if isinstance(handler, Regional):
        handler = handler.at(_region_of(str(request.get("url", ""))), _account_of(request_signer))
    injector = faults.active()
    if injector is not None and injector.armed(service_id, model.name):
        call_id = str(uuid.uuid4())
        _deferred[call_id] = _Deferred(handler, model, params)
        request["headers"][_DEFERRED_HEADER] = call_id
        context[_DEFERRED_KEY] = call_id
        return None
    try:
        with call_recorder.acting_as(None):  # what the service does to serve the call is AWS's own
            parsed = handler(model.name, params)
        status = 200
    except EmulatedServiceError as error:
        status = error.status
        parsed = {
            "Error": {"Code": error.code, "Message": error.message},
            **error.extra,
        }
    parsed.setdefault("ResponseMetadata", {})
    parsed["ResponseMetadata"].update({"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0})
    return AWSResponse(
        url=f"https://{service_id}.emulator.local/", status_code=status, headers=HTTPHeaders(), raw=None
    ), parsed


def _send_deferred(request: Any, event_name: str, **_: Any) -> AWSResponse | None:
    """One HTTP attempt of a deferred call: the fault's error, or the emulated service's answer."""
    call_id = request.headers.get(_DEFERRED_HEADER)
    if isinstance(call_id, bytes):
        call_id = call_id.decode()
    deferred = _deferred.get(str(call_id)) if call_id else None
    if deferred is None:
        return None
    service_id, operation = event_name.split(".", 2)[1:]
    url = str(request.url)
    failed = faults.response_for(service_id, operation, request, lambda: _serve(deferred, url), answered_later=True)
    if failed is not None:
        return failed
    faults.mark_answered(request)  # served here: neither counted again nor served by moto as well
    return _serve(deferred, url)


def _serve(deferred: _Deferred, url: str) -> AWSResponse:
    """The emulated service's answer to a deferred call, as an HTTP response."""
    try:
        with call_recorder.acting_as(None):
            parsed = deferred.handler(deferred.model.name, copy.deepcopy(deferred.params))
    except EmulatedServiceError as error:
        body = json.dumps({"__type": error.code, "message": error.message, **error.extra}).encode()
        headers = {"x-amzn-ErrorType": error.code, "Content-Type": "application/x-amz-json-1.1"}
        faults.pay_latency()
        return AWSResponse(url, error.status, HTTPHeaders.from_dict(headers), faults.RawBody(body))
    faults.pay_latency()  # a slow call's answer, computed on arrival, comes back after its latency
    return _as_http(deferred.model, parsed, url)


def _forget_deferred(context: dict[str, Any], **_: Any) -> None:
    call_id = context.pop(_DEFERRED_KEY, None)
    if call_id is not None:
        _deferred.pop(call_id, None)


def _as_http(model: OperationModel, parsed: dict[str, Any], url: str) -> AWSResponse:
    """A parsed response of a JSON or REST-JSON service as the HTTP response it was parsed from."""
    shape = model.output_shape
    status, headers, fields = 200, {"Content-Type": "application/x-amz-json-1.1"}, {}
    payload_member = shape.serialization.get("payload") if shape is not None else None
    body: bytes | None = None
    for name, member in shape.members.items() if shape is not None else ():
        if name not in parsed:
            continue
        value, location = parsed[name], member.serialization.get("location")
        if location == "statusCode":
            status = int(value)
        elif location == "header":
            headers[member.serialization.get("name", name)] = str(value)
        elif name == payload_member:
            body = _payload_bytes(value)
        else:
            fields[member.serialization.get("name", name)] = value
    if body is None:
        body = json.dumps(fields, default=_json_default).encode()
    return AWSResponse(url, status, HTTPHeaders.from_dict(headers), faults.RawBody(body))


def _payload_bytes(value: Any) -> bytes:
    if hasattr(value, "read"):
        return bytes(value.read())
    return value if isinstance(value, bytes) else json.dumps(value).encode()


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.timestamp()  # the JSON protocols' timestamps: epoch seconds
    raise TypeError(f"cannot send {type(value).__name__} as JSON")
