"""Builds the settings and adapters once per Lambda container, on first use (not at import)."""

from __future__ import annotations

from functools import cache

from datasync_scheduler.adapters.aws_clients import forget_clients
from datasync_scheduler.adapters.callbacks import StepFunctionsCallbacks
from datasync_scheduler.adapters.datasync import DataSync
from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.settings import Settings
from datasync_scheduler.steps import Ports


@cache
def settings() -> Settings:
    return Settings.from_environment()


@cache
def ports() -> Ports:
    return Ports(
        datasync=DataSync(),
        ledger=DynamoDbLedger(settings().ledger_table),
        callbacks=StepFunctionsCallbacks(),
    )


def reset() -> None:
    """Forgets settings, adapters and clients (tests and the emulator change the environment)."""
    settings.cache_clear()
    ports.cache_clear()
    forget_clients()
