"""The small interfaces the workflow steps need from AWS; adapters implement them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Protocol

from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.run_record import RunRecord
from datasync_scheduler.domain.sync_request import SyncRequest


class StartRefused(Exception):
    """DataSync rejected the start (bad task, bad options, busy task without queueing): permanent.

    Part of the port's contract: the workflow catches it by this name."""


class DataSyncPort(Protocol):
    def start(self, request: SyncRequest, tags: dict[str, str], scope: dict[str, Any] | None = None) -> str: ...
    def find_started(self, task_arn: str, tags: dict[str, str]) -> str | None: ...
    def describe(self, execution_arn: str) -> ExecutionSnapshot: ...
    def cancel(self, execution_arn: str) -> None: ...
    def task_name(self, task_arn: str) -> str | None: ...
    def task(self, task_arn: str) -> TaskFacts: ...


class LedgerPort(Protocol):
    def register_start(
        self, execution_arn: str, workflow_execution: str | None, at: datetime, attempt: int = 1
    ) -> None: ...
    def record_status(self, execution_arn: str, status: str, at: datetime, *, from_event: bool = False) -> None: ...
    def store_token(self, execution_arn: str, token: str, at: datetime) -> None: ...
    def claim_token(self, execution_arn: str) -> str | None: ...
    def restore_token(self, execution_arn: str, token: str) -> None: ...
    def note_cancel(self, execution_arn: str, note: str, at: datetime) -> None: ...
    def get(self, execution_arn: str) -> RunRecord | None: ...
    def record_run(self, entry: RunHistoryEntry) -> None: ...


class CallbackPort(Protocol):
    def resume(self, token: str, output: Any) -> bool:
        """Completes the waiting task; False when the token is no longer valid."""
        ...


class LineUpload(Protocol):
    def write_line(self, line: bytes) -> None: ...
    def close(self) -> str: ...


class TopicPort(Protocol):
    def publish(self, *, subject: str, structured: str, attributes: Mapping[str, Mapping[str, str]]) -> str:
        """Publishes one message (`structured`: SNS's `MessageStructure=json` body, one rendering per
        protocol) with its filter attributes; returns SNS's MessageId. Raises when SNS did not take it
        after the adapter's own retries: publishing twice is not prevented here but by the caller."""
        ...
