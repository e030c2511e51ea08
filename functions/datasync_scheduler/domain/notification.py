"""The email: a `Message` as plain text a person can read on a phone, and its SNS subject.

SNS sends email as plain text, so the only ways in for untrusted text (task names, DataSync's
error texts, file names) are control characters: line breaks that forge lines, terminal escapes,
and bidirectional overrides that make `gpj.exe` read as `exe.jpg`. All become "?". Subjects are
ASCII without line breaks and less than 100 characters long (docs/aws-facts.md#sns-subject).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from datasync_scheduler.domain.batch import BatchSummary
from datasync_scheduler.domain.message import Message, batch_message, format_bytes, run_message
from datasync_scheduler.domain.run_report import RunReport
from datasync_scheduler.domain.watchdog import format_duration

__all__ = [
    "SUBJECT_LIMIT",
    "Notification",
    "format_bytes",
    "path_text",
    "plain_text",
    "render_batch",
    "render_email",
    "render_plain",
    "subject_text",
]

# SNS refuses a Subject of 100 characters or more. ASCII only: a character is then one byte, so the
# limit holds whether SNS counts characters or bytes (docs/aws-facts.md#sns-subject).
SUBJECT_LIMIT = 99
_NOT_SUBJECT_SAFE = re.compile(r"[^\x20-\x7e]+")
# Bidirectional controls reorder what a reader sees; they have no business in a name.
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(rf"[\x00-\x08\x0b-\x1f\x7f{_BIDI}]")
_ANY_CONTROL = re.compile(rf"[\x00-\x1f\x7f\u2028\u2029{_BIDI}]")


@dataclass(frozen=True)
class Notification:
    subject: str
    message: str


def subject_text(text: str) -> str:
    """A Subject SNS accepts: non-ASCII and control characters replaced, cut below 100 characters."""
    text = " ".join(_NOT_SUBJECT_SAFE.sub("?", text).split())
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def plain_text(text: str) -> str:
    """A paragraph of untrusted text: it keeps its line breaks, nothing else may steer the reader."""
    return _CONTROL.sub("?", text)


def path_text(path: str) -> str:
    """Untrusted text on one line: every control character (line breaks too) becomes '?'."""
    return _ANY_CONTROL.sub("?", path)


def render_plain(report: RunReport) -> Notification:
    return render_email(run_message(report))


def render_batch(summary: BatchSummary) -> Notification:
    return render_email(batch_message(summary))


def render_email(message: Message) -> Notification:
    lines = _opening(message)
    if message.summary:
        lines += ["", plain_text(message.summary)]
    if message.facts and message.kind == "run":  # a batch's counts are its opening sentence
        lines.append("")
        lines += [f"{fact.label}: {path_text(fact.value)}" for fact in message.facts if fact.label != "Attempts"]
    if message.attempts:
        lines += ["", f"Attempts: {len(message.attempts)}"]
        lines += [f"  {path_text(line)}" for line in message.attempts]
    lines += _failure_lines(message)
    if message.tasks:
        lines += ["", "Tasks:"]
        lines += [
            f"  {task.status:<10}{path_text(task.task)}" + (f": {path_text(task.detail)}" if task.detail else "")
            for task in message.tasks
        ]
        if message.tasks_not_listed:
            lines.append(f"  and {message.tasks_not_listed:,} more")
    if message.phases:
        lines += ["", "Phases (UTC):"]
        for span in message.phases:
            took = f"  ({format_duration(span.seconds)})" if span.seconds is not None else ""
            lines.append(f"  {span.phase:<13}{span.at[:19].replace('T', ' ')}{took}")
    if message.next_steps:
        lines += ["", "What to do next:"]
        lines += [f"  - {path_text(step)}" for step in message.next_steps]
    if message.links:
        lines += ["", "Open in the AWS console:"]
        lines += [f"  {link.label}: {link.url}" for link in message.links]
    if message.references:
        lines.append("")
        lines += [f"{reference.label}: {path_text(reference.value)}" for reference in message.references]
    return Notification(subject=subject_text(f"DataSync {message.subject}"), message="\n".join(lines) + "\n")


def _opening(message: Message) -> list[str]:
    if message.kind == "batch":
        counts = {fact.label: fact.value for fact in message.facts}
        if not message.tasks:
            return [f"The DataSync batch FAILED ({message.error})."]
        at_most = f", at most {counts['At most at a time']} at a time" if "At most at a time" in counts else ""
        return [
            f"The DataSync batch ran {counts['Tasks']} task(s){at_most}: "
            f"{counts['Succeeded']} succeeded, {counts['Failed']} failed."
        ]
    task = path_text(message.task or "unknown task")
    said = {
        "succeeded": "succeeded",
        "recovered": f"recovered after {len(message.attempts)} attempts",
        "failed": f"FAILED ({message.error})",
    }[message.outcome]
    return [f"The sync of DataSync task {task} {said}."]


def _failure_lines(message: Message) -> list[str]:
    failures = message.failures
    if failures is None:
        return []
    if failures.unknown_because:
        return ["", f"Which files failed is unknown: {plain_text(failures.unknown_because)}"]
    which = f" in attempt {failures.attempt}" if failures.attempt else ""
    lines = [
        "",
        f"Files that failed{which}: {failures.total:,} ({failures.transient:,} a rerun can fix, "
        f"{failures.permanent:,} it cannot)",
    ]
    for group in failures.groups:
        lines.append(f"  {group.category}: {group.count:,}" + (f" - {group.advice}" if group.advice else ""))
        lines += [f"    {path_text(path)}" for path in group.examples]
        if group.count > len(group.examples):
            lines.append(f"    and {group.count - len(group.examples):,} more")
    if failures.report:
        lines.append(f"Full list: {failures.report}")
    lines += [f"Note: {plain_text(caveat)}." for caveat in failures.caveats]
    return lines
