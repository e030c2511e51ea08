"""Validate Sync Request: the plan before the first attempt (the request itself is checked by `domain.sync_request`)."""

from __future__ import annotations

from datasync_scheduler.workflow.state.sync import (
    NextAttempt,
)


def first_attempt() -> NextAttempt:
    """`$.next` before the first start: attempt 1, the whole task, no attempts behind it."""
    return NextAttempt(attempt=1, scope={"kind": "all"}, attempts=[], retry=False, wait_seconds=0)
