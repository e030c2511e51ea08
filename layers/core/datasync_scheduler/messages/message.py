"""What a run's (or a batch's) one message says, before it is dressed for a channel.

Report Run and Summarize Batch build a `Message`; the email text, the Slack blocks and the
Chatbot notification are renderings of it. The message carries text exactly as it came (task
names, DataSync's error texts, file names): every renderer escapes for its own medium, so no
channel's escaping leaks into another's. Every list in it is bounded, so its size is too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from datasync_scheduler.domain.batch import MAP_RUN_FAILED, SKIPPED, BatchSummary, TaskOutcome
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.failures import ADVICE, RETRY_CLASS
from datasync_scheduler.domain.run_result import RunResult, iso
from datasync_scheduler.domain.units import format_bytes, format_duration
from datasync_scheduler.messages import console_links

# "warned": a preflight that found only what makes a run worse (the run will start).
Outcome = Literal["succeeded", "recovered", "failed", "warned"]
Severity = Literal["info", "warning", "error"]
# "preflight": what will fail at a named schedule's next firing, before its window;
# "missed-firing": a firing that should have happened and never arrived (messages/health.py).
Kind = Literal["run", "batch", "preflight", "missed-firing"]

SEVERITY: Mapping[Outcome, Severity] = {
    "succeeded": "info",
    "recovered": "warning",
    "failed": "error",
    "warned": "warning",
}
# A batch message lists at most this many tasks one by one; the rest are counted.
BATCH_TASK_LINES = 100
# A task line quotes at most this much of a failed run's reason; the run's own message has all of it.
REASON_LIMIT = 120
# Example paths are cut to this many characters, keeping both ends (the file's name is at the end):
# the message travels in the workflow's state in three renderings, next to the run's result.
EXAMPLE_LIMIT = 160


def shorten_path(path: str, limit: int = EXAMPLE_LIMIT) -> str:
    if len(path) <= limit:
        return path
    head = (limit - 1) // 3
    return path[:head] + "…" + path[len(path) - (limit - 1 - head) :]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Fact(_Frozen):
    label: str
    value: str


class Link(_Frozen):
    label: str
    url: str


class PhaseSpan(_Frozen):
    phase: str
    at: str  # ISO 8601, UTC
    seconds: float | None = None  # until the next phase began; None for the last one


class FailureGroup(_Frozen):
    category: str
    count: int
    retry_class: str  # transient (a rerun can fix it) | permanent
    advice: str
    examples: tuple[str, ...] = ()  # a few paths, each already cut to a bounded length


class Failures(_Frozen):
    total: int = 0
    transient: int = 0
    permanent: int = 0
    groups: tuple[FailureGroup, ...] = ()
    report: str | None = None  # where the complete list is (s3://...)
    unknown_because: str | None = None  # set when which files failed could not be told
    # Why the list may not be this execution's, or not all of it (a shared log group, DataSync's count).
    caveats: tuple[str, ...] = ()
    attempt: int | None = None  # the attempt these failures are from, when not the last one


class TaskLine(_Frozen):
    """One task of a batch."""

    task: str
    status: str  # SUCCEEDED | FAILED | TIMED_OUT | ABORTED
    outcome: Outcome
    detail: str = ""  # counters, or the error and (shortened) reason
    # The task's run in the console (a firing's digest); absent otherwise, so that other messages
    # are what they were.
    url: str | None = Field(default=None, exclude_if=lambda url: url is None)


class Message(_Frozen):
    kind: Kind
    outcome: Outcome
    severity: Severity
    subject: str  # the headline in words: "nightly-archive: sync FAILED (DataSync.X)"
    task: str | None = None  # the task's name (runs only)
    summary: str = ""  # the verdict's reason: what happened, in a sentence or two
    error: str = ""  # a short stable name for the failure ("" when it succeeded)
    facts: tuple[Fact, ...] = ()
    phases: tuple[PhaseSpan, ...] = ()
    attempts: tuple[str, ...] = ()  # one line per attempt, when there was more than one
    failures: Failures | None = None
    tasks: tuple[TaskLine, ...] = ()  # batches only
    tasks_not_listed: int = 0
    next_steps: tuple[str, ...] = ()
    links: tuple[Link, ...] = ()
    # The ARNs behind the links, for the command line ("DataSync execution": arn:aws:datasync:...).
    references: tuple[Fact, ...] = ()
    # The message's own id, the same for every publish of it (`domain.publication.message_id`);
    # set when it is published. Also the `message_id` attribute, which SNS does not pass on to
    # subscribers of a MessageStructure=json publish (docs/aws-facts.md#sns-delivery-guarantees).
    message_id: str | None = None
    # A named schedule's firing the message belongs to (its digest, or one of its runs' messages),
    # and the time it was scheduled for (ISO 8601); also the `schedule` attribute.
    # Both absent from the JSON of a message that is not a firing's: it is what it was without them.
    schedule: str | None = Field(default=None, exclude_if=lambda schedule: schedule is None)
    scheduled_time: str | None = Field(default=None, exclude_if=lambda time: time is None)

    def to_json_dict(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


def tasks_heading(message: Message) -> str:
    """What the list of task lines is, in every rendering."""
    if message.kind == "preflight":
        return "What preflight found"
    return "Tasks that failed or recovered" if message.schedule else "Tasks"


def run_outcome(result: RunResult) -> Outcome:
    if result.verdict.status != "SUCCEEDED":
        return "failed"
    return "recovered" if len(result.attempts) > 1 else "succeeded"


def run_message(result: RunResult) -> Message:
    """The message for one run, from its report."""
    outcome = run_outcome(result)
    verdict = result.verdict
    task = result.task_label
    if outcome == "succeeded":
        subject = f"{task}: sync succeeded"
    elif outcome == "recovered":
        subject = f"{task}: sync recovered after {len(result.attempts)} attempts"
    else:
        subject = f"{task}: sync FAILED ({verdict.error})"
    failures = _failures(result)
    return Message(
        kind="run",
        outcome=outcome,
        severity=SEVERITY[outcome],
        subject=subject,
        task=task,
        summary=verdict.reason,
        error=verdict.error,
        facts=_run_facts(result) + _unread_facts(result),
        phases=_phases(result),
        attempts=_attempt_lines(result),
        failures=failures,
        next_steps=_run_next_steps(result, failures),
        links=_run_links(result, failures),
        references=_run_references(result),
    )


def _run_facts(result: RunResult) -> tuple[Fact, ...]:
    snapshot = result.snapshot
    facts: list[Fact] = []
    if snapshot is None:
        return ()
    facts.append(Fact(label="DataSync status", value=snapshot.status))
    if snapshot.files_transferred is not None:
        expected = f" of {snapshot.estimated_files:,}" if snapshot.estimated_files is not None else ""
        facts.append(Fact(label="Files transferred", value=f"{snapshot.files_transferred:,}{expected}"))
    if snapshot.bytes_transferred is not None:
        expected = f" of {format_bytes(snapshot.estimated_bytes)}" if snapshot.estimated_bytes else ""
        facts.append(Fact(label="Data transferred", value=f"{format_bytes(snapshot.bytes_transferred)}{expected}"))
    if snapshot.files_verified:
        facts.append(Fact(label="Files verified", value=f"{snapshot.files_verified:,}"))
    if len(result.phases) > 1:
        took = (result.phases[-1].at - result.phases[0].at).total_seconds()
        facts.append(Fact(label="Duration", value=format_duration(took)))
    if len(result.attempts) > 1:
        facts.append(Fact(label="Attempts", value=str(len(result.attempts))))
    if result.cost is not None:
        facts.append(Fact(label="Estimated cost", value=result.cost.line()))
    if result.speed is not None:
        facts.extend(Fact(label="Slower than usual", value=slow.line()) for slow in result.speed.slow)
        if result.speed.no_verdict:
            facts.append(Fact(label="Speed", value=f"not compared: {result.speed.no_verdict}"))
    return tuple(facts)


def _unread_facts(result: RunResult) -> tuple[Fact, ...]:
    return tuple(
        Fact(label="Not read", value=f"{what} could not be read: {cause.describe()}") for what, cause in result.unread
    ) + tuple(
        Fact(label="Not written", value=f"{what} could not be written: {cause.describe()}")
        for what, cause in result.unwritten
    )


def _phases(result: RunResult) -> tuple[PhaseSpan, ...]:
    marks = result.phases
    return tuple(
        PhaseSpan(
            phase=mark.phase,
            at=iso(mark.at),
            seconds=(marks[index + 1].at - mark.at).total_seconds() if index + 1 < len(marks) else None,
        )
        for index, mark in enumerate(marks)
    )


def _attempt_lines(result: RunResult) -> tuple[str, ...]:
    if len(result.attempts) <= 1:
        return ()
    lines = []
    for attempt in result.attempts:
        scope = attempt.get("scope") or {}
        what = (
            "the whole task"
            if scope.get("kind", "all") == "all"
            else f"{scope.get('paths', 0):,} file(s) by {scope['kind']}"
        )
        failed = ", ".join(f"{category} {count:,}" for category, count in (attempt.get("failures") or {}).items())
        decision = (attempt.get("decision") or {}).get("reason")
        unknown = Cause.from_dict(attempt.get("unknownBecause"))
        lines.append(
            f"{attempt.get('attempt')}. {what}: {attempt.get('status')}"
            + (f" ({failed})" if failed else "")
            + (f"; which files failed is unknown: {unknown.describe()}" if unknown else "")
            + (f" -> {decision}" if decision else "")
        )
    return tuple(lines)


def _failures(result: RunResult) -> Failures | None:
    summary = result.failures
    if not summary:
        return None
    if not summary.get("available"):
        if result.verdict.status == "SUCCEEDED":
            return None
        return Failures(unknown_because=str(summary.get("note") or "no reason was given"))
    total = int(summary.get("totalFailures", 0))
    caveats = tuple(
        str(note) for note in ((summary.get("attribution") or {}).get("note"), summary.get("countedNote")) if note
    )
    if report_error := Cause.from_dict(summary.get("reportError")):
        # The summary then names no report: the message never links to an object that was not written.
        caveats += (f"the complete list could not be written to S3: {report_error.describe()}",)
    if not total:
        # Nothing to act on, unless DataSync counted failures the logs do not name.
        return Failures(caveats=caveats) if caveats else None
    retry = summary.get("byRetryClass", {})
    examples = summary.get("examples", {})
    groups = tuple(
        FailureGroup(
            category=category,
            count=int(count),
            retry_class=RETRY_CLASS.get(category, "permanent"),  # type: ignore[call-overload]
            advice=ADVICE.get(category, ""),  # type: ignore[call-overload]
            examples=tuple(shorten_path(str(path)) for path in examples.get(category, [])),
        )
        for category, count in summary.get("byCategory", {}).items()
    )
    attempt = None
    analysed = summary.get("executionArn")
    if result.execution_arn and analysed not in (None, result.execution_arn):
        attempt = next((int(a["attempt"]) for a in result.attempts if a.get("executionArn") == analysed), None)
    return Failures(
        total=total,
        transient=int(retry.get("transient", 0)),
        permanent=int(retry.get("permanent", 0)),
        groups=groups,
        report=summary.get("report"),
        attempt=attempt,
        caveats=caveats,
    )


def _run_next_steps(result: RunResult, failures: Failures | None) -> tuple[str, ...]:
    """Short runbook lines: what a person does about this outcome."""
    # What to do about each failed file's category is said next to the category itself.
    steps = list(_steps_for_error(result))
    if result.failures is not None and result.failures.get("source") == "analysisFailed":
        steps.append(
            "Analyze Run failed, so which files failed is unknown: its error is in the run's history "
            "(Step Functions console, Analyze Run); the complete list can be read from the task's logs or reports."
        )
    elif failures and failures.unknown_because:
        steps.append("To see which files failed next time, set the task's LogLevel to TRANSFER or write task reports.")
    return tuple(steps)


_OUR_FAULT = (
    "This is a fault in the scheduler, not in DataSync: the Lambda request id above finds its log lines "
    "(CloudWatch Logs Insights, filter @requestId); rerun once it is fixed."
)


def _steps_for_error(result: RunResult) -> tuple[str, ...]:
    error = result.verdict.error
    if result.verdict.status == "SUCCEEDED":
        return ()
    if error == "InvalidSyncRequest":
        return ("Fix the workflow input (or the NightlyTasks/ScheduledOverrides parameter) as the message says.",)
    if error == "DataSync.StartRefused":
        return (
            "Check that the task exists in this account and Region and is AVAILABLE "
            "(aws datasync describe-task), and that no other execution holds it.",
        )
    if error == "Start.TaskBusy":
        return (
            "Another execution held the task for the whole wait: see what runs on it "
            "(aws datasync list-task-executions) and move one of the schedules, or set WhenTaskBusy=queue.",
        )
    if error == "Start.Throttled":
        return ("Spread the runs that start at the same moment, or ask for a higher DataSync request quota.",)
    if error == "Start.DataSyncUnavailable":
        return ("Check the AWS Health Dashboard for DataSync in this Region, then rerun.",)
    if error == "CheckSync.Failed":
        return (
            "The task execution may still be running: look at it in the DataSync console before starting "
            "another run, and cancel it there if it must not go on.",
            _OUR_FAULT,
        )
    if error == "PlanNextAttempt.Failed":
        return ("The files that failed were not retried: rerun the task once the fault is fixed.", _OUR_FAULT)
    if error in ("StartSync.Failed", "ValidateSyncRequest.Failed"):
        return (_OUR_FAULT,)
    if error == "Watchdog.PhaseTimeLimit":
        stuck = result.phases[-1].phase if result.phases else ""
        if stuck in ("LAUNCHING", "QUEUED"):
            return (
                "Check that the task's agent is ONLINE and can reach both locations "
                "(DataSync console, Agents); then rerun.",
            )
        return ("If runs this long are expected, raise PhaseTimeLimits for that phase; otherwise look at the agent.",)
    if error == "Watchdog.RunDeadline":
        return (
            "Raise RunDeadlineSeconds (a named schedule's run: the schedule's runDeadlineSeconds), "
            "or split the task so each part fits in the night.",
        )
    if error == "Watchdog.Stalled":
        return (
            "Nothing moved for StallMinutes: check the agent, the network and both locations' storage; "
            "if such pauses are expected, raise StallMinutes (or set StallAction=report).",
        )
    if error == "DataSync.EndNotConfirmed":
        return (
            "Open the task execution in the DataSync console: its status there is the outcome. "
            "Nothing was retried; rerun the task if it did not succeed.",
        )
    if error == "Watchdog.Cancelled":
        return ("The watchdog cancelled the execution; its note above says where it stayed too long.",)
    if error == "Watchdog.WatchLimit":
        return (
            "The execution was left running: open it in the DataSync console. For transfers this long, "
            "make sure DataSync's events reach the stack (the run then looks less often) or split the task.",
        )
    if error == "Watchdog.CancelDidNotComplete":
        return ("Open the task in the DataSync console and check that the execution really stopped.",)
    if error == "DataSync.PermanentFailures":
        return ("The files listed under permanent categories need a fix at the source or in the task's options.",)
    if error.startswith("DataSync."):
        return ("Read DataSync's error above and the task's CloudWatch logs; fix the cause, then rerun.",)
    return ()


def _run_links(result: RunResult, failures: Failures | None) -> tuple[Link, ...]:
    links: list[Link] = []

    def add(label: str, url: str | None) -> None:
        if url:
            links.append(Link(label=label, url=url))

    if result.workflow_execution:
        add("Workflow execution", console_links.state_machine_execution(result.workflow_execution))
    task_arn = result.task_arn
    if task_arn:
        execution = result.execution_arn.rsplit("/", 1)[-1] if result.execution_arn else None
        add(f"DataSync task ({execution})" if execution else "DataSync task", console_links.datasync_task(task_arn))
    log_group_arn = (result.failures or {}).get("logGroupArn")
    if log_group_arn:
        add("Task logs", console_links.log_group(str(log_group_arn)))
    where = console_links.region_of(result.execution_arn or task_arn or result.workflow_execution or "")
    if failures and failures.report and where:
        add("Failure report", console_links.s3_object(failures.report, where[1], where[0]))
    return tuple(links)


def _run_references(result: RunResult) -> tuple[Fact, ...]:
    references = []
    if result.execution_arn:
        references.append(Fact(label="DataSync execution", value=result.execution_arn))
    elif result.task_arn:
        references.append(Fact(label="DataSync task", value=result.task_arn))
    if result.workflow_execution:
        references.append(Fact(label="Workflow execution", value=result.workflow_execution))
    return tuple(references)


def batch_message(summary: BatchSummary) -> Message:
    """The one overview message of a batch: counts, then one line per task."""
    verdict = summary.verdict
    recovered = sum(1 for o in summary.outcomes if o.succeeded and (o.attempts or 0) > 1)
    if verdict.error == SKIPPED:
        return Message(
            kind="batch",
            outcome="succeeded",
            severity=SEVERITY["succeeded"],
            subject="batch: skipped today",
            summary=verdict.reason,
            error=verdict.error,
            references=_batch_reference(summary),
        )
    if not summary.outcomes:
        outcome: Outcome = "failed"
        subject = f"batch: FAILED ({verdict.error})"
    else:
        failed = len(summary.failed)
        outcome = "failed" if failed else ("recovered" if recovered else "succeeded")
        total = summary.total
        subject = f"batch: {summary.succeeded} of {total} task{'s' if total != 1 else ''} succeeded"
        if failed:
            subject += f", {failed} FAILED"
    facts: list[Fact] = []
    if summary.outcomes:
        facts.append(Fact(label="Tasks", value=str(summary.total)))
        facts.append(Fact(label="Succeeded", value=str(summary.succeeded)))
        if recovered:
            facts.append(Fact(label="Recovered by a retry", value=str(recovered)))
        facts.append(Fact(label="Failed", value=str(len(summary.failed))))
        if summary.max_concurrency:
            facts.append(Fact(label="At most at a time", value=str(summary.max_concurrency)))
    lines = tuple(task_line(outcome) for outcome in summary.outcomes[:BATCH_TASK_LINES])
    steps: tuple[str, ...] = ()
    if summary.failed:
        steps = ("Each task's run sent its own message with the details: start with the failed ones.",)
    elif not summary.outcomes and verdict.error == MAP_RUN_FAILED:
        steps = ("Some tasks may have run: look at each task's run, then at the batch execution's Map run.",)
    elif not summary.outcomes and verdict.error == "InvalidBatchRequest":
        steps = ("Fix the batch input (or the NightlyTasks parameter) as the message says.",)
    elif not summary.outcomes:
        steps = ("Nothing was started. Read Validate Batch's log for the error above, then start the batch again.",)
    links: tuple[Link, ...] = ()
    if summary.batch_execution and (url := console_links.state_machine_execution(summary.batch_execution)):
        links = (Link(label="Batch execution", url=url),)
    return Message(
        kind="batch",
        outcome=outcome,
        severity=SEVERITY[outcome],
        subject=subject,
        summary=verdict.reason if (summary.failed or not summary.outcomes) else "",
        error=verdict.error,
        facts=tuple(facts),
        tasks=lines,
        tasks_not_listed=max(0, summary.total - BATCH_TASK_LINES),
        next_steps=steps,
        links=links,
        references=(Fact(label="Batch execution", value=summary.batch_execution),) if summary.batch_execution else (),
    )


def _batch_reference(summary: BatchSummary) -> tuple[Fact, ...]:
    return (Fact(label="Batch execution", value=summary.batch_execution),) if summary.batch_execution else ()


def task_line(outcome: TaskOutcome) -> TaskLine:
    if outcome.succeeded:
        done = []
        if outcome.files_transferred is not None:
            done.append(f"{outcome.files_transferred:,} file(s)")
        if outcome.bytes_transferred is not None:
            done.append(format_bytes(outcome.bytes_transferred))
        # The counters are the last attempt's: a retry copies only what the first one missed.
        recovered = bool(outcome.attempts and outcome.attempts > 1)
        detail = ", ".join(done)
        if recovered:
            note = f"recovered on attempt {outcome.attempts}"
            detail = f"{note} ({detail})" if detail else note
        return TaskLine(
            task=outcome.label, status=outcome.status, outcome="recovered" if recovered else "succeeded", detail=detail
        )
    reason = outcome.cause
    if len(reason) > REASON_LIMIT:
        reason = reason[: REASON_LIMIT - 3] + "..."
    return TaskLine(
        task=outcome.label,
        status=outcome.status,
        outcome="failed",
        detail=outcome.error + (f" - {reason}" if reason else ""),
    )
