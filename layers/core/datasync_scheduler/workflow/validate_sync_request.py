"""Validate Sync Request: the plan before the first attempt (the request itself is checked by `domain.sync_request`)."""

from __future__ import annotations

from datasync_scheduler.workflow.state.sync import (
    Attempts,
)


def first_attempt() -> Attempts:
    """`$.attempts` before the first start: attempt 1, the whole task, none done."""
    return Attempts(attempt=1, scope={"kind": "all"}, done=[], retry=False, wait_seconds=0)
