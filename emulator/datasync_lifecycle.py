"""The execution lifecycle of the local DataSync: task executions walking their phases over virtual time.

An execution enters QUEUED when it is started, waits for its task's running execution to end, then
walks its script's phases (`emulator.datasync_script`) as the virtual clock advances (`advance_to`),
and ends in SUCCESS or ERROR (or through CANCELLING). On the way it emits EventBridge-shaped state
changes, writes its failed files to CloudWatch Logs in DataSync's formats (`emulator.datasync_logs`)
and, when it ends, its task report to S3 (`emulator.datasync_reports`). The counters and Result that
DescribeTaskExecution answers are derived from the phases walked so far (`progress`, `execution_result`).
"""

from __future__ import annotations

import heapq
import itertools
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from emulator.datasync_logs import FailedFile, LogStream, basic_lines, enhanced_line, write_events
from emulator.datasync_reports import (
    MAX_REPORT_OBJECT_BYTES,
    ExecutionFacts,
    ReportDestination,
    ReportObject,
    report_objects,
    write_report,
)
from emulator.datasync_script import PHASES, ExecutionScript, Phase

# How DataSync names its log streams is not documented (docs/aws-facts.md#attribution-and-datasyncs-own-counters):
# "execution" names each stream after its execution; "unnamed" gives each a name that names no execution.
LOG_STREAM_NAMINGS = frozenset({"execution", "unnamed"})
_ENHANCED_LOG_GROUP = "/aws/datasync"
_EVENT_DETAIL_TYPE = "DataSync Task Execution State Change"
_EVENT_ID_NAMESPACE = uuid.UUID("6f0c5a52-3c1e-4d6b-9a0e-2f6f2f1f0d15")
# Writes per phase are capped so that thousands of failed files cost a few clock advances, not one
# each; every event still carries the virtual moment its failure happened.
_LOG_WRITES_PER_PHASE = 8
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# Rank of each status along an execution's path; a phase is "passed" once a later rank was reached.
_PROGRESS = {status: rank for rank, status in enumerate((*PHASES, "SUCCESS"))}
_RESULT_PHASES = (("PREPARING", "Prepare"), ("TRANSFERRING", "Transfer"), ("VERIFYING", "Verify"))


@dataclass
class Effects:
    """What a processed change does outside the emulator: events to emit, log lines and reports to write."""

    events: list[dict[str, Any]] = field(default_factory=list)
    log_writes: list[tuple[LogStream, list[tuple[int, str]]]] = field(default_factory=list)
    reports: list[tuple[TaskExecution, ReportDestination, list[ReportObject]]] = field(default_factory=list)


@dataclass(order=True)
class Change:
    """One scheduled change of an execution (a phase's end, an event, a log write), due `at`."""

    at: datetime
    seq: int
    apply: Callable[[datetime], Effects] = field(compare=False)
    stale: bool = field(default=False, compare=False)  # superseded (by a cancel): skipped when due


@dataclass(eq=False)
class Task:
    """A DataSync task as the emulator keeps it: what CreateTask set, its scripts, and its queue."""

    arn: str
    mode: str
    options: dict[str, Any]
    config: dict[str, Any]  # the CreateTask members DescribeTask echoes
    created: datetime
    scripts: list[ExecutionScript] = field(default_factory=list)
    started: int = 0
    queue: deque[TaskExecution] = field(default_factory=deque)
    running: TaskExecution | None = None  # from leaving QUEUED until terminal: one per task
    current_execution_arn: str | None = None
    # DeleteTask was called: DataSync knows neither the task nor its executions any more.
    deleted: bool = False
    # The agents its locations name (OnPremConfig.AgentArns, AgentArns): one OFFLINE makes it UNAVAILABLE.
    agents: tuple[str, ...] = ()


@dataclass(eq=False)
class TaskExecution:
    """One task execution: what StartTaskExecution asked for, and where its walk through time stands."""

    arn: str
    task: Task
    script: ExecutionScript
    phases: tuple[Phase, ...]  # the script's phases this execution walks (VERIFYING dropped by VerifyMode NONE)
    options: dict[str, Any]
    overrides: dict[str, Any]  # effective Includes/Excludes/ManifestConfig/TaskReportConfig
    start_params: dict[str, Any]
    history: list[tuple[str, datetime]]
    log_stream: LogStream | None
    # Where the execution's task report goes (None: no report), and its ReportResult: PENDING until the
    # report was written at the end, then SUCCESS or ERROR.
    report: ReportDestination | None = None
    report_result: dict[str, str] | None = None
    launch_time: datetime | None = None
    end_time: datetime | None = None
    failed_phase: str | None = None  # the phase whose Result status is ERROR
    cancelled: bool = False
    pending: Change | None = None  # the scheduled end of the current phase, or of CANCELLING
    # The failures of the phases walked so far (those of the current phase partly still ahead), in time
    # order; `logged` counts those already written. Bounded by the scripted failed files.
    failures: list[tuple[datetime, FailedFile]] = field(default_factory=list)
    logged: int = 0

    @property
    def status(self) -> str:
        return self.history[-1][0]

    def duration_of(self, phase: str) -> timedelta | None:
        return next(step.duration for step in self.phases if step.status == phase)

    def stalled_for(self, phase: str) -> timedelta:
        return next(timedelta(seconds=step.stalled_seconds) for step in self.phases if step.status == phase)


class ExecutionLifecycle:
    """The scheduled changes of every task execution, applied in time order (implements
    `emulator.clock.TimeDriven`). The DataSync API (`emulator.datasync`) creates executions and
    hands them over with `queue` and `cancel`; both sides share `lock`, which the callers of
    `schedule`, `queue` and `cancel` hold."""

    def __init__(
        self,
        *,
        region: str,
        account_id: str,
        event_sink: Callable[[dict[str, Any]], None],
        logs_client_factory: Callable[[], Any] | None,
        s3_client_factory: Callable[[], Any] | None,
        report_max_object_bytes: int = MAX_REPORT_OBJECT_BYTES,
    ) -> None:
        self._region = region
        self._account_id = account_id
        self.event_sink = event_sink
        # None: no logs are written at all. Called once per advance that writes, so each client is
        # created in whatever AWS context (e.g. moto's mock) is active at that moment.
        self._logs_client_factory = logs_client_factory
        # Likewise for task reports: None means no reports, and no ReportResult, at all. The size limit
        # of one report object is DataSync's 5 MB unless a test wants small reports split; a limit too
        # small for a single item raises ValueError when the execution ends.
        if report_max_object_bytes <= 0:
            raise ValueError("report_max_object_bytes must be positive")
        self._s3_client_factory = s3_client_factory
        self._report_max_object_bytes = report_max_object_bytes
        self.lock = threading.RLock()
        self._changes: list[Change] = []
        self._seq = itertools.count()

    # -- TimeDriven --------------------------------------------------------------------------------------

    def next_change_at(self) -> datetime | None:
        """The earliest pending change: a status change, an event still to emit, or log lines to write."""
        with self.lock:
            while self._changes and self._changes[0].stale:
                heapq.heappop(self._changes)
            return self._changes[0].at if self._changes else None

    def advance_to(self, now: datetime) -> None:
        """Applies every change due at or before `now` in time order, emitting events and writing logs
        and reports."""
        logs_client: Any = None
        s3_client: Any = None
        while True:
            with self.lock:
                change = self._pop_due(now)
                if change is None:
                    return
                effects = change.apply(change.at)
            # Outside the lock: an event consumer or the logs and S3 backends may call back into DataSync.
            # Reports go first, so a consumer of the terminal event finds the report written (whether
            # DataSync writes it before announcing the end is undocumented).
            for execution, destination, objects in effects.reports:
                if s3_client is None:
                    s3_client = self._new_s3_client()
                result = write_report(s3_client, destination, objects)
                with self.lock:
                    execution.report_result = result
            for event in effects.events:
                self.event_sink(event)
            for stream, lines in effects.log_writes:
                if logs_client is None:
                    logs_client = self._new_logs_client()
                write_events(logs_client, stream, lines)

    def _pop_due(self, now: datetime) -> Change | None:
        while self._changes and (self._changes[0].stale or self._changes[0].at <= now):
            change = heapq.heappop(self._changes)
            if not change.stale:
                return change
        return None

    def schedule(self, at: datetime, apply: Callable[[datetime], Effects]) -> Change:
        change = Change(at, next(self._seq), apply)
        heapq.heappush(self._changes, change)
        return change

    def _new_logs_client(self) -> Any:
        assert self._logs_client_factory is not None  # no log stream is planned without a factory
        return self._logs_client_factory()

    def _new_s3_client(self) -> Any:
        assert self._s3_client_factory is not None  # no report is planned without a factory
        return self._s3_client_factory()

    # -- what the DataSync API hands over ------------------------------------------------------------------

    def queue(self, execution: TaskExecution, now: datetime) -> None:
        """A started execution enters its task's queue (StartTaskExecution)."""
        task = execution.task
        task.queue.append(execution)
        # Entering QUEUED is a state change too; its event and the dispatch are separate changes at the
        # same instant, so QUEUED is observable even on an idle task.
        self.schedule(now, lambda at: Effects(events=[self._event(execution, "QUEUED", now)]))
        self.schedule(now, lambda at: self._dispatch(task, at))

    def cancel(self, execution: TaskExecution, now: datetime) -> None:
        """A queued or running execution is cancelled (CancelTaskExecution, once refusals are ruled out)."""
        if execution in execution.task.queue:
            execution.task.queue.remove(execution)
        else:
            execution.failed_phase = execution.status
        if execution.pending is not None:
            execution.pending.stale = True
        # Failures planned after this moment never happen; those before it are still written.
        execution.failures = [(at, failed) for at, failed in execution.failures if at <= now]
        execution.cancelled = True
        # The one status change made inside a call: DataSync shows CANCELLING at once. Its event, and the
        # last log lines, go out at the next advance.
        execution.history.append(("CANCELLING", now))
        self.schedule(now, lambda at: Effects(events=[self._event(execution, "CANCELLING", now)]))
        if execution.log_stream is not None and execution.logged < len(execution.failures):
            self.schedule(now, lambda at: self._write_due_failures(execution, at))
        execution.pending = self.schedule(
            now + timedelta(seconds=execution.script.cancel_seconds), lambda at: self._end(execution, "ERROR", at)
        )

    # -- the execution's walk through time -----------------------------------------------------------------

    def _dispatch(self, task: Task, at: datetime) -> Effects:
        """Lets the head of the task's queue start when nothing of the task runs."""
        if task.running is not None or not task.queue:
            return Effects()
        execution = task.queue.popleft()
        task.running = execution
        execution.launch_time = at
        return self._enter_phase(execution, 0, at)

    def _enter_phase(self, execution: TaskExecution, index: int, at: datetime) -> Effects:
        if index == len(execution.phases):
            if execution.script.outcome == "ERROR":
                # With outcome ERROR the last phase walked is the one that fails.
                execution.failed_phase = execution.phases[-1].status if execution.phases else None
            return self._end(execution, execution.script.outcome, at)
        phase = execution.phases[index]
        execution.history.append((phase.status, at))
        effects = Effects(events=[self._event(execution, phase.status, at)])
        execution.pending = None
        if phase.duration is not None:
            end = at + phase.duration
            self._plan_failures(execution, phase.status, at, end)
            execution.pending = self.schedule(end, lambda then: self._enter_phase(execution, index + 1, then))
        # A phase that never ends plans no failures: nothing progresses in it.
        return effects

    def _end(self, execution: TaskExecution, status: str, at: datetime) -> Effects:
        execution.history.append((status, at))
        execution.end_time = at
        execution.pending = None
        task = execution.task
        if task.running is execution:
            task.running = None
            self.schedule(at, lambda then: self._dispatch(task, then))
        effects = Effects(events=[self._event(execution, status, at)])
        if execution.report is not None:
            objects = report_objects(execution.report, self._report_facts(execution), self._report_max_object_bytes)
            effects.reports.append((execution, execution.report, objects))
        return effects

    def _report_facts(self, execution: TaskExecution) -> ExecutionFacts:
        """The finished execution as its report describes it: the same figures DescribeTaskExecution shows."""
        end = execution.end_time
        assert end is not None
        script = execution.script
        return ExecutionFacts(
            task_arn=execution.task.arn,
            execution_arn=execution.arn,
            mode=execution.task.mode,
            status=execution.status,
            cancelled=execution.cancelled,
            options=dict(execution.options),
            result=execution_result(execution),
            start_time=execution.history[0][1],
            launch_time=execution.launch_time,
            end_time=end,
            files_transferred=progress(execution, "TRANSFERRING", script.file_count, end),
            bytes_transferred=progress(execution, "TRANSFERRING", script.byte_count, end),
            files_verified=progress(execution, "VERIFYING", script.file_count, end),
            sections=tuple(
                section
                for section, phase in (("Transferred", "TRANSFERRING"), ("Verified", "VERIFYING"))
                if _span(execution, phase) is not None
            ),
            failures=tuple(failed for moment, failed in execution.failures if moment <= end),
        )

    def _plan_failures(self, execution: TaskExecution, phase: str, start: datetime, end: datetime) -> None:
        """Spreads the phase's failed files evenly over it and schedules the writes of their log lines."""
        failing = [failed for failed in execution.script.failed_files if failed.phase == phase]
        if not failing:
            return
        moments = [start + (end - start) * (i + 1) / (len(failing) + 1) for i in range(len(failing))]
        execution.failures.extend(zip(moments, failing, strict=True))
        if execution.log_stream is None:
            return
        per_write = -(-len(failing) // _LOG_WRITES_PER_PHASE)
        for first in range(0, len(failing), per_write):
            last = min(first + per_write, len(failing)) - 1
            self.schedule(moments[last], lambda at: self._write_due_failures(execution, at))

    def _write_due_failures(self, execution: TaskExecution, at: datetime) -> Effects:
        due = execution.logged
        while due < len(execution.failures) and execution.failures[due][0] <= at:
            due += 1
        batch = execution.failures[execution.logged : due]
        execution.logged = due
        if not batch or execution.log_stream is None:
            return Effects()
        lines = [(_epoch_ms(moment), line) for moment, failed in batch for line in self._log_lines(execution, failed)]
        return Effects(log_writes=[(execution.log_stream, lines)])

    def _log_lines(self, execution: TaskExecution, failed: FailedFile) -> list[str]:
        if not failed.logged:
            return []
        if execution.task.mode == "ENHANCED":
            source, destination = (
                execution.task.config[key].rsplit("/", 1)[1] for key in ("SourceLocationArn", "DestinationLocationArn")
            )
            return [enhanced_line(failed, source, destination)]
        return basic_lines(failed)

    def log_stream(self, task: Task, options: Mapping[str, Any], execution_id: str, naming: str) -> LogStream | None:
        """Where an execution started now writes its log lines (`naming`: one of LOG_STREAM_NAMINGS), if anywhere."""
        if self._logs_client_factory is None or options["LogLevel"] == "OFF":
            return None
        # TRANSFER level would add a line per file transferred and checked; that format is undocumented,
        # so the emulator writes the same failure lines at both levels.
        if task.mode == "ENHANCED":
            group = _ENHANCED_LOG_GROUP
        elif "CloudWatchLogGroupArn" in task.config:
            group = task.config["CloudWatchLogGroupArn"].split(":log-group:", 1)[1].removesuffix(":*")
        else:
            return None
        if naming == "unnamed":
            return LogStream(group, f"aws-datasync-{uuid.uuid5(_EVENT_ID_NAMESPACE, execution_id).hex}")
        return LogStream(group, f"aws-datasync-{execution_id}")

    def _event(self, execution: TaskExecution, status: str, at: datetime) -> dict[str, Any]:
        """The EventBridge event for a status change (docs/aws-facts.md#datasync-executions-and-events)."""
        return {
            "version": "0",
            # Each status occurs at most once per execution: arn and status make a unique, reproducible id.
            "id": str(uuid.uuid5(_EVENT_ID_NAMESPACE, f"{execution.arn}#{status}")),
            "detail-type": _EVENT_DETAIL_TYPE,
            "source": "aws.datasync",
            "account": self._account_id,
            "time": at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._region,
            "resources": [execution.arn],
            "detail": {"State": status},
        }


# -- derived views of an execution ----------------------------------------------------------------------


def task_status(task: Task) -> str:
    running = task.running
    if running is not None:
        # An execution that cannot leave LAUNCHING models an offline agent, which makes the task
        # UNAVAILABLE; DataSync's exact rule is undocumented.
        if running.status == "LAUNCHING" and running.pending is None:
            return "UNAVAILABLE"
        return "RUNNING"
    return "QUEUED" if task.queue else "AVAILABLE"


def lagging(execution: TaskExecution, now: datetime) -> bool:
    """Whether DescribeTaskExecution still shows the phase before the end (the script's lag)."""
    lag = execution.script.describe_lag_seconds
    return (
        lag > 0
        and execution.end_time is not None
        and len(execution.history) > 1
        and now < execution.end_time + timedelta(seconds=lag)
    )


def passed(execution: TaskExecution, phase: str) -> bool:
    """Whether the execution reached a later phase (or SUCCESS): the phase, walked or skipped, is done."""
    return any(_PROGRESS.get(status, -1) > _PROGRESS[phase] for status, _ in execution.history)


def _span(execution: TaskExecution, phase: str) -> tuple[datetime, datetime | None] | None:
    """When the execution entered and left `phase`, if it entered it."""
    history = execution.history
    for index, (status, at) in enumerate(history):
        if status == phase:
            return at, history[index + 1][1] if index + 1 < len(history) else None
    return None


def progress(execution: TaskExecution, phase: str, total: int, now: datetime) -> int:
    """A counter that grows linearly over `phase`, frozen when the phase is cut short."""
    span = _span(execution, phase)
    if span is None:
        return 0
    if passed(execution, phase):
        return total
    duration = execution.duration_of(phase)
    if not duration:  # never ends (None) or was interrupted at its first instant
        return 0
    entered, left = span
    stalled = execution.stalled_for(phase)
    elapsed = max(timedelta(0), min((left or now) - entered, duration) - stalled)
    return total * (elapsed // timedelta(microseconds=1)) // ((duration - stalled) // timedelta(microseconds=1))


def execution_result(execution: TaskExecution) -> dict[str, Any]:
    enhanced = execution.task.mode == "ENHANCED"
    result: dict[str, Any] = {}
    for phase, name in _RESULT_PHASES:
        status = "ERROR" if execution.failed_phase == phase else "SUCCESS" if passed(execution, phase) else "PENDING"
        result[f"{name}Status"] = status
        span = _span(execution, phase)
        if enhanced:
            # Enhanced mode always reports 0 durations (docs/aws-facts.md#datasync-executions-and-events)
            result[f"{name}Duration"] = 0
        elif status != "PENDING":
            result[f"{name}Duration"] = _ms(span[1] - span[0]) if span and span[1] else 0
    if enhanced:
        result["TotalDuration"] = 0
    elif execution.end_time is not None:
        # From launch to end; 0 for an execution cancelled before it left QUEUED.
        result["TotalDuration"] = _ms(execution.end_time - (execution.launch_time or execution.end_time))
    if execution.status == "ERROR" and not execution.cancelled:
        # What a cancelled execution reports as ErrorCode/ErrorDetail is undocumented: left unset.
        if execution.script.error_code is not None:
            result["ErrorCode"] = execution.script.error_code
        if execution.script.error_detail is not None:
            result["ErrorDetail"] = execution.script.error_detail
    return result


def _ms(duration: timedelta) -> int:
    return duration // timedelta(milliseconds=1)


def _epoch_ms(moment: datetime) -> int:
    return _ms(moment - _EPOCH)
