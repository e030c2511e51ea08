"""The email: a `Message` as plain text a person can read on a phone, and its SNS subject.

SNS sends email as plain text, so the only ways in for untrusted text (task names, DataSync's
error texts, file names, input field names) are the characters `untrusted` stands for: line breaks
that forge lines (U+2028 and NEL too), terminal escapes, and bidirectional overrides that make
`gpj.exe` read as `exe.jpg`. Every text that comes from a message goes through `untrusted.one_line`,
the verdict's reason too: it quotes names, and none of its own sentences spans lines, so each line
of the email is one the renderer wrote. Subjects are ASCII without line breaks and less than 100
characters long (docs/aws-facts.md#sns-subject).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from datasync_scheduler.domain.batch import BatchSummary
from datasync_scheduler.domain.run_result import RunResult
from datasync_scheduler.domain.units import format_bytes, format_duration
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.messages.message import Message, batch_message, run_message, tasks_heading

__all__ = [
    "SUBJECT_LIMIT",
    "Notification",
    "format_bytes",
    "render_batch",
    "render_email",
    "render_plain",
    "subject_text",
]

# SNS refuses a Subject of 100 characters or more. ASCII only: a character is then one byte, so the
# limit holds whether SNS counts characters or bytes (docs/aws-facts.md#sns-subject).
SUBJECT_LIMIT = 99
_NOT_SUBJECT_SAFE = re.compile(r"[^\x20-\x7e]+")


@dataclass(frozen=True)
class Notification:
    subject: str
    message: str


def subject_text(text: str) -> str:
    """A Subject SNS accepts: control characters escaped as in the body, other non-ASCII replaced by
    "?", cut below 100 characters."""
    text = " ".join(_NOT_SUBJECT_SAFE.sub("?", one_line(text)).split())
    return text if len(text) <= SUBJECT_LIMIT else text[: SUBJECT_LIMIT - 3] + "..."


def render_plain(result: RunResult) -> Notification:
    return render_email(run_message(result))


def render_batch(summary: BatchSummary) -> Notification:
    return render_email(batch_message(summary))


def render_email(message: Message) -> Notification:
    lines = _opening(message)
    if message.summary:
        lines += ["", one_line(message.summary)]
    if message.facts and message.kind == "run":  # a batch's counts are its opening sentence
        lines.append("")
        facts = [fact for fact in message.facts if fact.label != "Attempts"]
        lines += [f"{one_line(fact.label)}: {one_line(fact.value)}" for fact in facts]
    if message.attempts:
        lines += ["", f"Attempts: {len(message.attempts)}"]
        lines += [f"  {one_line(line)}" for line in message.attempts]
    lines += _failure_lines(message)
    if message.tasks or (message.schedule and message.tasks_not_listed):
        lines += ["", f"{tasks_heading(message)}:"]
        for task in message.tasks:
            lines.append(
                f"  {one_line(task.status):<10}{one_line(task.task)}"
                + (f": {one_line(task.detail)}" if task.detail else "")
            )
            if task.url:  # on a line of its own: a phone's mail app makes it a link
                lines.append(f"    {one_line(task.url)}")
        if message.tasks_not_listed:
            lines.append(f"  and {message.tasks_not_listed:,} more")
    if message.phases:
        lines += ["", "Phases (UTC):"]
        for span in message.phases:
            took = f"  ({format_duration(span.seconds)})" if span.seconds is not None else ""
            lines.append(f"  {one_line(span.phase):<13}{one_line(span.at[:19].replace('T', ' '))}{took}")
    if message.next_steps:
        lines += ["", "What to do next:"]
        lines += [f"  - {one_line(step)}" for step in message.next_steps]
    if message.links:
        lines += ["", "Open in the AWS console:"]
        lines += [f"  {one_line(link.label)}: {one_line(link.url)}" for link in message.links]
    if message.references:
        lines.append("")
        lines += [f"{one_line(reference.label)}: {one_line(reference.value)}" for reference in message.references]
    return Notification(subject=subject_text(f"DataSync {message.subject}"), message="\n".join(lines) + "\n")


def _opening(message: Message) -> list[str]:
    if message.kind == "batch" and message.schedule:
        return _digest_opening(message)
    if message.kind == "batch":
        counts = {fact.label: fact.value for fact in message.facts}
        if not message.tasks:
            return [f"The DataSync batch FAILED ({one_line(message.error)})."]
        at_most = f", at most {counts['At most at a time']} at a time" if "At most at a time" in counts else ""
        return [
            f"The DataSync batch ran {counts['Tasks']} task(s){at_most}: "
            f"{counts['Succeeded']} succeeded, {counts['Failed']} failed."
        ]
    if message.kind in ("preflight", "missed-firing"):
        # A schedule's health: its headline, then which schedule and firing it is about.
        return [
            f"{one_line(message.subject)}.",
            f"Schedule: {one_line(message.schedule or '')}" + _firing_time(message),
        ]
    task = one_line(message.task or "unknown task")
    said = {
        "succeeded": "succeeded",
        "recovered": f"recovered after {len(message.attempts)} attempts",
        "failed": f"FAILED ({one_line(message.error)})",
    }[message.outcome]
    opening = [f"The sync of DataSync task {task} {said}."]
    if message.schedule:
        opening.append(f"Schedule: {one_line(message.schedule)}" + _firing_time(message))
    return opening


def _firing_time(message: Message) -> str:
    """` (firing for 2026-11-26 00:00 UTC)`: the time the Scheduler fired it for, in UTC like the phases."""
    if not message.scheduled_time:
        return ""
    try:
        when = datetime.fromisoformat(message.scheduled_time.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return f" (firing for {one_line(message.scheduled_time)})"
    return f" (firing for {when:%Y-%m-%d %H:%M} UTC)"


def _digest_opening(message: Message) -> list[str]:
    """A firing's digest: what the night did, in two sentences a phone shows without scrolling."""
    counts = {fact.label: fact.value for fact in message.facts}
    at_most = f", at most {counts['At most at a time']} at a time" if "At most at a time" in counts else ""
    recovered = f" ({counts['Recovered by a retry']} after a retry)" if "Recovered by a retry" in counts else ""
    lines = [
        f"The schedule {one_line(message.schedule or '')}{_firing_time(message)} ran {counts.get('Tasks', '0')} "
        f"task(s){at_most}: {counts.get('Succeeded', '0')} succeeded{recovered}, {counts.get('Failed', '0')} failed."
    ]
    done = []
    if files := counts.get("Files transferred"):
        done.append(f"{files} file(s)")
    if data := counts.get("Data transferred"):
        done.append(data)
    if done:
        lines.append(f"The tasks that succeeded transferred {', '.join(done)}.")
    if unwritten := counts.get("Not written"):
        lines.append(f"Not written: {one_line(unwritten)}")
    return lines


def _failure_lines(message: Message) -> list[str]:
    failures = message.failures
    if failures is None:
        return []
    if failures.unknown_because:
        return ["", f"Which files failed is unknown: {one_line(failures.unknown_because)}"]
    which = f" in attempt {failures.attempt}" if failures.attempt else ""
    lines = [
        "",
        f"Files that failed{which}: {failures.total:,} ({failures.transient:,} a rerun can fix, "
        f"{failures.permanent:,} it cannot)",
    ]
    for group in failures.groups:
        lines.append(
            f"  {one_line(group.category)}: {group.count:,}" + (f" - {one_line(group.advice)}" if group.advice else "")
        )
        lines += [f"    {one_line(path)}" for path in group.examples]
        if group.count > len(group.examples):
            lines.append(f"    and {group.count - len(group.examples):,} more")
    if failures.report:
        lines.append(f"Full list: {one_line(failures.report)}")
    lines += [f"Note: {one_line(caveat)}." for caveat in failures.caveats]
    return lines
