"""A local AWS DataSync behind the real boto3 API, driven by virtual time.

`DataSyncEmulator.handle` serves DataSync calls through `emulator.aws_hooks`; executions walk their
scripted phases only when the virtual clock advances them (`advance_to`), emitting EventBridge-shaped
state-change events and writing CloudWatch Logs lines in DataSync's formats on the way, and task
reports to S3 when an execution ends (`emulator.datasync_reports`). Behaviour
follows `docs/aws-facts.md`, which gives the source of each fact; where DataSync's behaviour is
undocumented, the choice made here says "invented" or "undocumented" next to it. Every response is
checked against botocore's output shape, so the emulator cannot drift from the real API.
"""

from __future__ import annotations

import copy
import csv
import functools
import hashlib
import heapq
import io
import itertools
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from botocore.exceptions import ClientError

from emulator.clock import VirtualClock
from emulator.datasync_logs import FailedFile, LogStream, basic_lines, enhanced_line, write_events
from emulator.datasync_reports import (
    MAX_REPORT_OBJECT_BYTES,
    ExecutionFacts,
    ReportDestination,
    ReportObject,
    report_objects,
    write_report,
)
from emulator.datasync_script import DEFAULT_SCRIPT, PHASES, TERMINAL_STATUSES, ExecutionScript, Phase
from emulator.datasync_shapes import input_problems, validate_output
from emulator.service_errors import EmulatedServiceError

# How DataSync names its log streams is not documented (docs/aws-facts.md#attribution-and-datasyncs-own-counters):
# "execution" names each stream after its execution; "unnamed" gives each a name that names no execution.
LOG_STREAM_NAMINGS = frozenset({"execution", "unnamed"})
MAX_QUEUED_EXECUTIONS_PER_TASK = 50  # DataSync quota [UG datasync-limits]
MANIFEST_PATH_BYTES = 1024  # per manifest path [UG transferring-with-manifest]
_MAX_TAGS = 50  # InputTagList max in the API model
_DEFAULT_PAGE_SIZE = 100  # the API's MaxResults maximum; DataSync's own default is undocumented
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

# Option defaults from the API model's documentation, except LogLevel, whose default AWS does not
# document: OFF, as the analysis reads it (docs/aws-facts.md#datasync-executions-and-events).
# Enhanced mode defaults VerifyMode to ONLY_FILES_TRANSFERRED.
_DEFAULT_OPTIONS: dict[str, Any] = {
    "VerifyMode": "POINT_IN_TIME_CONSISTENT",
    "OverwriteMode": "ALWAYS",
    "Atime": "BEST_EFFORT",
    "Mtime": "PRESERVE",
    "Uid": "INT_VALUE",
    "Gid": "INT_VALUE",
    "PreserveDeletedFiles": "PRESERVE",
    "PreserveDevices": "NONE",
    "PosixPermissions": "PRESERVE",
    "BytesPerSecond": -1,
    "TaskQueueing": "ENABLED",
    "LogLevel": "OFF",
    "TransferMode": "CHANGED",
    "SecurityDescriptorCopyFlags": "OWNER_DACL",
    "ObjectTags": "PRESERVE",
    "ObjectMetadata": "PRESERVE",
}
# CreateTask members that DescribeTask echoes as given.
_ECHOED_TASK_MEMBERS = (
    "Name",
    "SourceLocationArn",
    "DestinationLocationArn",
    "CloudWatchLogGroupArn",
    "Excludes",
    "Includes",
    "Schedule",
    "ManifestConfig",
    "TaskReportConfig",
)
# StartTaskExecution members that replace the task's own for that execution.
_EXECUTION_OVERRIDES = ("Includes", "Excludes", "ManifestConfig", "TaskReportConfig")

# InvalidRequestException carries `errorCode` (and `datasyncErrorCode`) next to its message; their
# real values are undocumented, so the codes below are invented. Only the not-found wording is real.
_NOT_FOUND_MESSAGE = "Request references a resource which does not exist."


# -- the read-only view for tests and reports ---------------------------------------------------------------


@dataclass(frozen=True)
class ExecutionRecord:
    arn: str
    task_arn: str
    status_history: tuple[tuple[str, datetime], ...]  # (status, virtual time it was entered)
    start_params: Mapping[str, Any]  # the StartTaskExecution request as the caller sent it
    deleted: bool = False  # its task was deleted: DataSync no longer describes it

    @property
    def status(self) -> str:
        return self.status_history[-1][0]


# -- internal state ---------------------------------------------------------------------------------------


@dataclass
class _Effects:
    """What a processed change does outside the emulator: events to emit, log lines and reports to write."""

    events: list[dict[str, Any]] = field(default_factory=list)
    log_writes: list[tuple[LogStream, list[tuple[int, str]]]] = field(default_factory=list)
    reports: list[tuple[_Execution, ReportDestination, list[ReportObject]]] = field(default_factory=list)


@dataclass(order=True)
class _Change:
    at: datetime
    seq: int
    apply: Callable[[datetime], _Effects] = field(compare=False)
    stale: bool = field(default=False, compare=False)  # superseded (by a cancel): skipped when due


@dataclass(eq=False)
class _Task:
    arn: str
    mode: str
    options: dict[str, Any]
    config: dict[str, Any]  # the CreateTask members DescribeTask echoes
    created: datetime
    scripts: list[ExecutionScript] = field(default_factory=list)
    started: int = 0
    queue: deque[_Execution] = field(default_factory=deque)
    running: _Execution | None = None  # from leaving QUEUED until terminal: one per task
    current_execution_arn: str | None = None
    # DeleteTask was called: DataSync knows neither the task nor its executions any more.
    deleted: bool = False


@dataclass(eq=False)
class _Execution:
    arn: str
    task: _Task
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
    pending: _Change | None = None  # the scheduled end of the current phase, or of CANCELLING
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


# -- the emulator ---------------------------------------------------------------------------------------------


class DataSyncEmulator:
    """DataSync's task and execution API over virtual time (implements `emulator.clock.TimeDriven`)."""

    def __init__(
        self,
        clock: VirtualClock,
        *,
        region: str = "us-east-1",
        account_id: str = "123456789012",
        event_sink: Callable[[dict[str, Any]], None] = lambda event: None,
        logs_client_factory: Callable[[], Any] | None = None,
        s3_client_factory: Callable[[], Any] | None = None,
        report_max_object_bytes: int = MAX_REPORT_OBJECT_BYTES,
        log_stream_names: str = "execution",
    ) -> None:
        self._clock = clock
        self._region = region
        self._account_id = account_id
        self._event_sink = event_sink
        # None: no logs are written at all. Called once per advance that writes, so each client is
        # created in whatever AWS context (e.g. moto's mock) is active at that moment.
        self._logs_client_factory = logs_client_factory
        if log_stream_names not in LOG_STREAM_NAMINGS:
            raise ValueError(f"log_stream_names must be one of {sorted(LOG_STREAM_NAMINGS)}")
        self.log_stream_names = log_stream_names
        # Likewise for task reports: None means no reports, and no ReportResult, at all. The size limit
        # of one report object is DataSync's 5 MB unless a test wants small reports split; a limit too
        # small for a single item raises ValueError when the execution ends.
        if report_max_object_bytes <= 0:
            raise ValueError("report_max_object_bytes must be positive")
        self._s3_client_factory = s3_client_factory
        self._report_max_object_bytes = report_max_object_bytes
        self._lock = threading.RLock()
        # How many StartTaskExecution responses to lose after the execution was created (scenarios).
        self.lost_start_responses = 0
        # What a start gets whose filters and manifest equal those of an execution the task already
        # runs or queues: DataSync documents queueing only for different filters or manifests, so
        # either reading can be chosen ("queue" or "refuse"; docs/aws-facts.md#datasync-manifests-and-retries).
        self.identical_start_while_busy: Literal["queue", "refuse"] = "queue"
        self._changes: list[_Change] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)
        self._locations: set[str] = set()
        self._tasks: dict[str, _Task] = {}
        self._executions: dict[str, _Execution] = {}
        self._tags: dict[str, list[dict[str, str]]] = {}
        self._operations: dict[str, Callable[[dict[str, Any], datetime], dict[str, Any]]] = {
            "CreateTask": self._create_task,
            "DeleteTask": self._delete_task,
            "DescribeTask": self._describe_task,
            "ListTasks": self._list_tasks,
            "StartTaskExecution": self._start_task_execution,
            "DescribeTaskExecution": self._describe_task_execution,
            "CancelTaskExecution": self._cancel_task_execution,
            "ListTaskExecutions": self._list_task_executions,
            "ListTagsForResource": self._list_tags_for_resource,
            "TagResource": self._tag_resource,
            "UntagResource": self._untag_resource,
        }

    # -- the aws_hooks ServiceHandler ----------------------------------------------------------------------

    def handle(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        """Serves one DataSync API call; raises EmulatedServiceError as DataSync would fail it."""
        handler = self._operations.get(operation)
        if handler is None and operation.startswith("CreateLocation"):
            handler = self._create_location
        if handler is None:
            raise NotImplementedError(f"the DataSync emulator does not implement {operation}")
        _check_input(operation, params)
        if operation == "StartTaskExecution":
            # Read before taking the lock, like the time below: S3 is another backend.
            handler = functools.partial(self._start_task_execution, manifest_problem=self._manifest_problem(params))
        # Time is read before taking the emulator's lock: the clock's driver holds the clock's lock
        # while it asks for next_change_at, so the opposite order could deadlock.
        now = self._clock.now()
        with self._lock:
            response = handler(params, now)
        validate_output(operation, response)
        return copy.deepcopy(response)

    # -- scripting and inspection ------------------------------------------------------------------------

    def script_task(self, task_arn: str, scripts: list[ExecutionScript]) -> None:
        """Sets how the n-th execution started on the task behaves (counting from its first); the last repeats.

        Executions of a task that was never scripted follow DEFAULT_SCRIPT.
        """
        if not scripts:
            raise ValueError("give at least one script")
        with self._lock:
            if task_arn not in self._tasks:
                raise ValueError(f"no task {task_arn}")
            self._tasks[task_arn].scripts = list(scripts)

    def executions(self) -> list[ExecutionRecord]:
        """Every execution started so far, in start order."""
        with self._lock:
            return [
                ExecutionRecord(
                    execution.arn,
                    execution.task.arn,
                    tuple(execution.history),
                    copy.deepcopy(execution.start_params),
                    deleted=execution.task.deleted,
                )
                for execution in self._executions.values()
            ]

    # -- TimeDriven --------------------------------------------------------------------------------------

    def next_change_at(self) -> datetime | None:
        """The earliest pending change: a status change, an event still to emit, or log lines to write."""
        with self._lock:
            while self._changes and self._changes[0].stale:
                heapq.heappop(self._changes)
            return self._changes[0].at if self._changes else None

    def advance_to(self, now: datetime) -> None:
        """Applies every change due at or before `now` in time order, emitting events and writing logs
        and reports."""
        logs_client: Any = None
        s3_client: Any = None
        while True:
            with self._lock:
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
                with self._lock:
                    execution.report_result = result
            for event in effects.events:
                self._event_sink(event)
            for stream, lines in effects.log_writes:
                if logs_client is None:
                    logs_client = self._new_logs_client()
                write_events(logs_client, stream, lines)

    def _pop_due(self, now: datetime) -> _Change | None:
        while self._changes and (self._changes[0].stale or self._changes[0].at <= now):
            change = heapq.heappop(self._changes)
            if not change.stale:
                return change
        return None

    def _schedule(self, at: datetime, apply: Callable[[datetime], _Effects]) -> _Change:
        change = _Change(at, next(self._seq), apply)
        heapq.heappush(self._changes, change)
        return change

    def _new_logs_client(self) -> Any:
        assert self._logs_client_factory is not None  # no log stream is planned without a factory
        return self._logs_client_factory()

    def _new_s3_client(self) -> Any:
        assert self._s3_client_factory is not None  # no report is planned without a factory
        return self._s3_client_factory()

    # -- locations and tasks -------------------------------------------------------------------------------

    def _create_location(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        arn = f"arn:aws:datasync:{self._region}:{self._account_id}:location/loc-{self._new_id('location')}"
        self._locations.add(arn)
        self._tags[arn] = list(params.get("Tags", []))
        return {"LocationArn": arn}

    def _create_task(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        for key in ("SourceLocationArn", "DestinationLocationArn"):
            if params[key] not in self._locations:
                raise _not_found()
        mode = params.get("TaskMode", "BASIC")
        options = {**_default_options(mode), **params.get("Options", {})}
        config = {key: params[key] for key in _ECHOED_TASK_MEMBERS if key in params}
        _check_option_combination(options, config, mode)
        arn = f"arn:aws:datasync:{self._region}:{self._account_id}:task/task-{self._new_id('task')}"
        self._tasks[arn] = _Task(arn, mode, options, config, now)
        self._tags[arn] = list(params.get("Tags", []))
        return {"TaskArn": arn}

    def _delete_task(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        self._delete(self._task(params["TaskArn"]))
        return {}

    def delete_task_at(self, task_arn: str, at: datetime) -> None:
        """Someone deletes the task at virtual time `at` (a scenario's `deleteTaskAtSeconds`)."""
        with self._lock:
            task = self._task(task_arn)
            self._schedule(at, lambda then: self._delete(task))

    def _delete(self, task: _Task) -> _Effects:
        """Not documented: what DeleteTask does to an execution that is running or queued
        (docs/aws-facts.md#deleted-tasks). The emulator takes the reading hardest on a watcher: the
        task and every one of its executions are gone at once (DescribeTask and DescribeTaskExecution
        answer InvalidRequestException, as for any resource DataSync does not know), and no event,
        log line or report follows."""
        task.deleted = True
        self._tasks.pop(task.arn, None)
        for execution in self._executions.values():
            if execution.task is task and execution.pending is not None:
                execution.pending.stale = True
                execution.pending = None
        task.queue.clear()
        task.running = None
        return _Effects()

    def _describe_task(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        task = self._task(params["TaskArn"])
        response = {
            "TaskArn": task.arn,
            "Status": _task_status(task),
            "Options": dict(task.options),
            "CreationTime": task.created,
            "TaskMode": task.mode,
            **copy.deepcopy(task.config),
        }
        if task.current_execution_arn is not None:
            response["CurrentTaskExecutionArn"] = task.current_execution_arn
        return response

    def _list_tasks(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        if params.get("Filters"):
            raise NotImplementedError("the DataSync emulator does not filter ListTasks")
        entries = []
        for task in self._tasks.values():
            entry = {"TaskArn": task.arn, "Status": _task_status(task), "TaskMode": task.mode}
            if "Name" in task.config:
                entry["Name"] = task.config["Name"]
            entries.append(entry)
        return _page("Tasks", entries, params)

    # -- executions ----------------------------------------------------------------------------------------

    def _manifest_problem(self, params: Mapping[str, Any]) -> str | None:
        """What in the execution's manifest DataSync's guide rules out: a directory, or a path over
        1,024 bytes (docs/aws-facts.md#datasync-manifests-and-retries). None without a manifest, or
        without S3 to read it from."""
        with self._lock:
            task = self._tasks.get(params["TaskArn"])
            config = params.get("ManifestConfig") or (task.config.get("ManifestConfig") if task else None)
        source = ((config or {}).get("Source") or {}).get("S3")
        if not source or self._s3_client_factory is None:
            return None
        bucket = str(source["S3BucketArn"]).split(":::", 1)[-1].split("/", 1)[0]
        try:
            body = self._new_s3_client().get_object(Bucket=bucket, Key=source["ManifestObjectPath"])["Body"].read()
        except ClientError as error:
            return f"the manifest s3://{bucket}/{source['ManifestObjectPath']} cannot be read ({error})"
        for row in csv.reader(io.StringIO(body.decode("utf-8"), newline="")):
            if not row:
                continue
            path = row[0]
            if len(path.encode()) > MANIFEST_PATH_BYTES:
                return f"the manifest path {path[:60]}... is over {MANIFEST_PATH_BYTES} bytes"
            if path.endswith("/"):
                return f"the manifest names the directory {path}"
        return None

    def _start_task_execution(
        self, params: dict[str, Any], now: datetime, manifest_problem: str | None = None
    ) -> dict[str, Any]:
        task = self._task(params["TaskArn"])
        options = {**task.options, **params.get("OverrideOptions", {})}
        overrides = {
            key: params.get(key, task.config.get(key))
            for key in _EXECUTION_OVERRIDES
            if key in params or key in task.config
        }
        _check_option_combination(options, overrides, task.mode)
        if options["TaskQueueing"] == "DISABLED" and (task.running is not None or task.queue):
            # Undocumented what DataSync answers here (docs/aws-facts.md#datasync-manifests-and-retries):
            # message and code are invented.
            raise _invalid(
                "The task already has a running or queued execution and TaskQueueing is DISABLED.", "TaskBusy"
            )
        if self.identical_start_while_busy == "refuse" and any(
            _what_is_transferred(other.overrides) == _what_is_transferred(overrides)
            for other in (task.running, *task.queue)
            if other is not None
        ):
            raise _invalid(
                "The task is already running an execution with the same filters and manifest.",  # invented
                "TaskAlreadyRunning",
            )
        if len(task.queue) >= MAX_QUEUED_EXECUTIONS_PER_TASK:
            raise _invalid(
                f"The task already has {MAX_QUEUED_EXECUTIONS_PER_TASK} queued executions.",  # invented
                "TaskQueueFull",
            )
        script = task.scripts[min(task.started, len(task.scripts) - 1)] if task.scripts else DEFAULT_SCRIPT
        if manifest_problem is not None:
            # The guide rules such a manifest out without saying how DataSync fails it: here the
            # execution fails while preparing, the strictest reading (error code and wording invented).
            script = ExecutionScript(
                phases=(Phase("LAUNCHING", 20), Phase("PREPARING", 5)),
                outcome="ERROR",
                error_code="InvalidManifest",
                error_detail=f"Manifest validation failed: {manifest_problem}.",
            )
        task.started += 1
        execution_id = f"exec-{self._new_id('execution')}"
        verifies = options["VerifyMode"] != "NONE"
        execution = _Execution(
            arn=f"{task.arn}/execution/{execution_id}",
            task=task,
            script=script,
            phases=tuple(phase for phase in script.phases if verifies or phase.status != "VERIFYING"),
            options=options,
            overrides=copy.deepcopy(overrides),
            start_params=copy.deepcopy(params),
            history=[("QUEUED", now)],
            log_stream=self._log_stream(task, options, execution_id),
        )
        if self._s3_client_factory is not None:
            execution.report = ReportDestination.from_config(overrides.get("TaskReportConfig"))
            if execution.report is not None:
                execution.report_result = {"Status": "PENDING"}
        self._executions[execution.arn] = execution
        self._tags[execution.arn] = list(params.get("Tags", []))
        task.queue.append(execution)
        task.current_execution_arn = execution.arn
        # Entering QUEUED is a state change too; its event and the dispatch are separate changes at the
        # same instant, so QUEUED is observable even on an idle task.
        self._schedule(now, lambda at: _Effects(events=[self._event(execution, "QUEUED", now)]))
        self._schedule(now, lambda at: self._dispatch(task, at))
        if self.lost_start_responses > 0:
            # A fault switch: the execution exists, but the caller never hears so (a timeout, a
            # dropped connection). What the caller then does decides whether it starts a second one.
            self.lost_start_responses -= 1
            raise EmulatedServiceError("InternalException", "the response to StartTaskExecution was lost", status=500)
        return {"TaskExecutionArn": execution.arn}

    def _describe_task_execution(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        execution = self._execution(params["TaskExecutionArn"])
        script = execution.script
        prepared = _passed(execution, "PREPARING")
        transferred_bytes = _progress(execution, "TRANSFERRING", script.byte_count, now)
        response: dict[str, Any] = {
            "TaskExecutionArn": execution.arn,
            "Status": execution.status,
            "Options": dict(execution.options),
            **copy.deepcopy(execution.overrides),
            "StartTime": execution.history[0][1],
            "EstimatedFilesToTransfer": script.file_count if prepared else 0,
            "EstimatedBytesToTransfer": script.byte_count if prepared else 0,
            "FilesTransferred": _progress(execution, "TRANSFERRING", script.file_count, now),
            "BytesWritten": transferred_bytes,
            "BytesTransferred": transferred_bytes,
            "BytesCompressed": transferred_bytes,  # as if nothing compressed: no sensible figure to script
            "FilesDeleted": 0,
            "FilesSkipped": 0,
            "FilesVerified": _progress(execution, "VERIFYING", script.file_count, now),
            "EstimatedFilesToDelete": 0,
            "Result": _result(execution),
            "TaskMode": execution.task.mode,
        }
        if execution.launch_time is not None:
            response["LaunchTime"] = execution.launch_time
        if execution.end_time is not None:
            response["EndTime"] = execution.end_time
        if execution.report_result is not None:
            response["ReportResult"] = dict(execution.report_result)
        if _lagging(execution, now):
            # Still the last phase, as DescribeTaskExecution answers for a while after the end.
            response["Status"] = execution.history[-2][0]
            response.pop("EndTime", None)
        if execution.task.mode == "ENHANCED":
            happened = [failed for at, failed in execution.failures if at <= now]
            response["FilesPrepared"] = script.file_count if prepared else 0
            response["FilesListed"] = {"AtSource": script.file_count if prepared else 0, "AtDestinationForDelete": 0}
            response["FilesFailed"] = {
                "Prepare": 0,
                "Transfer": sum(failed.phase == "TRANSFERRING" for failed in happened),
                "Verify": sum(failed.phase == "VERIFYING" for failed in happened),
                "Delete": 0,
            }
        return response

    def _cancel_task_execution(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        execution = self._execution(params["TaskExecutionArn"])
        if execution.status in TERMINAL_STATUSES:
            raise _invalid(
                "The task execution has already finished and cannot be cancelled.",  # invented wording
                "ExecutionFinished",
            )
        if execution.status == "CANCELLING":
            return {}  # undocumented; cancelling twice is taken as a harmless repeat
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
        self._schedule(now, lambda at: _Effects(events=[self._event(execution, "CANCELLING", now)]))
        if execution.log_stream is not None and execution.logged < len(execution.failures):
            self._schedule(now, lambda at: self._write_due_failures(execution, at))
        execution.pending = self._schedule(
            now + timedelta(seconds=execution.script.cancel_seconds), lambda at: self._end(execution, "ERROR", at)
        )
        return {}

    def _list_task_executions(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        task_arn = params.get("TaskArn")
        if task_arn is not None:
            self._task(task_arn)
        # Start order; DataSync's own order is undocumented.
        entries = [
            {"TaskExecutionArn": execution.arn, "Status": execution.status, "TaskMode": execution.task.mode}
            for execution in self._executions.values()
            if task_arn in (None, execution.task.arn) and not execution.task.deleted
        ]
        return _page("TaskExecutions", entries, params)

    # -- tags ----------------------------------------------------------------------------------------------

    def _list_tags_for_resource(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        return _page("Tags", copy.deepcopy(self._tagged(params["ResourceArn"])), params)

    def _tag_resource(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        tags = self._tagged(params["ResourceArn"])
        merged = {tag["Key"]: tag for tag in tags} | {tag["Key"]: tag for tag in params["Tags"]}
        if len(merged) > _MAX_TAGS:
            raise _invalid(f"A resource can have at most {_MAX_TAGS} tags.", "TooManyTags")  # invented wording
        tags[:] = merged.values()
        return {}

    def _untag_resource(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        tags = self._tagged(params["ResourceArn"])
        tags[:] = [tag for tag in tags if tag["Key"] not in params["Keys"]]
        return {}

    def _tagged(self, arn: str) -> list[dict[str, str]]:
        if arn not in self._tags:
            raise _not_found()
        return self._tags[arn]

    # -- the execution's walk through time -----------------------------------------------------------------

    def _dispatch(self, task: _Task, at: datetime) -> _Effects:
        """Lets the head of the task's queue start when nothing of the task runs."""
        if task.running is not None or not task.queue:
            return _Effects()
        execution = task.queue.popleft()
        task.running = execution
        execution.launch_time = at
        return self._enter_phase(execution, 0, at)

    def _enter_phase(self, execution: _Execution, index: int, at: datetime) -> _Effects:
        if index == len(execution.phases):
            if execution.script.outcome == "ERROR":
                # With outcome ERROR the last phase walked is the one that fails.
                execution.failed_phase = execution.phases[-1].status if execution.phases else None
            return self._end(execution, execution.script.outcome, at)
        phase = execution.phases[index]
        execution.history.append((phase.status, at))
        effects = _Effects(events=[self._event(execution, phase.status, at)])
        execution.pending = None
        if phase.duration is not None:
            end = at + phase.duration
            self._plan_failures(execution, phase.status, at, end)
            execution.pending = self._schedule(end, lambda then: self._enter_phase(execution, index + 1, then))
        # A phase that never ends plans no failures: nothing progresses in it.
        return effects

    def _end(self, execution: _Execution, status: str, at: datetime) -> _Effects:
        execution.history.append((status, at))
        execution.end_time = at
        execution.pending = None
        task = execution.task
        if task.running is execution:
            task.running = None
            self._schedule(at, lambda then: self._dispatch(task, then))
        effects = _Effects(events=[self._event(execution, status, at)])
        if execution.report is not None:
            objects = report_objects(execution.report, self._report_facts(execution), self._report_max_object_bytes)
            effects.reports.append((execution, execution.report, objects))
        return effects

    def _report_facts(self, execution: _Execution) -> ExecutionFacts:
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
            result=_result(execution),
            start_time=execution.history[0][1],
            launch_time=execution.launch_time,
            end_time=end,
            files_transferred=_progress(execution, "TRANSFERRING", script.file_count, end),
            bytes_transferred=_progress(execution, "TRANSFERRING", script.byte_count, end),
            files_verified=_progress(execution, "VERIFYING", script.file_count, end),
            sections=tuple(
                section
                for section, phase in (("Transferred", "TRANSFERRING"), ("Verified", "VERIFYING"))
                if _span(execution, phase) is not None
            ),
            failures=tuple(failed for moment, failed in execution.failures if moment <= end),
        )

    def _plan_failures(self, execution: _Execution, phase: str, start: datetime, end: datetime) -> None:
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
            self._schedule(moments[last], lambda at: self._write_due_failures(execution, at))

    def _write_due_failures(self, execution: _Execution, at: datetime) -> _Effects:
        due = execution.logged
        while due < len(execution.failures) and execution.failures[due][0] <= at:
            due += 1
        batch = execution.failures[execution.logged : due]
        execution.logged = due
        if not batch or execution.log_stream is None:
            return _Effects()
        lines = [(_epoch_ms(moment), line) for moment, failed in batch for line in self._log_lines(execution, failed)]
        return _Effects(log_writes=[(execution.log_stream, lines)])

    def _log_lines(self, execution: _Execution, failed: FailedFile) -> list[str]:
        if not failed.logged:
            return []
        if execution.task.mode == "ENHANCED":
            source, destination = (
                execution.task.config[key].rsplit("/", 1)[1] for key in ("SourceLocationArn", "DestinationLocationArn")
            )
            return [enhanced_line(failed, source, destination)]
        return basic_lines(failed)

    def _log_stream(self, task: _Task, options: Mapping[str, Any], execution_id: str) -> LogStream | None:
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
        if self.log_stream_names == "unnamed":
            return LogStream(group, f"aws-datasync-{uuid.uuid5(_EVENT_ID_NAMESPACE, execution_id).hex}")
        return LogStream(group, f"aws-datasync-{execution_id}")

    def _event(self, execution: _Execution, status: str, at: datetime) -> dict[str, Any]:
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

    # -- lookups -------------------------------------------------------------------------------------------

    def _new_id(self, kind: str) -> str:
        """17 hex digits, like DataSync's ids, from a counter: the same calls give the same ARNs every run."""
        return hashlib.sha256(f"{kind}:{next(self._ids)}".encode()).hexdigest()[:17]

    def _task(self, arn: str) -> _Task:
        task = self._tasks.get(arn)
        if task is None:
            raise _not_found()
        return task

    def _execution(self, arn: str) -> _Execution:
        execution = self._executions.get(arn)
        if execution is None or execution.task.deleted:
            raise _not_found()
        return execution


# -- derived views of an execution ----------------------------------------------------------------------


def _task_status(task: _Task) -> str:
    running = task.running
    if running is not None:
        # An execution that cannot leave LAUNCHING models an offline agent, which makes the task
        # UNAVAILABLE; DataSync's exact rule is undocumented.
        if running.status == "LAUNCHING" and running.pending is None:
            return "UNAVAILABLE"
        return "RUNNING"
    return "QUEUED" if task.queue else "AVAILABLE"


def _lagging(execution: _Execution, now: datetime) -> bool:
    """Whether DescribeTaskExecution still shows the phase before the end (the script's lag)."""
    lag = execution.script.describe_lag_seconds
    return (
        lag > 0
        and execution.end_time is not None
        and len(execution.history) > 1
        and now < execution.end_time + timedelta(seconds=lag)
    )


def _passed(execution: _Execution, phase: str) -> bool:
    """Whether the execution reached a later phase (or SUCCESS): the phase, walked or skipped, is done."""
    return any(_PROGRESS.get(status, -1) > _PROGRESS[phase] for status, _ in execution.history)


def _span(execution: _Execution, phase: str) -> tuple[datetime, datetime | None] | None:
    """When the execution entered and left `phase`, if it entered it."""
    history = execution.history
    for index, (status, at) in enumerate(history):
        if status == phase:
            return at, history[index + 1][1] if index + 1 < len(history) else None
    return None


def _progress(execution: _Execution, phase: str, total: int, now: datetime) -> int:
    """A counter that grows linearly over `phase`, frozen when the phase is cut short."""
    span = _span(execution, phase)
    if span is None:
        return 0
    if _passed(execution, phase):
        return total
    duration = execution.duration_of(phase)
    if not duration:  # never ends (None) or was interrupted at its first instant
        return 0
    entered, left = span
    stalled = execution.stalled_for(phase)
    elapsed = max(timedelta(0), min((left or now) - entered, duration) - stalled)
    return total * (elapsed // timedelta(microseconds=1)) // ((duration - stalled) // timedelta(microseconds=1))


def _result(execution: _Execution) -> dict[str, Any]:
    enhanced = execution.task.mode == "ENHANCED"
    result: dict[str, Any] = {}
    for phase, name in _RESULT_PHASES:
        status = "ERROR" if execution.failed_phase == phase else "SUCCESS" if _passed(execution, phase) else "PENDING"
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


# -- request rules ----------------------------------------------------------------------------------------


def _default_options(mode: str) -> dict[str, Any]:
    options = dict(_DEFAULT_OPTIONS)
    if mode == "ENHANCED":
        options["VerifyMode"] = "ONLY_FILES_TRANSFERRED"
    return options


def _check_option_combination(options: Mapping[str, Any], filters: Mapping[str, Any], mode: str) -> None:
    """Rejects combinations DataSync documents as invalid (the messages are invented)."""
    if options["TransferMode"] == "ALL" and options["PreserveDeletedFiles"] == "REMOVE":
        raise _invalid("TransferMode ALL cannot be combined with PreserveDeletedFiles REMOVE.", "InvalidOptions")
    if filters.get("ManifestConfig") and (
        filters.get("Includes") or filters.get("Excludes") or options["PreserveDeletedFiles"] == "REMOVE"
    ):
        raise _invalid("A manifest cannot be combined with filters or PreserveDeletedFiles REMOVE.", "InvalidOptions")
    if mode == "ENHANCED" and options["VerifyMode"] == "POINT_IN_TIME_CONSISTENT":
        raise _invalid("Enhanced mode tasks do not support VerifyMode POINT_IN_TIME_CONSISTENT.", "InvalidOptions")


def _what_is_transferred(overrides: Mapping[str, Any]) -> tuple[Any, ...]:
    """An execution's effective filters and manifest: what decides whether DataSync queues a start."""
    return tuple(overrides.get(key) for key in ("Includes", "Excludes", "ManifestConfig"))


def _page(key: str, entries: list[dict[str, Any]], params: Mapping[str, Any]) -> dict[str, Any]:
    token = params.get("NextToken", "0")
    if not token.isdigit() or int(token) > len(entries):
        raise _invalid("Invalid NextToken.", "InvalidNextToken")  # invented wording
    start = int(token)
    end = start + (params.get("MaxResults") or _DEFAULT_PAGE_SIZE)
    response: dict[str, Any] = {key: entries[start:end]}
    if end < len(entries):
        response["NextToken"] = str(end)
    return response


def _invalid(message: str, error_code: str) -> EmulatedServiceError:
    return EmulatedServiceError("InvalidRequestException", message, extra={"message": message, "errorCode": error_code})


def _not_found() -> EmulatedServiceError:
    return _invalid(_NOT_FOUND_MESSAGE, "NotFound")


def _check_input(operation: str, params: Mapping[str, Any]) -> None:
    """Server-side validation: botocore checks types and required members but not enums, maximum
    lengths or patterns, which DataSync then rejects (the wording here is invented)."""
    problems = input_problems(operation, params)
    if problems:
        raise _invalid(f"{len(problems)} validation error(s) detected: " + "; ".join(problems), "ValidationError")
