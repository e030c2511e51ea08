"""boto3 clients, created once per Lambda container (creation costs tens of milliseconds)."""

from __future__ import annotations

from functools import cache
from typing import Any

import boto3
from botocore.config import Config

# Standard retry mode backs off on throttling, which DataSync and CloudWatch Logs do at low rates.
_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5})


@cache
def client(service: str) -> Any:
    return boto3.client(service, config=_CONFIG)  # type: ignore[call-overload]


def forget_clients() -> None:
    """Drops cached clients (the local emulator starts a fresh AWS mock per run)."""
    client.cache_clear()
