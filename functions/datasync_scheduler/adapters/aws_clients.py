"""boto3 clients, created once per Lambda container (creation costs tens of milliseconds)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.ports import ApiCallFailed

# Standard retry mode backs off on throttling, which DataSync and CloudWatch Logs do at low rates.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


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
