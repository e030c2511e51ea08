"""The workflow's steps: each one is called by a thin Lambda handler with its ports.

A step reads the state it is given, talks to AWS only through the ports, and returns the JSON the
state machine continues with. Decisions are delegated to the pure domain.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from datasync_scheduler.analysis import FailureSink, LogSource, ReportSource, analyze, unavailable
from datasync_scheduler.clock import utc_now
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.execution import ExecutionSnapshot, entry_time, remaining_seconds, task_arn_of
from datasync_scheduler.domain.notification import render_plain
from datasync_scheduler.domain.run_report import (
    RunReport,
    judge_execution,
    rejected_input,
    start_refused,
    timeline,
)
from datasync_scheduler.domain.sync_request import TASK_ARN_PATTERN, SyncRequest
from datasync_scheduler.domain.watchdog import decide_check, wait_seconds
from datasync_scheduler.ports import CallbackPort, DataSyncPort, LedgerPort
from datasync_scheduler.settings import Settings

WORKFLOW_TAG = "datasync-scheduler:workflow-execution"
_TAG_VALUE_UNSAFE = re.compile(r"[^a-zA-Z0-9\s+=._:@/-]")


@dataclass(frozen=True)
class Ports:
    datasync: DataSyncPort
    ledger: LedgerPort
    callbacks: CallbackPort


@dataclass(frozen=True)
class AnalysisPorts:
    logs: LogSource
    reports: ReportSource
    sink_for: Callable[[str], FailureSink]  # S3 key -> where the complete failure list goes


def run_state(
    snapshot_status: str, execution_arn: str, *, wait: int, finished: bool = False, abandoned: bool = False
) -> dict[str, Any]:
    """`$.run`: what the state machine knows about the execution between steps."""
    return {
        "executionArn": execution_arn,
        "status": snapshot_status,
        "finished": finished,
        "abandoned": abandoned,
        "timeoutSeconds": wait,
    }


def start_sync(request: SyncRequest, workflow_execution: str, ports: Ports, settings: Settings) -> dict[str, Any]:
    """Starts the DataSync execution and opens its ledger record."""
    tag_value = _TAG_VALUE_UNSAFE.sub("_", workflow_execution)[:256]
    execution_arn = ports.datasync.start(request, tags={WORKFLOW_TAG: tag_value})
    now = utc_now()
    ports.ledger.register_start(execution_arn, workflow_execution, now)
    ports.ledger.record_status(execution_arn, "QUEUED", now)
    first_wait = wait_seconds(settings.phase_limits, "QUEUED", 0, settings.fallback_seconds)
    return run_state("QUEUED", execution_arn, wait=first_wait)


def _observe(ports: Ports, execution_arn: str, now: datetime) -> ExecutionSnapshot:
    snapshot = ports.datasync.describe(execution_arn)
    if phases.is_well_formed(snapshot.status):
        ports.ledger.record_status(execution_arn, snapshot.status, entry_time(snapshot) or now)
    return snapshot


def _resume_if_finished(ports: Ports, execution_arn: str, status: str, seen_by: str) -> bool:
    """Resumes the waiting workflow when the execution has ended; exactly one caller wins the token."""
    if not phases.is_terminal(status):
        return False
    token = ports.ledger.claim_token(execution_arn)
    if token is None:
        return False
    try:
        return ports.callbacks.resume(token, {"status": status, "seenBy": seen_by})
    except Exception:
        ports.ledger.restore_token(execution_arn, token)  # let the next event or check try again
        raise


def await_end(token: str, execution_arn: str, ports: Ports) -> dict[str, Any]:
    """Parks the workflow's task token, then looks once: the end may have come before the token."""
    now = utc_now()
    ports.ledger.store_token(execution_arn, token, now)
    snapshot = _observe(ports, execution_arn, now)
    resumed = _resume_if_finished(ports, execution_arn, snapshot.status, "await")
    return {"executionArn": execution_arn, "status": snapshot.status, "resumed": resumed}


def check_sync(run: dict[str, Any], ports: Ports, settings: Settings) -> dict[str, Any]:
    """The fallback when no terminal event came in time: describe, apply the watchdog, wait again."""
    execution_arn = str(run["executionArn"])
    now = utc_now()
    snapshot = _observe(ports, execution_arn, now)
    record = ports.ledger.get(execution_arn)
    entered = (record.entered(snapshot.status) if record else None) or now
    decision = decide_check(
        status=snapshot.status,
        entered_at=entered,
        now=now,
        limits=settings.phase_limits,
        fallback_seconds=settings.fallback_seconds,
        cancel_requested=bool(record and record.cancel_requested_at),
        events_flowing=bool(record and snapshot.status in record.event_statuses),
        remaining_seconds=remaining_seconds(snapshot, entered, now),
    )
    if decision.action == "cancel" and decision.overrun is not None:
        ports.datasync.cancel(execution_arn)
        ports.ledger.note_cancel(execution_arn, decision.overrun.reason, now)
    if decision.action == "abandon" and decision.overrun is not None:
        ports.ledger.note_cancel(execution_arn, decision.overrun.reason, now)
    return run_state(
        snapshot.status,
        execution_arn,
        wait=decision.wait_seconds or settings.fallback_seconds,
        finished=decision.action in ("finished", "abandon"),
        abandoned=decision.action == "abandon",
    )


def record_event(execution_arn: str, status: str, at: datetime, ports: Ports) -> dict[str, Any]:
    """An execution state-change event: record the phase; on the end, resume the workflow."""
    if not phases.is_well_formed(status):
        return {"executionArn": execution_arn, "status": status, "recorded": False, "resumed": False}
    ports.ledger.record_status(execution_arn, status, at, from_event=True)
    resumed = _resume_if_finished(ports, execution_arn, status, "event")
    return {"executionArn": execution_arn, "status": status, "recorded": True, "resumed": resumed}


def analyze_run(run: dict[str, Any], ports: Ports, analysis_ports: AnalysisPorts) -> dict[str, Any]:
    """Which files failed and why: a bounded summary; the complete list goes to the failure report."""
    execution_arn = str(run["executionArn"])
    snapshot = ports.datasync.describe(execution_arn)
    task = ports.datasync.task(snapshot.task_arn)
    task_id, execution_id = snapshot.task_arn.rsplit("/", 1)[-1], execution_arn.rsplit("/", 1)[-1]
    sink = analysis_ports.sink_for(f"failure-reports/{task_id}/{execution_id}.jsonl")
    return analyze(snapshot, task, logs=analysis_ports.logs, reports=analysis_ports.reports, sink=sink, now=utc_now())


def caught_error_message(caught: dict[str, Any]) -> str:
    """The message inside a Catch result (`{"Error", "Cause"}`; a Lambda's Cause is its error JSON)."""
    cause = caught.get("Cause") or ""
    try:
        decoded = json.loads(cause)
    except (TypeError, ValueError):
        return str(cause or caught.get("Error") or "unknown error")
    if isinstance(decoded, dict) and decoded.get("errorMessage"):
        return str(decoded["errorMessage"])
    return str(cause)


def report_run(state: dict[str, Any], workflow_execution: str | None, ports: Ports) -> dict[str, Any]:
    """The run's result and its notification, whichever way the run ended."""
    task_arn = _task_arn_from_input(state)
    if "inputError" in state:
        report = RunReport(
            rejected_input(caught_error_message(state["inputError"])),
            task_arn=task_arn,
            workflow_execution=workflow_execution,
        )
    elif "startError" in state:
        report = RunReport(
            start_refused(caught_error_message(state["startError"])),
            task_arn=task_arn,
            task_name=ports.datasync.task_name(task_arn) if task_arn else None,
            workflow_execution=workflow_execution,
        )
    else:
        run = state["run"]
        execution_arn = str(run["executionArn"])
        snapshot = _observe(ports, execution_arn, utc_now())
        record = ports.ledger.get(execution_arn)
        phase_times = dict(record.phase_times) if record else {}
        report = RunReport(
            judge_execution(
                snapshot, watchdog_note=record.watchdog_note if record else None, abandoned=bool(run.get("abandoned"))
            ),
            task_arn=task_arn_of(execution_arn),
            task_name=ports.datasync.task_name(task_arn_of(execution_arn)),
            execution_arn=execution_arn,
            workflow_execution=workflow_execution,
            snapshot=snapshot,
            phases=timeline(phase_times),
            failures=_failures_summary(state),
        )
    notification = render_plain(report)
    return {
        "result": report.to_dict(),
        "notification": {"subject": notification.subject, "message": notification.message},
    }


def _failures_summary(state: dict[str, Any]) -> dict[str, Any] | None:
    if "analysis" in state:
        return dict(state["analysis"])
    if "analysisError" in state:
        return unavailable(f"the analysis failed: {caught_error_message(state['analysisError'])}")
    return None


def _task_arn_from_input(state: dict[str, Any]) -> str | None:
    # Validated runs carry `request`; a rejected input is the state itself.
    raw = state.get("request") or state.get("input") or state
    task_arn = raw.get("taskArn") if isinstance(raw, dict) else None
    # Only a well-formed ARN is worth naming; a malformed one is untrusted text already quoted in the reason.
    return task_arn if isinstance(task_arn, str) and re.match(TASK_ARN_PATTERN, task_arn) else None
