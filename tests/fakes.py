"""In-memory fakes of every port the steps use, keeping the semantics `ports.py` states.

They are the footing of the fast test layer (`make unit`): a step runs against them in microseconds,
with no moto and no emulator. `tests/contract/` runs one suite against each fake and its real
adapter, so a fake cannot promise what the adapter does not do. Test-only controls (adding a task,
moving an execution to a status, expiring a token) are plain methods beside the port's.
"""

from __future__ import annotations

import itertools
import json
import re
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.datasync import DataSyncUnavailable
from datasync_scheduler.adapters.execution_logs import LogGroupMissing
from datasync_scheduler.adapters.failure_report import failure_line
from datasync_scheduler.adapters.health_notices import CLAIM_LIFETIME
from datasync_scheduler.adapters.notification_topic import NotPublished
from datasync_scheduler.domain import phases
from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot, PhaseResults, task_arn_of
from datasync_scheduler.domain.execution_record import TaskExecutionRecord
from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.schedule_group import DeployedSchedule
from datasync_scheduler.domain.schedules import SchedulesFile
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.domain.task_lease import LeaseHolder
from datasync_scheduler.domain.where import Where
from datasync_scheduler.ports import (
    ApiCallFailed,
    CallbackPort,
    DataSyncPort,
    EventEntry,
    ExecutionNotFound,
    FailureSink,
    FiringArrival,
    LedgerPort,
    LineUpload,
    LogSource,
    NotEmitted,
    ReportSource,
    RunHistory,
    ScheduleBook,
    ScheduleGroupPort,
    StartRefused,
    TaskNotFound,
    TopicPort,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"


NOT_FOUND_MESSAGE = "Request references a resource which does not exist."


def invalid_request(operation: str, message: str) -> ClientError:
    """The error DataSync answers for a resource it does not know (botocore's ClientError, as the
    real adapter lets it through)."""
    return ClientError({"Error": {"Code": "InvalidRequestException", "Message": message}}, operation)


# -- DataSync ---------------------------------------------------------------------------------------------


@dataclass
class FakeTask:
    arn: str
    name: str | None
    queueing: bool = True  # Options.TaskQueueing ENABLED
    includes: str | None = None
    excludes: str | None = None
    log_group_arn: str | None = None
    task_mode: str = "BASIC"
    log_level: str | None = None
    task_report_config: dict[str, Any] | None = None
    preserve_deleted_files: str = "PRESERVE"
    schedule: dict[str, Any] | None = None  # DescribeTask's Schedule
    schedule_details: dict[str, Any] | None = None  # and ScheduleDetails
    agent_offline: bool = False  # an agent the task uses is OFFLINE: DataSync shows it UNAVAILABLE


@dataclass
class FakeExecution:
    arn: str
    task_arn: str
    tags: dict[str, str]
    request: SyncRequest
    scope: dict[str, Any] | None
    history: list[tuple[str, datetime]]
    launch_time: datetime | None = None
    end_time: datetime | None = None
    error_code: str | None = None
    error_detail: str | None = None
    files_transferred: int = 0
    bytes_transferred: int = 0

    @property
    def status(self) -> str:
        return self.history[-1][0]

    task_includes: str | None = None

    @property
    def includes(self) -> str | None:
        """The Includes filter this execution runs with: the scope's, else the request's, else the task's
        (an execution's filter replaces the task's for that execution only)."""
        if self.scope and self.scope.get("kind") == "includes":
            return str(self.scope["includes"])
        return self.request.includes or self.task_includes

    @property
    def manifest(self) -> dict[str, Any] | None:
        return dict(self.scope["manifest"]) if self.scope and self.scope.get("kind") == "manifest" else None


class FakeDataSync:
    """DataSync's tasks and executions in memory. Executions move only when the test says so
    (`advance`, `finish`); a cancel shows CANCELLING at once, as DataSync does, and `finish` ends it."""

    def __init__(self, region: str = REGION, account: str = ACCOUNT, now: datetime | None = None) -> None:
        self._region = region
        self._account = account
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.tasks: dict[str, FakeTask] = {}
        self.executions: dict[str, FakeExecution] = {}  # start order
        self.now = now or datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
        # Fault switches: `lost_start_responses` starts create their execution and then fail as if
        # the response was lost; `failing_starts` are raised, in order, before anything is created
        # (a refusal, throttling).
        self.lost_start_responses = 0
        self.failing_starts: list[Exception] = []
        self.describe_calls = 0
        self.cancel_calls: list[str] = []

    # -- test controls ----------------------------------------------------------------------------------

    def add_task(self, name: str | None = "nightly-archive", *, queueing: bool = True, **facts: Any) -> str:
        arn = f"arn:aws:datasync:{self._region}:{self._account}:task/task-{next(self._ids):017x}"
        self.tasks[arn] = FakeTask(arn, name, queueing, **facts)
        return arn

    def advance(self, execution_arn: str, status: str, at: datetime | None = None) -> None:
        """Moves the execution to `status` (LAUNCHING, TRANSFERRING, …) at `at` (default: `now`)."""
        execution = self._execution(execution_arn, "advance")
        moment = at or self.now
        if execution.launch_time is None and status != "QUEUED":
            execution.launch_time = moment
        execution.history.append((status, moment))
        if phases.is_terminal(status):
            execution.end_time = moment

    def finish(
        self,
        execution_arn: str,
        status: str = "SUCCESS",
        *,
        at: datetime | None = None,
        error_code: str | None = None,
        error_detail: str | None = None,
        files: int = 0,
        bytes_: int = 0,
    ) -> None:
        """Ends the execution (a cancelled one always ends in ERROR, whatever `status` says)."""
        execution = self._execution(execution_arn, "finish")
        if phases.is_terminal(execution.status):
            raise ValueError(f"{execution_arn} already ended")
        if execution.status == phases.CANCELLING:
            status = phases.ERROR
        execution.error_code, execution.error_detail = error_code, error_detail
        execution.files_transferred, execution.bytes_transferred = files, bytes_
        self.advance(execution_arn, status, at)

    def started(self, task_arn: str | None = None) -> list[FakeExecution]:
        return [item for item in self.executions.values() if task_arn in (None, item.task_arn)]

    # -- DataSyncPort -----------------------------------------------------------------------------------

    def start(self, request: SyncRequest, tags: dict[str, str], scope: dict[str, Any] | None = None) -> str:
        with self._lock:
            if self.failing_starts:
                raise self.failing_starts.pop(0)
            task = self.tasks.get(request.taskArn)
            if task is None:
                raise StartRefused("Request references a resource which does not exist.")
            # What DataSync answers here is not documented; the emulator's reading, a refusal
            # (docs/aws-facts.md#datasync-manifests-and-retries).
            if not task.queueing and self._busy(task.arn):
                raise StartRefused("The task already has a running or queued execution and TaskQueueing is DISABLED.")
            if scope and scope.get("kind") == "manifest" and self._filters_or_removal(task, request):
                # docs/aws-facts.md#datasync-manifests-and-retries
                raise StartRefused("A manifest cannot be combined with filters or PreserveDeletedFiles REMOVE.")
            arn = f"{task.arn}/execution/exec-{next(self._ids):017x}"
            self.executions[arn] = FakeExecution(
                arn,
                task.arn,
                dict(tags),
                request,
                dict(scope) if scope else None,
                [("QUEUED", self.now)],
                task_includes=task.includes,
            )
            if self.lost_start_responses > 0:
                self.lost_start_responses -= 1
                # The adapter's DataSyncUnavailable: the execution exists, the caller never hears so.
                raise DataSyncUnavailable("the response to StartTaskExecution was lost")
            return arn

    def find_started(self, task_arn: str, tags: dict[str, str]) -> str | None:
        if task_arn not in self.tasks:
            raise StartRefused("Request references a resource which does not exist.")
        wanted = set(tags.items())
        for execution in self.started(task_arn):
            if not phases.is_terminal(execution.status) and wanted <= set(execution.tags.items()):
                return execution.arn
        return None

    def describe(self, execution_arn: str) -> ExecutionSnapshot:
        self.describe_calls += 1
        execution = self.executions.get(execution_arn)
        if execution is None or execution.task_arn not in self.tasks:
            # As the adapter names DataSync's InvalidRequestException for an execution it does not know.
            raise ExecutionNotFound(Cause.of("DescribeTaskExecution", "InvalidRequestException", NOT_FOUND_MESSAGE))
        failed = execution.status == phases.ERROR
        task = self.tasks[execution.task_arn]
        return ExecutionSnapshot(
            execution_arn=execution.arn,
            status=execution.status,
            task_mode=task.task_mode,
            log_level=task.log_level,  # the execution's Options echo the task's
            start_time=execution.history[0][1],
            launch_time=execution.launch_time,
            end_time=execution.end_time,
            files_transferred=execution.files_transferred,
            bytes_transferred=execution.bytes_transferred,
            result=PhaseResults(
                error_code=execution.error_code if failed else None,
                error_detail=execution.error_detail if failed else None,
            ),
        )

    def cancel(self, execution_arn: str) -> None:
        execution = self._execution(execution_arn, "CancelTaskExecution")
        self.cancel_calls.append(execution_arn)
        if phases.is_terminal(execution.status):
            raise invalid_request("CancelTaskExecution", "The task execution has already finished.")
        if execution.status != phases.CANCELLING:
            execution.history.append((phases.CANCELLING, self.now))

    def task_name(self, task_arn: str) -> str | None:
        task = self.tasks.get(task_arn)
        return task.name if task else None

    def task(self, task_arn: str) -> TaskFacts:
        task = self.tasks.get(task_arn)
        if task is None:
            # The port names a failed DescribeTask by its operation and code, as the adapter does.
            raise TaskNotFound(Cause.of("DescribeTask", "InvalidRequestException", NOT_FOUND_MESSAGE))
        unfinished = [item for item in self.started(task_arn) if not phases.is_terminal(item.status)]
        running = [item for item in unfinished if item.status != "QUEUED"]
        status = "RUNNING" if running else "QUEUED" if unfinished else "AVAILABLE"
        if task.agent_offline:
            status = "UNAVAILABLE"
        started = self.started(task_arn)
        return TaskFacts(
            task_arn=task.arn,
            name=task.name,
            status=status,
            current_execution_arn=started[-1].arn if started else None,
            log_group_arn=task.log_group_arn,
            task_mode=task.task_mode,
            log_level=task.log_level,
            task_report_config=task.task_report_config,
            includes=task.includes,
            excludes=task.excludes,
            preserve_deleted_files=task.preserve_deleted_files,
            schedule=task.schedule,
            schedule_details=task.schedule_details,
        )

    @staticmethod
    def _filters_or_removal(task: FakeTask, request: SyncRequest) -> bool:
        removal = (request.overrides.option("PreserveDeletedFiles") or task.preserve_deleted_files) == "REMOVE"
        return bool(task.includes or task.excludes or request.includes or request.excludes or removal)

    def _busy(self, task_arn: str) -> bool:
        return any(not phases.is_terminal(item.status) for item in self.started(task_arn))

    def _execution(self, execution_arn: str, operation: str) -> FakeExecution:
        execution = self.executions.get(execution_arn)
        if execution is None:
            raise invalid_request(operation, "Request references a resource which does not exist.")
        return execution


# -- the run ledger ---------------------------------------------------------------------------------------


def to_millisecond(moment: datetime) -> datetime:
    """What the ledger keeps of a time: UTC, to the millisecond (DynamoDB stores epoch milliseconds)."""
    return datetime.fromtimestamp(int(moment.timestamp() * 1000) / 1000, tz=UTC)


@dataclass
class _Entry:
    task_arn: str
    workflow_execution: str | None = None
    attempt: int = 1
    started_at: datetime | None = None
    phase_times: dict[str, datetime] = field(default_factory=dict)
    event_statuses: set[str] = field(default_factory=set)
    token: str | None = None
    cancel_requested_at: datetime | None = None
    watchdog_note: str | None = None


class FakeLedger:
    """The run ledger in a dict, one lock around every write (DynamoDB's single-item atomicity)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, _Entry] = {}
        self._runs: dict[str, RunHistoryEntry] = {}
        self.claims: list[tuple[str, str | None]] = []  # (execution, what the claim got)

    def _entry(self, execution_arn: str) -> _Entry:
        return self._entries.setdefault(execution_arn, _Entry(task_arn_of(execution_arn)))

    def register_start(
        self, execution_arn: str, workflow_execution: str | None, at: datetime, attempt: int = 1
    ) -> None:
        with self._lock:
            entry = self._entry(execution_arn)
            entry.task_arn = task_arn_of(execution_arn)
            entry.started_at = to_millisecond(at)
            entry.attempt = attempt
            if workflow_execution:
                entry.workflow_execution = workflow_execution

    def record_status(self, execution_arn: str, status: str, at: datetime, *, from_event: bool = False) -> None:
        if not phases.is_well_formed(status):
            raise ValueError(f"not a DataSync status: {status!r}")
        with self._lock:
            entry = self._entry(execution_arn)
            if from_event:
                entry.event_statuses.add(status)
            moment = to_millisecond(at)
            known = entry.phase_times.get(status)
            if known is None or known > moment:
                entry.phase_times[status] = moment

    def store_token(self, execution_arn: str, token: str, at: datetime) -> None:
        with self._lock:
            self._entry(execution_arn).token = token

    def claim_token(self, execution_arn: str) -> str | None:
        with self._lock:
            entry = self._entries.get(execution_arn)
            token = entry.token if entry else None
            if entry is not None:
                entry.token = None
            self.claims.append((execution_arn, token))
            return token

    def restore_token(self, execution_arn: str, token: str) -> None:
        with self._lock:
            entry = self._entry(execution_arn)
            if entry.token is None:
                entry.token = token

    def note_cancel(self, execution_arn: str, note: str, at: datetime) -> None:
        with self._lock:
            entry = self._entry(execution_arn)
            if entry.cancel_requested_at is None:
                entry.cancel_requested_at = to_millisecond(at)
            if entry.watchdog_note is None:
                entry.watchdog_note = note

    def get(self, execution_arn: str) -> TaskExecutionRecord | None:
        with self._lock:
            entry = self._entries.get(execution_arn)
            if entry is None:
                return None
            return TaskExecutionRecord(
                execution_arn=execution_arn,
                task_arn=entry.task_arn,
                workflow_execution=entry.workflow_execution,
                attempt=entry.attempt,
                started_at=entry.started_at,
                phase_times=dict(entry.phase_times),
                event_statuses=frozenset(entry.event_statuses),
                cancel_requested_at=entry.cancel_requested_at,
                watchdog_note=entry.watchdog_note,
            )

    def record_run(self, entry: RunHistoryEntry) -> None:
        with self._lock:
            self._runs[entry.workflow_execution] = replace(
                entry,
                started_at=to_millisecond(entry.started_at),
                ended_at=to_millisecond(entry.ended_at),
                scheduled_time=to_millisecond(entry.scheduled_time) if entry.scheduled_time else None,
                failures=dict(entry.failures),
            )

    def history(
        self, task_arn: str | None = None, limit: int = 10, *, schedule: str | None = None
    ) -> list[RunHistoryEntry]:
        with self._lock:
            runs = [
                run
                for run in self._runs.values()
                if (task_arn is None or run.task_arn == task_arn) and (schedule is None or run.schedule == schedule)
            ]
        return sorted(runs, key=lambda run: run.ended_at, reverse=True)[:limit]

    def run(self, workflow_execution: str) -> RunHistoryEntry | None:
        with self._lock:
            return self._runs.get(workflow_execution)

    def token_of(self, execution_arn: str) -> str | None:
        """The token parked on the execution now (a test's look, not a claim)."""
        with self._lock:
            entry = self._entries.get(execution_arn)
            return entry.token if entry else None


# -- Step Functions callbacks -----------------------------------------------------------------------------


class FakeTaskLease:
    """Task leases in a dict, one lock around every write (DynamoDB's conditional write is atomic).
    Times to the second, as the adapter stores them; an ended lease stays stored (TTL is lazy)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._leases: dict[str, LeaseHolder] = {}
        self.refusals: list[tuple[str, str]] = []  # (task, the owner that was refused)

    def acquire(self, task_arn: str, owner: str, now: datetime, until: datetime, request: str) -> LeaseHolder | None:
        with self._lock:
            held = self._leases.get(task_arn)
            if held is not None and held.owner != owner and held.expires_at >= now.replace(microsecond=0):
                self.refusals.append((task_arn, owner))
                return held
            self._leases[task_arn] = LeaseHolder(owner, request, until.replace(microsecond=0))
            return None

    def renew(self, task_arn: str, owner: str, now: datetime, until: datetime) -> bool:
        with self._lock:
            held = self._leases.get(task_arn)
            if held is None or held.owner != owner:
                return False
            self._leases[task_arn] = replace(held, expires_at=until.replace(microsecond=0))
            return True

    def release(self, task_arn: str, owner: str) -> None:
        with self._lock:
            held = self._leases.get(task_arn)
            if held is not None and held.owner == owner:
                del self._leases[task_arn]

    def holder(self, task_arn: str) -> LeaseHolder | None:
        with self._lock:
            return self._leases.get(task_arn)


class FakeCallbacks:
    """Step Functions' waiting tasks: a token is valid from `issue` until it is used or expired."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: set[str] = set()
        self.resumed: list[tuple[str, Any]] = []  # (token, output) Step Functions took
        self.refused: list[str] = []  # tokens that were no longer valid
        self.failures: list[Exception] = []  # the next resumes raise these (an outage, throttling)

    def issue(self, token: str) -> str:
        """A task starts waiting on `token` (what `.waitForTaskToken` does)."""
        with self._lock:
            self._waiting.add(token)
        return token

    def expire(self, token: str) -> None:
        """The waiting task timed out (its TimeoutSeconds passed)."""
        with self._lock:
            self._waiting.discard(token)

    def resume(self, token: str, output: Any) -> bool:
        encoded = json.dumps(output)  # the adapter sends JSON: what cannot be encoded fails here too
        with self._lock:
            if self.failures:
                raise self.failures.pop(0)
            if token not in self._waiting:
                self.refused.append(token)
                return False
            self._waiting.discard(token)
            self.resumed.append((token, json.loads(encoded)))
            return True


# -- S3: line uploads, failure reports, task reports ----------------------------------------------------


class FakeBucket:
    """S3 objects in memory: what the manifest uploads and failure sinks wrote, and task reports to read."""

    def __init__(self, name: str = "failure-reports") -> None:
        self.name = name
        self.objects: dict[str, bytes] = {}
        self.aborted: list[str] = []

    def location(self, key: str) -> str:
        return f"s3://{self.name}/{key}"

    def line_upload(self, key: str) -> FakeLineUpload:
        return FakeLineUpload(self, key)

    def failure_sink(self, key: str) -> FakeFailureSink:
        return FakeFailureSink(self, key)

    def read_failures(self, location: str) -> Iterator[dict[str, Any]]:
        """The failure report at `location`, item by item (`RetryPorts.failures`)."""
        key = location.removeprefix(f"s3://{self.name}/")
        for line in self.objects[key].splitlines():
            if line.strip():
                yield json.loads(line)

    def failures_if_any(self, location: str) -> Iterator[dict[str, Any]] | None:
        """The failure report at `location`, None when there is no such object."""
        return self.read_failures(location) if location.removeprefix(f"s3://{self.name}/") in self.objects else None

    def text(self, key: str) -> str:
        return self.objects[key].decode()


class FakeLineUpload:
    def __init__(self, bucket: FakeBucket, key: str) -> None:
        self._bucket = bucket
        self.key = key

    def write(self, lines: Iterable[bytes]) -> str:
        written: list[bytes] = []
        try:
            for line in lines:
                written.append(bytes(line))
        except BaseException:
            self._bucket.aborted.append(self.key)  # nothing half-written is left
            raise
        self._bucket.objects[self.key] = b"".join(written)
        return self._bucket.location(self.key)


class FakeFailureSink:
    """The failure report as `S3FailureReport` writes it: JSON Lines, one failure a line; no object
    without a failure."""

    def __init__(self, bucket: FakeBucket, key: str) -> None:
        self._upload = FakeLineUpload(bucket, key)

    def store(self, failures: Iterable[FileFailure]) -> str | None:
        remaining = iter(failures)
        first = next(remaining, None)
        if first is None:
            return None
        return self._upload.write(failure_line(failure) for failure in itertools.chain((first,), remaining))


class FakeTaskReports:
    """DataSync's detailed task reports, by bucket and key."""

    def __init__(self) -> None:
        self.documents: dict[tuple[str, str], Any] = {}

    def put(self, bucket: str, key: str, document: Any) -> None:
        self.documents[(bucket, key)] = document

    def detailed_documents(self, bucket: str, prefix: str) -> Iterator[Any]:
        for (where, key), document in sorted(self.documents.items()):
            if where == bucket and key.startswith(prefix) and key.endswith(".json"):
                yield document

    def has_detailed(self, bucket: str, prefix: str) -> bool:
        return next(self.detailed_documents(bucket, prefix), None) is not None


class FakeLogs:
    """CloudWatch Logs groups of (time, stream, message) events. Like moto, it ignores the filter
    pattern: the parser must be right whether or not the server filters."""

    def __init__(self) -> None:
        self.groups: dict[str, list[tuple[datetime, str, str]]] = {}

    def put(self, group: str, stream: str, at: datetime, *messages: str) -> None:
        self.groups.setdefault(group, []).extend((at, stream, message) for message in messages)

    def events(
        self, log_group: str, start: datetime, end: datetime, filter_pattern: str | None = None
    ) -> Iterator[tuple[str, str]]:
        if log_group not in self.groups:
            raise LogGroupMissing(log_group)
        for at, stream, message in self.groups[log_group]:
            if start <= at <= end:
                yield message, stream


# -- SNS: the notification topic --------------------------------------------------------------------------

# docs/aws-facts.md#sns-subject, docs/aws-facts.md#sns-message-size
SUBJECT_TOO_LONG = 100
MESSAGE_SIZE_LIMIT = 262_144
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class PublishedMessage:
    message_id: str
    subject: str
    renderings: dict[str, str]  # protocol -> the text that protocol's subscribers get
    attributes: dict[str, dict[str, str]]


class FakeEventBus:
    """The event bus: keeps every event it took, as EventBridge delivers them; refuses what PutEvents
    documents it refuses (an entry over 256 KB, a Detail that is not a JSON object, a Source starting
    with "aws.") with `NotEmitted`, as the adapter reports a failed entry."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []
        self.failures: list[Exception] = []  # the next puts raise these (EventBridge down)

    def put(self, entry: EventEntry) -> str:
        if self.failures:
            raise self.failures.pop(0)
        size = sum(len(part.encode()) for part in (entry.source, entry.detail_type, entry.detail, *entry.resources))
        try:
            detail = json.loads(entry.detail)
        except ValueError:
            detail = None
        if size > 256 * 1024 or not isinstance(detail, dict) or entry.source.startswith("aws."):
            raise NotEmitted("ValidationException: the entry was refused")
        event_id = str(uuid.uuid4())
        self.events.append(
            {
                "id": event_id,
                "source": entry.source,
                "detail-type": entry.detail_type,
                "resources": list(entry.resources),
                "detail": detail,
            }
        )
        return event_id


class FakeTopic:
    """The notification topic: keeps every message it took; refuses what SNS documents it refuses
    (a Subject of 100 characters or more, or with a control character; body and attributes over
    256 KiB) as the adapter reports it, with `NotPublished`."""

    def __init__(self) -> None:
        self.published: list[PublishedMessage] = []
        self.failures: list[Exception] = []  # the next publishes raise these (SNS down, KMS refusing)

    def publish(self, *, subject: str, structured: str, attributes: Mapping[str, Mapping[str, str]]) -> str:
        if self.failures:
            raise self.failures.pop(0)
        if len(subject) >= SUBJECT_TOO_LONG or _CONTROL.search(subject):
            raise NotPublished("InvalidParameter", "Invalid parameter: Subject")
        size = len(structured.encode()) + sum(
            len(name.encode()) + sum(len(str(part).encode()) for part in value.values())
            for name, value in attributes.items()
        )
        if size > MESSAGE_SIZE_LIMIT:
            raise NotPublished("InvalidParameter", "Invalid parameter: Message too long")
        renderings = json.loads(structured)
        if not isinstance(renderings, dict) or "default" not in renderings:
            # docs/aws-facts.md#sns-message-structure
            raise NotPublished("InvalidParameter", "Invalid parameter: Message Structure - no default entry")
        message = PublishedMessage(
            str(uuid.uuid4()),
            subject,
            {str(key): str(value) for key, value in renderings.items()},
            {name: dict(value) for name, value in attributes.items()},
        )
        self.published.append(message)
        return message.message_id


class FakeScheduleBook:
    """The schedules file as deployed: the one given."""

    def __init__(self, schedules: SchedulesFile | None = None) -> None:
        self.file = schedules or SchedulesFile()

    def schedules(self) -> SchedulesFile:
        return self.file


class FakeScheduleGroup:
    """A schedule group in memory; `calls` records each change, in order."""

    def __init__(self, deployed: Iterable[DeployedSchedule] = ()) -> None:
        self.held = {schedule.name: schedule for schedule in deployed}
        self.calls: list[tuple[str, str]] = []

    def deployed(self) -> dict[str, DeployedSchedule]:
        return dict(self.held)

    def create(self, schedule: DeployedSchedule) -> None:
        self.calls.append(("create", schedule.name))
        self.held[schedule.name] = schedule

    def update(self, schedule: DeployedSchedule) -> None:
        self.calls.append(("update", schedule.name))
        self.held[schedule.name] = schedule

    def delete(self, name: str) -> None:
        self.calls.append(("delete", name))
        self.held.pop(name, None)


# The fakes satisfy the ports: mypy checks these lines (tests/fakes.py is in its `files`).
_datasync: DataSyncPort = FakeDataSync()
_ledger: LedgerPort = FakeLedger()
_history: RunHistory = FakeLedger()
_callbacks: CallbackPort = FakeCallbacks()
_upload: LineUpload = FakeBucket().line_upload("k")
_sink: FailureSink = FakeBucket().failure_sink("k")
_reports: ReportSource = FakeTaskReports()
_logs: LogSource = FakeLogs()
_topic: TopicPort = FakeTopic()


# -- Schedules, tags and a batch's objects ------------------------------------------------------------


class FakeScheduleFile:
    """The schedules file as deployed, from its raw content: parsed on each read, so a broken file
    raises as the real adapter does (InvalidSchedules naming the schedule and field)."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def schedules(self) -> Any:
        from datasync_scheduler.domain.schedules import parse_schedules

        return parse_schedules(self.raw)


class FakeTaggedTasks:
    """DataSync tasks and their tags, as ListTasks and ListTagsForResource would answer."""

    def __init__(self, tags: dict[str, dict[str, str]] | None = None) -> None:
        self.tags: dict[str, dict[str, str]] = dict(tags or {})
        self.calls = 0

    def tag(self, task_arn: str, key: str, value: str) -> None:
        self.tags.setdefault(task_arn, {})[key] = value

    def tagged(self, key: str, value: str, where: Where) -> list[str]:
        self.calls += 1
        return sorted(arn for arn, tags in self.tags.items() if tags.get(key) == value and Where.of_arn(arn) == where)


class FakeFiringArrivals:
    """Each firing's first arrival, keyed by schedule and scheduled instant."""

    def __init__(self) -> None:
        self.arrivals: dict[tuple[str, datetime], FiringArrival] = {}

    def record(self, schedule: str, scheduled_time: datetime, batch_execution: str, *, arrived_at: datetime) -> bool:
        key = (schedule, scheduled_time.astimezone(UTC))
        if key in self.arrivals:
            return False
        self.arrivals[key] = FiringArrival(schedule, scheduled_time.astimezone(UTC), batch_execution, arrived_at)
        return True

    def arrived(self, schedule: str, scheduled_times: Sequence[datetime]) -> list[FiringArrival]:
        keys = dict.fromkeys((schedule, time.astimezone(UTC)) for time in scheduled_times)
        return [self.arrivals[key] for key in keys if key in self.arrivals]


class FakeHealthNotices:
    """The Health Check's notices: claimed, then sent, as the ledger keeps them (a claim older than
    the adapter's CLAIM_LIFETIME is taken over)."""

    def __init__(self) -> None:
        self.claimed: dict[str, datetime] = {}
        self.sent_ids: dict[str, str] = {}

    def was_sent(self, key: str) -> bool:
        return key in self.sent_ids

    def claim(self, key: str, now: datetime) -> bool:
        if key in self.sent_ids or (key in self.claimed and self.claimed[key] >= now - CLAIM_LIFETIME):
            return False
        self.claimed[key] = now
        return True

    def sent(self, key: str, message_id: str, at: datetime) -> None:
        self.sent_ids[key] = message_id

    def release(self, key: str) -> None:
        if key not in self.sent_ids:
            self.claimed.pop(key, None)


class FakeBatchObjects:
    """A batch's JSON objects in memory, under one bucket."""

    def __init__(self, bucket: str = "failure-reports") -> None:
        self.bucket = bucket
        self.objects: dict[tuple[str, str], bytes] = {}

    def put_json(self, key: str, document: Any) -> tuple[str, str]:
        self.objects[(self.bucket, key)] = json.dumps(document).encode()
        return self.bucket, key

    def get_json(self, bucket: str, key: str) -> Any:
        if (bucket, key) not in self.objects:
            raise ApiCallFailed(Cause.of("GetObject", "NoSuchKey", f"no object {key}"))
        return json.loads(self.objects[(bucket, key)])


_schedule_book: ScheduleBook = FakeScheduleBook()
_schedule_group: ScheduleGroupPort = FakeScheduleGroup()
