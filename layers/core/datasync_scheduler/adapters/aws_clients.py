"""boto3 clients, created once per Lambda container (creation costs tens of milliseconds)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.ports import ApiCallFailed, ServiceThrottled, ServiceUnreachable

# What Powertools' Tracer has X-Ray patch. Its default patches every library the X-Ray SDK knows,
# importing each of them at every cold start; every AWS call the functions make goes through
# botocore, whose patch alone gives each call its subsegment.
TRACED_LIBRARIES = ("botocore",)

# Standard retry mode backs off on throttling, which DataSync and CloudWatch Logs do at low rates
# (docs/aws-facts.md#transient-aws-errors).
# Attempts per call, the first included (botocore's `total_max_attempts`; its `max_attempts` in a
# Config counts only the retries).
TOTAL_ATTEMPTS = 6
# FilterLogEvents shares a small per-account request rate with every other reader of the account's
# logs, and a page that still fails fails the whole analysis (Step Functions then retries it from
# its first page), so a page is tried longer: standard mode's back-off, capped at 20 s, waits up to
# about 110 s over these attempts, well inside Analyze Run's timeout.
# An event (docs/events.md) is best effort and put by functions whose Lambda timeout is 30 s: its
# calls are tried twice with short timeouts, so an EventBridge that does not answer costs a run at
# most 14 s (2 x (2 s to connect + 2 s to read) + one back-off of at most 6 s), never its step's
# timeout (tests/unit/test_run_events.py holds it under half the functions' Timeout).
SERVICE_TOTAL_ATTEMPTS = {"logs": 10, "events": 2}
# (connect, read) timeouts in seconds; botocore's default is 60 s each.
SERVICE_TIMEOUTS: dict[str, tuple[int, int]] = {"events": (2, 2)}


def config(service: str) -> Config:
    """The client configuration of `service`: botocore's standard retry mode, its attempts."""
    attempts = SERVICE_TOTAL_ATTEMPTS.get(service, TOTAL_ATTEMPTS)
    retries: Any = {"mode": "standard", "total_max_attempts": attempts}
    if service in SERVICE_TIMEOUTS:
        connect, read = SERVICE_TIMEOUTS[service]
        return Config(retries=retries, connect_timeout=connect, read_timeout=read)
    return Config(retries=retries)


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=config(service))  # type: ignore[call-overload]


def forget_clients() -> None:
    """Drops cached clients (the local emulator starts a fresh AWS mock per run)."""
    client.cache_clear()


@contextmanager
def named_api_errors() -> Iterator[None]:
    """Raises an AWS error response as `ApiCallFailed`, named by its operation and error code.

    botocore's ClientError carries both as data (`operation_name`, `response["Error"]["Code"]`):
    docs/aws-facts.md#aws-error-responses."""
    try:
        yield
    except ClientError as error:
        raise api_call_failed(error) from error


def api_call_failed(error: ClientError) -> ApiCallFailed:
    """The port's error for an AWS error response: its operation and code as data, its text bounded."""
    details = error.response.get("Error", {})
    code = str(details.get("Code") or "UnknownError")
    return ApiCallFailed(Cause.of(error.operation_name, code, details.get("Message")))


# botocore's own judgement of which errors pass: the codes and statuses its standard retry mode
# retries (docs/aws-facts.md#transient-aws-errors). Reused, not copied, so both always agree.
_PASSING = (ThrottledRetryableChecker(), TransientRetryableChecker())


def _context(error: ClientError) -> RetryContext:
    metadata = error.response.get("ResponseMetadata", {})
    return RetryContext(
        attempt_number=1,
        parsed_response=dict(error.response),
        http_response=_Status(int(metadata.get("HTTPStatusCode") or 0)),
    )


def is_transient(error: ClientError) -> bool:
    """Whether botocore's standard mode would retry this error response (throttling, 5xx, timeouts)."""
    context = _context(error)
    return any(checker.is_retryable(context) for checker in _PASSING)


def is_throttling(error: ClientError) -> bool:
    return bool(_PASSING[0].is_retryable(_context(error)))


class _Status:
    """The one thing botocore's checkers read from an HTTP response: its status."""

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code


def port_error(error: ClientError, service: str) -> ApiCallFailed:
    """The port's error for an AWS error response: `ServiceThrottled` or `ServiceUnreachable` for
    one that passes, else `ApiCallFailed`; each names the operation and code."""
    cause = api_call_failed(error).cause
    if is_throttling(error):
        return ServiceThrottled(cause, service)
    if is_transient(error):
        return ServiceUnreachable(cause, service)
    return ApiCallFailed(cause)


@contextmanager
def transient_errors_named(service: str, operation: str) -> Iterator[None]:
    """Raises an error that passes (after botocore's retries) as `ServiceUnreachable`; others as they came.

    `operation` names the call when botocore gives no response to read it from (a lost connection)."""
    try:
        yield
    except ClientError as error:
        if is_transient(error):
            raise port_error(error, service) from error
        raise
    except (ConnectionError, HTTPClientError) as error:
        raise ServiceUnreachable(Cause.of(operation, type(error).__name__, str(error)), service) from error


class TransientErrorsNamed:
    """A boto3 client whose calls raise `ServiceUnreachable` for errors that pass (see above)."""

    def __init__(self, wrapped: Any, service: str) -> None:
        self._wrapped = wrapped
        self._service = service

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._wrapped, name)
        if not callable(attribute) or name.startswith("_") or name in ("get_paginator", "get_waiter"):
            return attribute

        meta = getattr(self._wrapped, "meta", None)
        operation = getattr(meta, "method_to_api_mapping", {}).get(name, name)

        def call(*args: Any, **kwargs: Any) -> Any:
            with transient_errors_named(self._service, operation):
                return attribute(*args, **kwargs)

        return call
