"""The workflow's steps on in-memory fakes: one DataSync account, one ledger, one Step Functions, one clock."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from datasync_scheduler.composition.clock import use_time_source
from datasync_scheduler.composition.settings import CheckSyncSettings, PlanNextAttemptSettings, StartSyncSettings
from datasync_scheduler.ports import Ports
from tests.fakes import FakeCallbacks, FakeDataSync, FakeLedger, FakeTaskLease
from tests.template_environment import function_environment

T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
WORKFLOW = "arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-SyncWorkflow:nightly-1"


@dataclass
class World:
    datasync: FakeDataSync = field(default_factory=FakeDataSync)
    ledger: FakeLedger = field(default_factory=FakeLedger)
    callbacks: FakeCallbacks = field(default_factory=FakeCallbacks)
    lease: FakeTaskLease = field(default_factory=FakeTaskLease)
    now: datetime = T0

    @property
    def ports(self) -> Ports:
        return Ports(datasync=self.datasync, ledger=self.ledger, callbacks=self.callbacks, lease=self.lease)

    def pass_time(self, **delta: float) -> datetime:
        """Moves the steps' clock (and DataSync's) forward."""
        self.now += timedelta(**delta)
        self.datasync.now = self.now
        return self.now


@pytest.fixture
def world() -> Iterator[World]:
    created = World()
    created.datasync.now = created.now
    use_time_source(lambda: created.now)
    try:
        yield created
    finally:
        use_time_source(None)


class SyncStepSettings(StartSyncSettings, CheckSyncSettings, PlanNextAttemptSettings):
    """Start Sync's, Check Sync's and Plan Next Attempt's settings in one, for steps tests."""


SYNC_STEP_FUNCTIONS = ("StartSyncFunction", "CheckSyncFunction", "PlanNextAttemptFunction")


def settings(**environment: str) -> SyncStepSettings:
    """The steps' settings as the template's environment gives them (its defaults), with `environment`
    (variables) changed."""
    template = {
        name: value for function in SYNC_STEP_FUNCTIONS for name, value in function_environment(function).items()
    }
    return SyncStepSettings.from_environment({**template, **environment})


def state(result: Any) -> dict[str, Any]:
    """A step's result as the state machine receives it (the JSON its handler returns)."""
    if hasattr(result, "to_state"):
        return dict(result.to_state())
    return dict(result)


def subset(result: Any, *keys: str) -> dict[str, Any]:
    """The named fields of a step's result, as JSON."""
    whole = state(result)
    return {key: whole[key] for key in keys}
