"""Serves chosen AWS APIs in-process through botocore's public event hooks.

A `before-call` handler that returns a response makes botocore skip HTTP (and moto) entirely, so
code under test keeps using ordinary boto3 clients. Registration goes on
`botocore.handlers.BUILTIN_HANDLERS`, the list every new botocore session copies: moto's
Step Functions interpreter builds a fresh client per task in worker threads, and `mock_aws` resets
boto3's default session, so hooks on one session would be missed.

Only calls to AWS's own endpoints are served here: a client given another endpoint (the local
server's, see `emulator.server`) goes over HTTP like any client of a real service.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import botocore.handlers
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders

from emulator import call_recorder
from emulator.service_errors import EmulatedServiceError

# (operation name, request parameters as the caller passed them) -> parsed response
ServiceHandler = Callable[[str, dict[str, Any]], dict[str, Any]]

_PARAMS_KEY = "emulator.params"
_handlers: dict[str, ServiceHandler] = {}
_lock = threading.Lock()
_registered_services: set[str] = set()


def serve(service_id: str, handler: ServiceHandler) -> None:
    """Routes every call of `service_id` (e.g. "datasync", "lambda") to `handler` until `stop`."""
    with _lock:
        if service_id not in _registered_services:
            botocore.handlers.BUILTIN_HANDLERS.append((f"before-parameter-build.{service_id}", _keep_params))
            botocore.handlers.BUILTIN_HANDLERS.append((f"before-call.{service_id}", _dispatch))
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


def _dispatch(
    model: Any, params: dict[str, Any], context: dict[str, Any], **_: Any
) -> tuple[AWSResponse, dict[str, Any]] | None:
    service_id = model.service_model.service_id.hyphenize()
    handler = _handlers.get(service_id)
    if handler is None or _PARAMS_KEY not in context:
        return None  # not emulated here: moto (or the network) answers
    if not _is_aws_endpoint(str(params.get("url", ""))):
        # A client given its own endpoint (the local server's) talks HTTP, as it would to AWS.
        context.pop(_PARAMS_KEY)
        return None
    params = context.pop(_PARAMS_KEY)
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
