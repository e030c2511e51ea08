"""Await Sync End: parks the workflow's task token; DataSync's state-change event resumes it (Execution Events)."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.domain import phases
from datasync_scheduler.ports import (
    ApiCallFailed,
    Ports,
)
from datasync_scheduler.workflow.looks import observe, resume_if_finished
from datasync_scheduler.workflow.state.sync import (
    AwaitSyncEndOutcome,
)

_logger = logging.getLogger(__name__)


def await_end(token: str, execution_arn: str, ports: Ports) -> AwaitSyncEndOutcome:
    """Parks the workflow's task token, then looks once: the end may have come before the token.

    The look is only a shortcut: when DataSync cannot answer it (an outage, an execution it no
    longer knows), the token stays parked and the check, at the end of the wait, decides."""
    now = utc_now()
    ports.ledger.store_token(execution_arn, token, now)
    try:
        snapshot = observe(ports, execution_arn, now)
    except ApiCallFailed as failed:
        _logger.warning("The first look failed; the check will look again: %s", failed.cause.describe())
        return AwaitSyncEndOutcome(execution_arn=execution_arn, status=None, resumed=False)
    resumed = resume_if_finished(ports, execution_arn, snapshot.status)
    return AwaitSyncEndOutcome(execution_arn=execution_arn, status=snapshot.status, resumed=resumed)


def record_event(execution_arn: str, status: str, at: datetime, ports: Ports) -> dict[str, Any]:
    """An execution state-change event: record the phase; on the end, resume the workflow."""
    if not phases.is_well_formed(status):
        return {"executionArn": execution_arn, "status": status, "recorded": False, "resumed": False}
    ports.ledger.record_status(execution_arn, status, at, from_event=True)
    resumed = resume_if_finished(ports, execution_arn, status)
    return {"executionArn": execution_arn, "status": status, "recorded": True, "resumed": resumed}
