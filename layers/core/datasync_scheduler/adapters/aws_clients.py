"""boto3 clients, created once per Lambda container (creation costs tens of milliseconds)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
import botocore.session
from botocore.config import Config
from botocore.credentials import AssumeRoleCredentialFetcher, DeferredRefreshableCredentials
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError
from botocore.retries.standard import RetryContext, ThrottledRetryableChecker, TransientRetryableChecker

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.where import Where, member_role_arn
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


# --- Clients where a task lives (docs/regions.md) ----------------------------------------------

# A member account's role is assumed with the function's own role's credentials: role chaining,
# which caps a session at one hour whatever the role allows (docs/aws-facts.md#assumerole-sessions).
ASSUMED_ROLE_SECONDS = 3600
# Names every session in the member account's CloudTrail; the member role's trust policy names the
# home account's functions, so no external ID is asked for (docs/aws-facts.md#assumerole-sessions).
ROLE_SESSION_NAME = "datasync-scheduler"


@cache
def client_in(service: str, where: Where, role_arn: str | None = None, sts_region: str | None = None) -> Any:
    """A client of `service` in `where`'s Region: with the function's own credentials (`role_arn`
    None: the stack's account), else with `role_arn`'s, assumed and refreshed by botocore.
    `sts_region` is where AssumeRole is called when the environment names no default Region (the
    command line, which also honours AWS_REGION); a function's environment always names one."""
    if role_arn is None:
        return boto3.client(service, region_name=where.region, config=config(service))  # type: ignore[call-overload]
    return _assumed(role_arn, sts_region).client(service, region_name=where.region, config=config(service))  # type: ignore[call-overload]


@cache
def _assumed(role_arn: str, sts_region: str | None = None) -> boto3.Session:
    """A session whose credentials are `role_arn`'s: botocore's own AssumeRole fetcher, called on first
    use and again before they expire (its refreshable credentials), never a cache of our own."""
    source = botocore.session.Session()
    if sts_region and not source.get_config_variable("region"):
        source.set_config_variable("region", sts_region)
    fetcher = AssumeRoleCredentialFetcher(
        client_creator=source.create_client,
        source_credentials=source.get_credentials(),
        role_arn=role_arn,
        extra_args={"RoleSessionName": ROLE_SESSION_NAME, "DurationSeconds": ASSUMED_ROLE_SECONDS},
    )
    assumed = botocore.session.Session()
    # botocore has no public setter for refreshable credentials; its own assume-role provider hands
    # the same object to the session this way.
    assumed._credentials = DeferredRefreshableCredentials(  # type: ignore[attr-defined]
        refresh_using=fetcher.fetch_credentials, method="assume-role"
    )
    return boto3.Session(botocore_session=assumed)


class TaskClients:
    """The clients of one service for calls about tasks: each call goes to the Region and account of
    the ARN it is about, through the member role in another account (`member_accounts`).

    `fixed`, when given, answers every call (a test's client, or the emulator's)."""

    def __init__(
        self,
        service: str,
        member_accounts: frozenset[str] = frozenset(),
        member_role_name: str = "",
        fixed: Any = None,
    ) -> None:
        self._service = service
        self._members = member_accounts
        self._role_name = member_role_name
        self._fixed = fixed

    def at(self, where: Where) -> Any:
        if self._fixed is not None:
            return self._fixed
        role = member_role_arn(where, self._role_name) if where.account in self._members else None
        return client_in(self._service, where, role)

    def about(self, arn: str) -> Any:
        """The client for a call about `arn` (a task, a task execution, a log group)."""
        return self.at(Where.of_arn(arn))


def forget_clients() -> None:
    """Drops cached clients (the local emulator starts a fresh AWS mock per run)."""
    client.cache_clear()
    client_in.cache_clear()
    _assumed.cache_clear()


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
