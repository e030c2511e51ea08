"""The plain-text message sent when a run ends (one per run)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from datasync_scheduler.domain.failures import ADVICE
from datasync_scheduler.domain.run_report import RunReport
from datasync_scheduler.domain.watchdog import format_duration

SUBJECT_LIMIT = 100  # SNS: ASCII, no line breaks, at most 100 characters
_NOT_SUBJECT_SAFE = re.compile(r"[^\x20-\x7e]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_ANY_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")


@dataclass(frozen=True)
class Notification:
    subject: str
    message: str


def subject_text(text: str) -> str:
    """SNS rejects subjects with non-ASCII or control characters: replace them, cut to the limit."""
    text = " ".join(_NOT_SUBJECT_SAFE.sub("?", text).split())
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def plain_text(text: str) -> str:
    """Task names and DataSync's error texts are not ours: keep them from steering a terminal or mail client."""
    return _CONTROL.sub("?", text)


def render_plain(report: RunReport) -> Notification:
    verdict = report.verdict
    outcome = "succeeded" if verdict.status == "SUCCEEDED" else f"FAILED ({verdict.error})"
    subject = subject_text(f"DataSync {report.task_label}: sync {outcome}")

    lines = [f"The sync of DataSync task {plain_text(report.task_label)} {outcome}.", "", plain_text(verdict.reason)]
    snapshot = report.snapshot
    if snapshot is not None:
        lines += ["", f"DataSync status: {snapshot.status}"]
        if snapshot.files_transferred is not None:
            expected = f" of {snapshot.estimated_files:,}" if snapshot.estimated_files is not None else ""
            lines.append(f"Files transferred: {snapshot.files_transferred:,}{expected}")
        if snapshot.bytes_transferred is not None:
            lines.append(f"Data transferred: {format_bytes(snapshot.bytes_transferred)}")
        if snapshot.files_verified:
            lines.append(f"Files verified: {snapshot.files_verified:,}")
    lines += _attempt_lines(report)
    lines += _failure_lines(report)
    if report.phases:
        lines += ["", "Phases (UTC):"]
        marks = report.phases
        for index, mark in enumerate(marks):
            following = marks[index + 1].at if index + 1 < len(marks) else None
            took = f"  ({format_duration((following - mark.at).total_seconds())})" if following else ""
            lines.append(f"  {mark.phase:<13}{mark.at:%Y-%m-%d %H:%M:%S}{took}")
    lines.append("")
    if report.execution_arn:
        lines.append(f"DataSync execution: {report.execution_arn}")
    elif report.task_arn:
        lines.append(f"DataSync task: {report.task_arn}")
    if report.workflow_execution:
        lines.append(f"Workflow execution: {report.workflow_execution}")
    return Notification(subject=subject, message="\n".join(lines) + "\n")


def path_text(path: str) -> str:
    """A file name on one line: every control character (newlines too) becomes '?'."""
    return _ANY_CONTROL.sub("?", path)


def _attempt_lines(report: RunReport) -> list[str]:
    if len(report.attempts) <= 1:
        return []
    lines = ["", f"Attempts: {len(report.attempts)}"]
    for attempt in report.attempts:
        scope = attempt.get("scope") or {}
        what = (
            "the whole task"
            if scope.get("kind", "all") == "all"
            else f"{scope.get('paths', 0):,} file(s) by {scope['kind']}"
        )
        failed = ", ".join(f"{category} {count:,}" for category, count in (attempt.get("failures") or {}).items())
        decision = (attempt.get("decision") or {}).get("reason")
        lines.append(
            f"  {attempt.get('attempt')}. {what}: {attempt.get('status')}"
            + (f" ({failed})" if failed else "")
            + (f" -> {plain_text(str(decision))}" if decision else "")
        )
    return lines


def _failure_lines(report: RunReport) -> list[str]:
    failures = report.failures
    if not failures:
        return []
    if not failures.get("available"):
        if report.verdict.status == "SUCCEEDED":
            return []
        return ["", f"Which files failed is unknown: {plain_text(str(failures.get('note', '')))}"]
    total = int(failures.get("totalFailures", 0))
    if not total:
        return []  # nothing to act on; the counters above already say what was transferred
    retry = failures.get("byRetryClass", {})
    which = ""
    if report.execution_arn and failures.get("executionArn") not in (None, report.execution_arn):
        which = f" in attempt {_attempt_of(report, str(failures['executionArn']))}"
    lines = [
        "",
        f"Files that failed{which}: {total:,} ({retry.get('transient', 0):,} a rerun can fix, "
        f"{retry.get('permanent', 0):,} it cannot)",
    ]
    examples = failures.get("examples", {})
    for category, count in failures.get("byCategory", {}).items():
        advice = ADVICE.get(category, "")
        lines.append(f"  {category}: {count:,}" + (f" - {advice}" if advice else ""))
        shown = examples.get(category, [])
        lines += [f"    {path_text(path)}" for path in shown]
        if count > len(shown):
            lines.append(f"    and {count - len(shown):,} more")
    if failures.get("report"):
        lines.append(f"Full list: {failures['report']}")
    return lines


def _attempt_of(report: RunReport, execution_arn: str) -> str:
    for attempt in report.attempts:
        if attempt.get("executionArn") == execution_arn:
            return str(attempt.get("attempt"))
    return "?"


def format_bytes(count: int) -> str:
    if count < 1024:
        return f"{count:,} bytes"
    size, unit = count / 1024, "KiB"
    for larger in ("MiB", "GiB", "TiB"):
        if size < 1024:
            break
        size, unit = size / 1024, larger
    return f"{size:,.1f} {unit}"
