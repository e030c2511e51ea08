"""Where to find which files failed in one execution, and what the analysis concluded.

A task report, when DataSync wrote one completely, is the structured per-file record; otherwise
the execution's CloudWatch log events are read. When neither exists the analysis is unavailable,
and the reason says what to change so the next run can be analysed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.failures import FailureTally

ENHANCED_LOG_GROUP = "/aws/datasync"
# Log events carry the time they were written; keep a margin around the execution's own times.
WINDOW_BEFORE = timedelta(minutes=1)
WINDOW_AFTER = timedelta(minutes=5)


@dataclass(frozen=True)
class TaskFacts:
    """What DescribeTask says that the analysis and the retries need."""

    task_arn: str
    name: str | None = None
    status: str | None = None  # AVAILABLE | CREATING | QUEUED | RUNNING | UNAVAILABLE
    current_execution_arn: str | None = None
    log_group_arn: str | None = None
    task_mode: str = "BASIC"
    source_location_id: str | None = None
    destination_location_id: str | None = None
    log_level: str | None = None
    task_report_config: Mapping[str, Any] | None = None
    # The task's own filters and deletion setting: they decide which retry scope DataSync accepts.
    includes: str | None = None
    excludes: str | None = None
    preserve_deleted_files: str | None = None
    # The task's own DataSync schedule (`Schedule`) and its state (`ScheduleDetails`), as DescribeTask
    # gives them: docs/aws-facts.md#schedule-health.
    schedule: Mapping[str, Any] | None = None
    schedule_details: Mapping[str, Any] | None = None

    @classmethod
    def from_api(cls, response: Mapping[str, Any]) -> TaskFacts:
        return cls(
            task_arn=str(response["TaskArn"]),
            name=response.get("Name"),
            status=response.get("Status"),
            current_execution_arn=response.get("CurrentTaskExecutionArn"),
            log_group_arn=response.get("CloudWatchLogGroupArn"),
            task_mode=str(response.get("TaskMode") or "BASIC"),
            source_location_id=_location_id(response.get("SourceLocationArn")),
            destination_location_id=_location_id(response.get("DestinationLocationArn")),
            log_level=(response.get("Options") or {}).get("LogLevel"),
            task_report_config=response.get("TaskReportConfig"),
            includes=_filter_value(response.get("Includes")),
            excludes=_filter_value(response.get("Excludes")),
            preserve_deleted_files=(response.get("Options") or {}).get("PreserveDeletedFiles"),
            schedule=response.get("Schedule"),
            schedule_details=response.get("ScheduleDetails"),
        )


def _filter_value(rules: Any) -> str | None:
    """A FilterList (at most one SIMPLE_PATTERN rule) as the one pattern string it holds."""
    values = [str(rule["Value"]) for rule in rules or [] if rule.get("Value")]
    return "|".join(values) or None


def _location_id(arn: str | None) -> str | None:
    return arn.rsplit("/", 1)[-1] if arn else None


def log_group_name(arn: str) -> str:
    """`arn:aws:logs:<region>:<account>:log-group:<name>[:*]` → `<name>`."""
    name = arn.split(":log-group:", 1)[-1]
    return name.removesuffix(":*")


def detailed_report_prefix(subdirectory: object, execution_arn: str) -> str:
    """The folder of one execution's detailed reports: `<subdirectory>/Detailed-Reports/<task-id>/<exec-id>/`.

    Only this execution's folder, so the listing does not grow with every past run. DataSync puts the
    "/" after a Subdirectory that lacks one (docs/aws-facts.md#datasync-task-reports).
    """
    task_arn, _, execution_id = execution_arn.partition("/execution/")
    task_id = task_arn.rsplit("/", 1)[-1]
    folder = str(subdirectory or "").strip("/")
    return f"{folder}/Detailed-Reports/{task_id}/{execution_id}/".lstrip("/")


def report_bucket(bucket_arn: str) -> str:
    """What S3's Bucket parameter takes: a bucket's name, or an access point's ARN as it is."""
    return bucket_arn.split(":::", 1)[1] if ":::" in bucket_arn else bucket_arn


@dataclass(frozen=True)
class AnalysisPlan:
    source: Literal["task-report", "logs", "none"]
    note: str
    start: datetime | None = None
    end: datetime | None = None
    log_group: str | None = None
    # For Enhanced mode's shared log group: only events that name one of the task's locations.
    location_ids: tuple[str, ...] = ()
    report_bucket: str | None = None
    report_prefix: str | None = None
    # What to read instead when the report's folder holds no detailed report file at all.
    fallback: AnalysisPlan | None = None


def plan_analysis(snapshot: ExecutionSnapshot, task: TaskFacts, now: datetime) -> AnalysisPlan:
    report = snapshot.task_report_config or task.task_report_config
    report_note = ""
    if report and report.get("OutputType", "STANDARD") == "STANDARD":
        destination = (report.get("Destination") or {}).get("S3") or {}
        bucket_arn = str(destination.get("S3BucketArn") or "")
        # ReportResult.Status SUCCESS is DataSync saying the report is complete; PENDING (still being
        # written) and ERROR (incomplete) leave the logs as the record (docs/aws-facts.md#datasync-task-reports).
        if snapshot.report_status == "SUCCESS" and bucket_arn:
            prefix = detailed_report_prefix(destination.get("Subdirectory"), snapshot.execution_arn)
            # Whether DataSync writes a detailed file when nothing qualifies, and where it puts a
            # Subdirectory's leading "/", is not published: an empty folder sends the analysis to the logs.
            empty_note = f"the task report's folder {prefix} holds no detailed report; "
            return AnalysisPlan(
                "task-report",
                "read from the execution's task report",
                report_bucket=report_bucket(bucket_arn),
                report_prefix=prefix,
                fallback=_logs_plan(snapshot, task, now, empty_note),
            )
        report_note = f"the task report is not complete (status {snapshot.report_status or 'unknown'}); "
    return _logs_plan(snapshot, task, now, report_note)


def _logs_plan(snapshot: ExecutionSnapshot, task: TaskFacts, now: datetime, report_note: str) -> AnalysisPlan:
    log_level = snapshot.log_level or task.log_level or "OFF"
    if log_level == "OFF":
        return AnalysisPlan(
            "none",
            report_note + "LogLevel is OFF for this execution, so DataSync wrote no per-file records. "
            "Set LogLevel to BASIC on the task or in the run's overrides to see which files fail.",
        )
    if task.task_mode == "ENHANCED":
        group = ENHANCED_LOG_GROUP
    elif task.log_group_arn:
        group = log_group_name(task.log_group_arn)
    else:
        return AnalysisPlan(
            "none",
            report_note + "the task has no CloudWatch log group, so DataSync's per-file records went nowhere. "
            "Set the task's CloudWatchLogGroupArn.",
        )
    began = snapshot.launch_time or snapshot.start_time or now
    ended = snapshot.end_time or now
    locations = tuple(i for i in (task.source_location_id, task.destination_location_id) if i)
    return AnalysisPlan(
        "logs",
        report_note + f"read from CloudWatch Logs group {group}",
        start=began - WINDOW_BEFORE,
        end=ended + WINDOW_AFTER,
        log_group=group,
        location_ids=locations if task.task_mode == "ENHANCED" else (),
    )


def unavailable(note: str, source: str = "none", cause: Cause | None = None) -> dict[str, Any]:
    """A summary without failures: `source` is "none" (nothing to read), "unreadable" (an AWS call
    failed: `cause` names it) or "analysisFailed" (Analyze Run failed: `cause` names its error)."""
    summary = {"available": False, "source": source, "note": note, "report": None, **FailureTally().to_dict()}
    if cause is not None:
        summary["cause"] = cause.to_dict()
    return summary


def unreadable(cause: Cause, what: str) -> dict[str, Any]:
    """Which files failed is unknown because an AWS call failed (after the SDK's retries)."""
    return unavailable(f"{what} could not be read: {cause.describe()}", source="unreadable", cause=cause)
