"""What DescribeTaskExecution says about one execution, read defensively.

Many fields are recent or mode-specific (Enhanced-only counters), and sample responses in the
guide do not match the API model, so every field is optional here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datasync_scheduler.domain import phases


@dataclass(frozen=True)
class PhaseResults:
    prepare_status: str | None = None
    transfer_status: str | None = None
    verify_status: str | None = None
    prepare_ms: int | None = None
    transfer_ms: int | None = None
    verify_ms: int | None = None
    total_ms: int | None = None
    error_code: str | None = None
    error_detail: str | None = None


@dataclass(frozen=True)
class ExecutionSnapshot:
    execution_arn: str
    status: str
    task_mode: str | None = None
    start_time: datetime | None = None
    launch_time: datetime | None = None
    end_time: datetime | None = None
    estimated_files: int | None = None
    estimated_bytes: int | None = None
    files_transferred: int | None = None
    bytes_transferred: int | None = None
    bytes_written: int | None = None
    files_verified: int | None = None
    files_skipped: int | None = None
    files_deleted: int | None = None
    # Enhanced mode only: what DataSync itself counted as failed, summed over its phases.
    files_failed: int | None = None
    folders_failed: int | None = None
    verify_mode: str | None = None
    log_level: str | None = None
    result: PhaseResults = PhaseResults()
    task_report_config: Mapping[str, Any] | None = None
    report_status: str | None = None

    @property
    def finished(self) -> bool:
        return phases.is_terminal(self.status)

    @property
    def task_arn(self) -> str:
        return task_arn_of(self.execution_arn)

    def progress_counters(self) -> dict[str, int]:
        """The byte and file counters that move while DataSync works, as reported (absent ones
        left out): the stall watchdog compares them between checks (docs/aws-facts.md#stalled-executions)."""
        counters = {
            "bytesTransferred": self.bytes_transferred,
            "bytesWritten": self.bytes_written,
            "filesTransferred": self.files_transferred,
            "filesVerified": self.files_verified,
            "filesSkipped": self.files_skipped,
            "filesDeleted": self.files_deleted,
            "filesFailed": self.files_failed,
            "foldersFailed": self.folders_failed,
        }
        return {name: value for name, value in counters.items() if value is not None}

    @classmethod
    def from_api(cls, response: Mapping[str, Any]) -> ExecutionSnapshot:
        result = response.get("Result") or {}
        options = response.get("Options") or {}
        return cls(
            execution_arn=str(response["TaskExecutionArn"]),
            status=str(response.get("Status") or "UNKNOWN"),
            task_mode=response.get("TaskMode"),
            start_time=response.get("StartTime"),
            launch_time=response.get("LaunchTime"),
            end_time=response.get("EndTime"),
            estimated_files=response.get("EstimatedFilesToTransfer"),
            estimated_bytes=response.get("EstimatedBytesToTransfer"),
            files_transferred=response.get("FilesTransferred"),
            bytes_transferred=response.get("BytesTransferred"),
            bytes_written=response.get("BytesWritten"),
            files_verified=response.get("FilesVerified"),
            files_skipped=response.get("FilesSkipped"),
            files_deleted=response.get("FilesDeleted"),
            files_failed=_sum_of(response.get("FilesFailed")),
            folders_failed=_sum_of(response.get("FoldersFailed")),
            verify_mode=options.get("VerifyMode"),
            log_level=options.get("LogLevel"),
            task_report_config=response.get("TaskReportConfig"),
            report_status=(response.get("ReportResult") or {}).get("Status"),
            result=PhaseResults(
                prepare_status=result.get("PrepareStatus"),
                transfer_status=result.get("TransferStatus"),
                verify_status=result.get("VerifyStatus"),
                prepare_ms=result.get("PrepareDuration"),
                transfer_ms=result.get("TransferDuration"),
                verify_ms=result.get("VerifyDuration"),
                total_ms=result.get("TotalDuration"),
                error_code=result.get("ErrorCode"),
                error_detail=result.get("ErrorDetail"),
            ),
        )


def _sum_of(counts: Mapping[str, Any] | None) -> int | None:
    """FilesFailed / FoldersFailed: one count per phase (Prepare, Transfer, Verify, Delete; List)."""
    if not counts:
        return None
    return sum(int(value) for value in counts.values() if isinstance(value, int))


def task_arn_of(execution_arn: str) -> str:
    """`arn:…:task/task-X/execution/exec-Y` → `arn:…:task/task-X`."""
    return execution_arn.split("/execution/", 1)[0]


def entry_time(snapshot: ExecutionSnapshot) -> datetime | None:
    """When the execution entered its current status, where the API says so.

    StartTime is when the request arrived (QUEUED), LaunchTime when it actually began, EndTime
    when it ended; other phases have no timestamp and are dated by whoever observes them.
    """
    if snapshot.status == "QUEUED":
        return snapshot.start_time
    if snapshot.status == "LAUNCHING":
        return snapshot.launch_time
    if snapshot.finished:
        return snapshot.end_time
    return None


def remaining_seconds(snapshot: ExecutionSnapshot, entered_at: datetime, now: datetime) -> float | None:
    """How much longer the current phase should take, extrapolated from DataSync's counters.

    Only TRANSFERRING (bytes, else files) and VERIFYING (files) report progress; other phases and
    executions without progress yet have no estimate.
    """
    done: int | None
    total: int | None
    if snapshot.status == "TRANSFERRING":
        done, total = snapshot.bytes_transferred, snapshot.estimated_bytes
        if not total:
            done, total = snapshot.files_transferred, snapshot.estimated_files
    elif snapshot.status == "VERIFYING":
        done, total = snapshot.files_verified, snapshot.estimated_files
    else:
        return None
    elapsed = (now - entered_at).total_seconds()
    if not total or not done or elapsed <= 0:
        return None
    fraction = min(1.0, done / total)
    return elapsed * (1 - fraction) / fraction
