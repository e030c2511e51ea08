"""A named schedule's firing's digest: the one message of a night of many tasks.

The counts per outcome, one line per task that failed or recovered (with the reason its run's
verdict gives, untrusted text kept as it came for each rendering to filter, and a link to that run),
the totals of the tasks that succeeded, and links; bounded for any number of tasks (the first
DIGEST_TASK_LINES lines, then "and M more"). Which messages a firing sends is
`domain/per_task_messages.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from datasync_scheduler.domain.batch import BatchSummary, TaskOutcome
from datasync_scheduler.domain.schedules import Firing
from datasync_scheduler.domain.units import format_bytes
from datasync_scheduler.messages import console_links
from datasync_scheduler.messages.email import SUBJECT_LIMIT
from datasync_scheduler.messages.message import (
    SEVERITY,
    Fact,
    Link,
    Message,
    Outcome,
    TaskLine,
    task_line,
)

# A digest lists at most this many tasks that failed or recovered, one line each (read on a phone);
# the others are counted ("and 12 more"), and every one of them is in the batch's result.
DIGEST_TASK_LINES = 30
# The email subject starts "DataSync " (messages/email.py): the schedule's name is cut, never the counts.
_SUBJECT_PREFIX = "DataSync "


def full_list_key(firing: Firing, batch_execution: str) -> str:
    """Where a firing's full list goes in the failure report bucket: `digests/<schedule>/<batch name>.jsonl`
    (a schedule name is letters, digits, `-`, `_` and `.`; a batch name is Step Functions' execution name)."""
    return f"digests/{firing.schedule}/{batch_execution.rsplit(':', 1)[-1]}.jsonl"


def full_list_lines(summary: BatchSummary) -> Iterator[bytes]:
    """Every task of the firing, one JSON object a line, in the batch's order: what the digest's lines
    are cut from. Names and reasons exactly as they came (JSON escapes them; nothing here is shown)."""
    for outcome in summary.outcomes:
        recovered = outcome.succeeded and (outcome.attempts or 0) > 1
        line = {
            "index": outcome.index,
            "task": outcome.task_name,
            "taskArn": outcome.task_arn or None,
            "status": outcome.status,
            "outcome": "failed" if not outcome.succeeded else ("recovered" if recovered else "succeeded"),
            "attempts": outcome.attempts,
            "filesTransferred": outcome.files_transferred,
            "bytesTransferred": outcome.bytes_transferred,
            "error": outcome.error or None,
            "reason": outcome.cause or None,
            "run": outcome.execution_arn,
        }
        yield (json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n").encode()


def digest_message(
    summary: BatchSummary, firing: Firing, *, full_list: str | None = None, full_list_error: str | None = None
) -> Message:
    """The firing's digest, from its batch's summary (a batch that ran); `full_list` is where every
    task's line was written (s3://…), or `full_list_error` why it could not be."""
    outcomes = summary.outcomes
    failed = [outcome for outcome in outcomes if not outcome.succeeded]
    recovered = [outcome for outcome in outcomes if outcome.succeeded and (outcome.attempts or 0) > 1]
    succeeded = [outcome for outcome in outcomes if outcome.succeeded]
    outcome: Outcome = "failed" if failed else ("recovered" if recovered else "succeeded")
    counts = f"{len(succeeded)} of {len(outcomes)} task{'s' if len(outcomes) != 1 else ''} succeeded"
    if failed:
        counts += f", {len(failed)} FAILED"
    facts = [
        Fact(label="Tasks", value=f"{len(outcomes):,}"),
        Fact(label="Succeeded", value=f"{len(succeeded):,}"),
    ]
    if recovered:
        facts.append(Fact(label="Recovered by a retry", value=f"{len(recovered):,}"))
    facts.append(Fact(label="Failed", value=f"{len(failed):,}"))
    files, data = _totals(succeeded)
    if files is not None:
        facts.append(Fact(label="Files transferred", value=f"{files:,}"))
    if data is not None:
        facts.append(Fact(label="Data transferred", value=format_bytes(data)))
    if summary.max_concurrency:
        facts.append(Fact(label="At most at a time", value=f"{summary.max_concurrency:,}"))
    problems = failed + recovered  # failed first: they need someone
    lines = tuple(_line(outcome) for outcome in problems[:DIGEST_TASK_LINES])
    steps: tuple[str, ...] = ()
    if failed:
        steps = (
            "Open each failed task's run (its link) for the details: the failed files by category, "
            "the failure report and what to do.",
        )
    links: list[Link] = []
    references: list[Fact] = []
    where = console_links.region_of(summary.batch_execution or "")
    if full_list and where and (url := console_links.s3_object(full_list, where[1], where[0])):
        links.append(Link(label="Every task of the firing (JSON Lines)", url=url))
    if full_list:
        references.append(Fact(label="Full list", value=full_list))
    if full_list_error:
        facts.append(Fact(label="Not written", value=f"the full list of tasks could not be written: {full_list_error}"))
    if summary.batch_execution and (url := console_links.state_machine_execution(summary.batch_execution)):
        links.append(Link(label="Batch execution", url=url))
    if summary.batch_execution:
        references.append(Fact(label="Batch execution", value=summary.batch_execution))
    return Message(
        kind="batch",
        outcome=outcome,
        severity=SEVERITY[outcome],
        subject=_subject(firing.schedule, counts),
        summary=summary.verdict.reason if failed else "",
        error=summary.verdict.error,
        facts=tuple(facts),
        tasks=lines,
        tasks_not_listed=max(0, len(problems) - DIGEST_TASK_LINES),
        next_steps=steps,
        links=tuple(links),
        references=tuple(references),
        schedule=firing.schedule,
        scheduled_time=firing.scheduled_time.isoformat() if firing.scheduled_time else None,
    )


def _subject(schedule: str, counts: str) -> str:
    """`<schedule>: 497 of 500 tasks succeeded, 3 FAILED`, within the email subject's limit: a long
    schedule name is cut, the counts never are."""
    room = SUBJECT_LIMIT - len(_SUBJECT_PREFIX) - len(": ") - len(counts)
    name = schedule if len(schedule) <= room else schedule[: max(room - 3, 1)] + "..."
    return f"{name}: {counts}"


def _totals(succeeded: Sequence[TaskOutcome]) -> tuple[int | None, int | None]:
    """Files and bytes of the tasks that succeeded (their last attempt's counters); None when no
    run reported them."""
    files = [outcome.files_transferred for outcome in succeeded if outcome.files_transferred is not None]
    data = [outcome.bytes_transferred for outcome in succeeded if outcome.bytes_transferred is not None]
    return (sum(files) if files else None, sum(data) if data else None)


def _line(outcome: TaskOutcome) -> TaskLine:
    line = task_line(outcome)
    url = console_links.state_machine_execution(outcome.execution_arn) if outcome.execution_arn else None
    return line.model_copy(update={"url": url}) if url else line
