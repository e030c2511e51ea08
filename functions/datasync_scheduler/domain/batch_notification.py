"""The one plain-text message a batch sends: counts, then one line per task.

Each task's run still sends its own message with the details (files, phases, attempts); this one
is the overview a human reads first in the morning.
"""

from __future__ import annotations

from datasync_scheduler.domain.batch import BatchSummary, TaskOutcome
from datasync_scheduler.domain.notification import Notification, format_bytes, path_text, plain_text, subject_text

# A task line quotes at most this much of a failed run's reason; its own message has all of it.
_REASON_LIMIT = 200


def batch_subject(summary: BatchSummary) -> str:
    """`DataSync batch: 4 of 5 tasks succeeded, 1 FAILED` (ASCII, at most 100 characters, for SNS)."""
    if not summary.outcomes:
        return subject_text(f"DataSync batch: FAILED ({summary.verdict.error})")
    total = summary.total
    text = f"DataSync batch: {summary.succeeded} of {total} task{'s' if total != 1 else ''} succeeded"
    if summary.failed:
        text += f", {len(summary.failed)} FAILED"
    return subject_text(text)


def render_batch(summary: BatchSummary) -> Notification:
    verdict = summary.verdict
    if not summary.outcomes:
        # Rejected before any start, or broken down before any task was reported.
        lines = [f"The DataSync batch FAILED ({verdict.error}).", "", plain_text(verdict.reason)]
    else:
        at_most = f", at most {summary.max_concurrency} at a time" if summary.max_concurrency else ""
        failed = len(summary.failed)
        lines = [
            f"The DataSync batch ran {summary.total} task(s){at_most}: {summary.succeeded} succeeded, {failed} failed.",
        ]
        if failed:
            lines += ["", plain_text(verdict.reason)]
        lines += ["", "Tasks:"]
        lines += [f"  {_task_line(outcome)}" for outcome in summary.outcomes]
        lines += ["", "Each task's run sent its own message with the details."]
    lines.append("")
    if summary.batch_execution:
        lines.append(f"Batch execution: {summary.batch_execution}")
    return Notification(subject=batch_subject(summary), message="\n".join(lines) + "\n")


def _task_line(outcome: TaskOutcome) -> str:
    # Task names are the user's, reasons are DataSync's: neither may break the line or steer a terminal.
    label = path_text(outcome.label)
    if outcome.succeeded:
        done = []
        if outcome.files_transferred is not None:
            done.append(f"{outcome.files_transferred:,} file(s)")
        if outcome.bytes_transferred is not None:
            done.append(format_bytes(outcome.bytes_transferred))
        # The counters are the last attempt's: a retry copies only what the first one missed.
        recovered = f"recovered on attempt {outcome.attempts}" if outcome.attempts and outcome.attempts > 1 else ""
        detail = ", ".join(done)
        if recovered:
            detail = f"{recovered} ({detail})" if detail else recovered
        return f"{'SUCCEEDED':<10}{label}" + (f": {detail}" if detail else "")
    reason = path_text(outcome.cause)
    if len(reason) > _REASON_LIMIT:
        reason = reason[: _REASON_LIMIT - 3] + "..."
    return f"{outcome.status:<10}{label}: {outcome.error}" + (f" - {reason}" if reason else "")
