"""Analyze Run: finds every failed file of one execution and streams the list to a sink; returns a bounded summary.

`analyze` is shared by the Analyze Run step (`analyze_run`; sink: the failure report, a JSON Lines
object in S3) and the CLI (sink: the terminal).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from datasync_scheduler.adapters.execution_logs import BASIC_FILTER, ENHANCED_FILTER, LogGroupMissing
from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.domain.analysis import AnalysisPlan, TaskFacts, plan_analysis, unavailable, unreadable
from datasync_scheduler.domain.attribution import StreamAttribution, counted_note, datasync_counted, files_named
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.failures import FailureTally, FileFailure
from datasync_scheduler.domain.log_parser import LogParser
from datasync_scheduler.domain.task_report import failures_from_report
from datasync_scheduler.ports import (
    AnalysisPorts,
    ApiCallFailed,
    DataSyncPort,
    FailureSink,
    LogSource,
    ReportSource,
    ServiceUnreachable,
)
from datasync_scheduler.workflow.state.sync import TaskExecutionState


class _Counted:
    """The failures, counted as the sink takes them. What the source raised is kept, to tell it from
    the sink's own refusal (both may be `ApiCallFailed`)."""

    def __init__(self, failures: Iterator[FileFailure], tally: FailureTally) -> None:
        self._failures = failures
        self._tally = tally
        self.error: Exception | None = None

    def __iter__(self) -> Iterator[FileFailure]:
        try:
            for failure in self._failures:
                self._tally.add(failure)
                yield failure
        except Exception as error:
            self.error = error
            raise

    def drain(self) -> None:
        """Counts the failures the sink did not take."""
        for _ in self:
            pass


def failures_of(
    plan: AnalysisPlan,
    logs: LogSource,
    reports: ReportSource,
    attribution: StreamAttribution,
) -> Iterator[FileFailure]:
    """Every failure the plan's source names; `attribution` learns which log streams were read."""
    if plan.source == "task-report":
        assert plan.report_bucket is not None and plan.report_prefix is not None
        for document in reports.detailed_documents(plan.report_bucket, plan.report_prefix):
            yield from failures_from_report(document)
    elif plan.source == "logs":
        assert plan.log_group is not None and plan.start is not None and plan.end is not None
        parser = LogParser()
        pattern = ENHANCED_FILTER if plan.location_ids else BASIC_FILTER
        for message, stream in logs.events(plan.log_group, plan.start, plan.end, pattern):
            # Enhanced tasks share /aws/datasync: keep the events that name this task's locations.
            if plan.location_ids and not any(location in message for location in plan.location_ids):
                continue
            # A shared group: other executions' streams are left out.
            # docs/aws-facts.md#attribution-and-datasyncs-own-counters
            if not attribution.owns(stream):
                continue
            yield from parser.feed(message, stream)
        yield from parser.finish()


def analyze(
    snapshot: ExecutionSnapshot,
    task: TaskFacts,
    *,
    logs: LogSource,
    reports: ReportSource,
    sink: FailureSink,
    now: datetime,
) -> dict[str, Any]:
    """The bounded summary of the execution's failures; the complete list goes to `sink`."""
    plan = plan_analysis(snapshot, task, now)
    try:
        if plan.fallback is not None and not reports.has_detailed(str(plan.report_bucket), str(plan.report_prefix)):
            plan = plan.fallback
    except ApiCallFailed as failed:
        return {**unreadable(failed.cause, "the task report"), "executionArn": snapshot.execution_arn}
    if plan.source == "none":
        return unavailable(plan.note)
    tally = FailureTally()
    attribution = StreamAttribution(snapshot.execution_arn.rsplit("/", 1)[-1])
    # Why the complete list could not be written, if it could not: the summary then points to no
    # object, and a retry cannot be narrowed to its files.
    report_error: Cause | None = None
    location: str | None = None
    source = _Counted(failures_of(plan, logs, reports, attribution), tally)
    try:
        try:
            location = sink.store(source)  # no failures, no report object
        except ApiCallFailed as failed:
            if failed is source.error:
                raise
            report_error = failed.cause
            source.drain()
    except LogGroupMissing as missing:
        return unavailable(f"the log group {missing} does not exist, so there is nothing to read")
    except ServiceUnreachable:
        # An outage of the logs (or the task report's bucket): the workflow retries the analysis later
        # rather than reporting the files as unknown (docs/aws-facts.md#transient-aws-errors).
        raise
    except ApiCallFailed as failed:
        what = "the task's logs" if plan.source == "logs" else "the task report"
        return {**unreadable(failed.cause, what), "executionArn": snapshot.execution_arn}
    summary: dict[str, Any] = {
        "available": True,
        "source": plan.source,
        "note": plan.note,
        "report": location,
        "executionArn": snapshot.execution_arn,
        # For the message's link to the logs (None when the failures came from a task report only).
        "logGroupArn": task.log_group_arn if plan.log_group else None,
        **tally.to_dict(),
    }
    if report_error is not None:
        summary["reportError"] = report_error.to_dict()
    if plan.source == "logs":
        summary["attribution"] = attribution.to_dict()
    # Enhanced mode counts failures itself: a list that differs from its count is not to be trusted.
    counted = datasync_counted(snapshot.files_failed, snapshot.folders_failed)
    summary["dataSyncCounted"] = counted
    summary["countedNote"] = counted_note(counted, files_named(summary))
    return summary


def analyze_run(execution: TaskExecutionState, datasync: DataSyncPort, analysis_ports: AnalysisPorts) -> dict[str, Any]:
    """Which files failed and why: a bounded summary; the complete list goes to the failure report."""
    execution_arn = execution.execution_arn
    snapshot = datasync.describe(execution_arn)
    try:
        # Where the task logs and writes its reports, and at which level: without it, nothing to read.
        task = datasync.task(snapshot.task_arn)
    except ServiceUnreachable:
        raise  # an outage: the workflow retries the analysis later (docs/aws-facts.md#transient-aws-errors)
    except ApiCallFailed as failed:
        return {**unreadable(failed.cause, "the task's log and report settings"), "executionArn": execution_arn}
    task_id, execution_id = snapshot.task_arn.rsplit("/", 1)[-1], execution_arn.rsplit("/", 1)[-1]
    sink = analysis_ports.sink_for(f"failure-reports/{task_id}/{execution_id}.jsonl")
    return analyze(snapshot, task, logs=analysis_ports.logs, reports=analysis_ports.reports, sink=sink, now=utc_now())
