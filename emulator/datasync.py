"""The DataSync API of the local AWS: the operations a boto3 DataSync client calls, and their refusals.

`DataSyncEmulator.handle` serves DataSync calls through `emulator.aws_hooks`: it checks each request
against botocore's model (`emulator.datasync_shapes`), refuses what DataSync refuses, answers from
the state of its locations, tasks and task executions, and checks each response against botocore's
output shape, so the emulator cannot drift from the real API. What an execution does once started
(its phases over virtual time, counters, events, logs and task reports) is the execution lifecycle's
(`emulator.datasync_lifecycle`), walking the scenario's script (`emulator.datasync_script`).
Behaviour follows `docs/aws-facts.md`, which gives the source of each fact; where DataSync's
behaviour is undocumented, the choice made here says "invented" or "undocumented" next to it.
"""

from __future__ import annotations

import copy
import csv
import functools
import hashlib
import io
import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from botocore.exceptions import ClientError

from emulator.clock import VirtualClock
from emulator.datasync_lifecycle import (
    LOG_STREAM_NAMINGS,
    Effects,
    ExecutionLifecycle,
    Task,
    TaskExecution,
    execution_result,
    lagging,
    passed,
    progress,
    task_status,
)
from emulator.datasync_reports import MAX_REPORT_OBJECT_BYTES, ReportDestination
from emulator.datasync_script import DEFAULT_SCRIPT, TERMINAL_STATUSES, ExecutionScript, Phase
from emulator.datasync_shapes import input_problems, validate_output, value_problems
from emulator.service_errors import EmulatedServiceError

MAX_QUEUED_EXECUTIONS_PER_TASK = 50  # DataSync quota [UG datasync-limits]
MANIFEST_PATH_BYTES = 1024  # per manifest path [UG transferring-with-manifest]
_MAX_TAGS = 50  # InputTagList max in the API model
_DEFAULT_PAGE_SIZE = 100  # the API's MaxResults maximum; DataSync's own default is undocumented

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


# -- the DataSync API ------------------------------------------------------------------------------------------


@dataclass
class Agent:
    """An activated DataSync agent (CreateAgent), as DescribeAgent shows it."""

    arn: str
    name: str
    created: datetime
    status: Literal["ONLINE", "OFFLINE"] = "ONLINE"
    offline_since: datetime | None = None


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
        id_namespace: str = "",
    ) -> None:
        self._clock = clock
        # Ids are drawn from a counter; DataSync's are unique across Regions and accounts, so the
        # services of other places draw theirs in a namespace of their own.
        self._id_namespace = id_namespace
        self._region = region
        self._account_id = account_id
        if log_stream_names not in LOG_STREAM_NAMINGS:
            raise ValueError(f"log_stream_names must be one of {sorted(LOG_STREAM_NAMINGS)}")
        self.log_stream_names = log_stream_names
        # S3 serves the manifests read at start here, and the task reports the lifecycle writes.
        self._s3_client_factory = s3_client_factory
        self.lifecycle = ExecutionLifecycle(
            region=region,
            account_id=account_id,
            event_sink=event_sink,
            logs_client_factory=logs_client_factory,
            s3_client_factory=s3_client_factory,
            report_max_object_bytes=report_max_object_bytes,
        )
        self._lock = self.lifecycle.lock
        # How many StartTaskExecution responses to lose after the execution was created (scenarios).
        self.lost_start_responses = 0
        # What a start gets whose filters and manifest equal those of an execution the task already
        # runs or queues: DataSync documents queueing only for different filters or manifests, so
        # either reading can be chosen ("queue" or "refuse"; docs/aws-facts.md#datasync-manifests-and-retries).
        self.identical_start_while_busy: Literal["queue", "refuse"] = "queue"
        self._ids = itertools.count(1)
        self._locations: set[str] = set()
        # Each location's agents (an agent is needed to reach storage outside AWS: NFS, SMB, ...).
        self._location_agents: dict[str, tuple[str, ...]] = {}
        self._agents: dict[str, Agent] = {}
        self._tasks: dict[str, Task] = {}
        self._executions: dict[str, TaskExecution] = {}
        self._tags: dict[str, list[dict[str, str]]] = {}
        # Each scheduled task's `ScheduleDetails` (docs/aws-facts.md#datasync-task-schedules).
        self._schedule_details: dict[str, dict[str, Any]] = {}
        self._operations: dict[str, Callable[[dict[str, Any], datetime], dict[str, Any]]] = {
            "CreateAgent": self._create_agent,
            "DescribeAgent": self._describe_agent,
            "CreateTask": self._create_task,
            "DeleteTask": self._delete_task,
            "DescribeTask": self._describe_task,
            "UpdateTask": self._update_task,
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
        """The earliest pending change of any execution: see ExecutionLifecycle."""
        return self.lifecycle.next_change_at()

    def advance_to(self, now: datetime) -> None:
        """Walks every execution up to `now`: see ExecutionLifecycle."""
        self.lifecycle.advance_to(now)

    # -- locations and tasks -------------------------------------------------------------------------------

    def _create_agent(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        """An activated agent: ONLINE until a scenario takes it offline (`set_agent_status`)."""
        arn = f"arn:aws:datasync:{self._region}:{self._account_id}:agent/agent-{self._new_id('agent')}"
        self._agents[arn] = Agent(arn, str(params.get("AgentName", "")), now)
        self._tags[arn] = list(params.get("Tags", []))
        return {"AgentArn": arn}

    def _describe_agent(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        agent = self._agents.get(params["AgentArn"])
        if agent is None:
            raise _not_found()
        response: dict[str, Any] = {
            "AgentArn": agent.arn,
            "Status": agent.status,
            "CreationTime": agent.created,
            "EndpointType": "PUBLIC",
            # DataSync last heard from an ONLINE agent now; an OFFLINE one when it went offline.
            "LastConnectionTime": now if agent.status == "ONLINE" else agent.offline_since or agent.created,
        }
        if agent.name:
            response["Name"] = agent.name
        return response

    def set_agent_status(self, agent_arn: str, status: Literal["ONLINE", "OFFLINE"], at: datetime) -> None:
        """The agent goes offline (its VM stopped, its network cut) or comes back, at virtual time `at`
        (docs/aws-facts.md#schedule-health: a task using an offline agent is UNAVAILABLE)."""
        now = self._clock.now()  # before the lock, as in handle()
        with self._lock:
            agent = self._agents[agent_arn]

            def change(then: datetime) -> Effects:
                agent.status = status
                agent.offline_since = then if status == "OFFLINE" else None
                return Effects()

            if at <= now:
                change(at)
            else:
                self.lifecycle.schedule(at, change)

    def _task_status(self, task: Task) -> str:
        """DataSync's task status: UNAVAILABLE while an agent the task uses is OFFLINE ("A DataSync
        agent used by the task is offline"), else as its executions make it. An agent ARN the
        emulator never activated (older scenario data) is not known to be offline."""
        if any(self._agents[arn].status == "OFFLINE" for arn in task.agents if arn in self._agents):
            return "UNAVAILABLE"
        return task_status(task)

    def _create_location(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        arn = f"arn:aws:datasync:{self._region}:{self._account_id}:location/loc-{self._new_id('location')}"
        self._locations.add(arn)
        agents = params.get("AgentArns") or params.get("OnPremConfig", {}).get("AgentArns") or []
        self._location_agents[arn] = tuple(str(agent) for agent in agents)
        self._tags[arn] = list(params.get("Tags", []))
        return {"LocationArn": arn}

    def _create_task(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        for key in ("SourceLocationArn", "DestinationLocationArn"):
            if params[key] not in self._locations:
                raise _not_found()
        if "Schedule" in params:
            _check_schedule_interval(str(params["Schedule"]["ScheduleExpression"]))
        mode = params.get("TaskMode", "BASIC")
        options = {**_default_options(mode), **params.get("Options", {})}
        config = {key: params[key] for key in _ECHOED_TASK_MEMBERS if key in params}
        _check_option_combination(options, config, mode)
        arn = f"arn:aws:datasync:{self._region}:{self._account_id}:task/task-{self._new_id('task')}"
        agents = (
            self._location_agents[params["SourceLocationArn"]] + self._location_agents[params["DestinationLocationArn"]]
        )
        self._tasks[arn] = Task(arn, mode, options, config, now, agents=agents)
        self._tags[arn] = list(params.get("Tags", []))
        if "Schedule" in params:
            self._set_schedule(self._tasks[arn], params["Schedule"], now)
        return {"TaskArn": arn}

    def _update_task(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        """UpdateTask: the members given replace the task's own; `Options` are merged into its options."""
        task = self._task(params["TaskArn"])
        if "Schedule" in params:
            _check_schedule_interval(str(params["Schedule"]["ScheduleExpression"]))
        options = {**task.options, **params.get("Options", {})}
        config = {**task.config, **{key: params[key] for key in _ECHOED_TASK_MEMBERS if key in params}}
        _check_option_combination(options, config, task.mode)
        task.options = options
        schedule = config.pop("Schedule", None)
        task.config.update(config)
        if "Schedule" in params:
            self._set_schedule(task, schedule, now)
        return {}

    def _set_schedule(self, task: Task, schedule: Mapping[str, Any], now: datetime) -> None:
        """The task's DataSync schedule as CreateTask or UpdateTask gives it: "enabled by default";
        a person who disables it reads "Manually disabled by user." (docs/aws-facts.md#datasync-task-schedules).
        StatusUpdateTime is when the schedule was given or its status last changed."""
        status = str(schedule.get("Status") or "ENABLED")
        before = task.config.get("Schedule")
        task.config["Schedule"] = {"ScheduleExpression": schedule["ScheduleExpression"], "Status": status}
        if before is not None and before.get("Status") == status and task.arn in self._schedule_details:
            return  # the same status: it did not change
        details: dict[str, Any] = {"StatusUpdateTime": now}
        if status == "DISABLED":
            details |= {"DisabledBy": "USER", "DisabledReason": "Manually disabled by user."}
        self._schedule_details[task.arn] = details

    def disable_schedule_by_service(self, task_arn: str, reason: str, at: datetime) -> None:
        """DataSync disabled the task's schedule itself at `at`, "because the task failed repeatedly
        with the same error", giving `reason`. Scenario data: the emulator never decides this by itself,
        as DataSync does not document how many failures it takes (docs/aws-facts.md#datasync-task-schedules)."""
        with self._lock:
            task = self._task(task_arn)
            schedule = task.config.get("Schedule")
            if schedule is None:
                raise ValueError(f"task {task_arn} has no DataSync schedule to disable")
            problems = value_problems("ScheduleDisabledReason", reason, "reason")
            if problems:
                raise ValueError("; ".join(problems))
            task.config["Schedule"] = {**schedule, "Status": "DISABLED"}
            self._schedule_details[task.arn] = {
                "StatusUpdateTime": at,
                "DisabledBy": "SERVICE",
                "DisabledReason": reason,
            }

    def _delete_task(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        self._delete(self._task(params["TaskArn"]))
        return {}

    def delete_task_at(self, task_arn: str, at: datetime) -> None:
        """Someone deletes the task at virtual time `at` (a scenario's `deleteTaskAtSeconds`)."""
        with self._lock:
            task = self._task(task_arn)
            self.lifecycle.schedule(at, lambda then: self._delete(task))

    def _delete(self, task: Task) -> Effects:
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
        return Effects()

    def _describe_task(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        task = self._task(params["TaskArn"])
        response = {
            "TaskArn": task.arn,
            "Status": self._task_status(task),
            "Options": dict(task.options),
            "CreationTime": task.created,
            "TaskMode": task.mode,
            **copy.deepcopy(task.config),
        }
        if task.current_execution_arn is not None:
            response["CurrentTaskExecutionArn"] = task.current_execution_arn
        if task.arn in self._schedule_details:
            response["ScheduleDetails"] = dict(self._schedule_details[task.arn])
        return response

    def _list_tasks(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        if params.get("Filters"):
            raise NotImplementedError("the DataSync emulator does not filter ListTasks")
        entries = []
        for task in self._tasks.values():
            entry = {"TaskArn": task.arn, "Status": self._task_status(task), "TaskMode": task.mode}
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
            body = self._s3_client_factory().get_object(Bucket=bucket, Key=source["ManifestObjectPath"])["Body"].read()
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
        execution = TaskExecution(
            arn=f"{task.arn}/execution/{execution_id}",
            task=task,
            script=script,
            phases=tuple(phase for phase in script.phases if verifies or phase.status != "VERIFYING"),
            options=options,
            overrides=copy.deepcopy(overrides),
            start_params=copy.deepcopy(params),
            history=[("QUEUED", now)],
            log_stream=self.lifecycle.log_stream(task, options, execution_id, self.log_stream_names),
        )
        if self._s3_client_factory is not None:
            execution.report = ReportDestination.from_config(overrides.get("TaskReportConfig"))
            if execution.report is not None:
                execution.report_result = {"Status": "PENDING"}
        self._executions[execution.arn] = execution
        self._tags[execution.arn] = list(params.get("Tags", []))
        task.current_execution_arn = execution.arn
        self.lifecycle.queue(execution, now)
        if self.lost_start_responses > 0:
            # A fault switch: the execution exists, but the caller never hears so (a timeout, a
            # dropped connection). What the caller then does decides whether it starts a second one.
            self.lost_start_responses -= 1
            raise EmulatedServiceError("InternalException", "the response to StartTaskExecution was lost", status=500)
        return {"TaskExecutionArn": execution.arn}

    def _describe_task_execution(self, params: dict[str, Any], now: datetime) -> dict[str, Any]:
        execution = self._execution(params["TaskExecutionArn"])
        script = execution.script
        prepared = passed(execution, "PREPARING")
        transferred_bytes = progress(execution, "TRANSFERRING", script.byte_count, now)
        response: dict[str, Any] = {
            "TaskExecutionArn": execution.arn,
            "Status": execution.status,
            "Options": dict(execution.options),
            **copy.deepcopy(execution.overrides),
            "StartTime": execution.history[0][1],
            "EstimatedFilesToTransfer": script.file_count if prepared else 0,
            "EstimatedBytesToTransfer": script.byte_count if prepared else 0,
            "FilesTransferred": progress(execution, "TRANSFERRING", script.file_count, now),
            "BytesWritten": transferred_bytes,
            "BytesTransferred": transferred_bytes,
            "BytesCompressed": transferred_bytes,  # as if nothing compressed: no sensible figure to script
            "FilesDeleted": 0,
            "FilesSkipped": 0,
            "FilesVerified": progress(execution, "VERIFYING", script.file_count, now),
            "EstimatedFilesToDelete": 0,
            "Result": execution_result(execution),
            "TaskMode": execution.task.mode,
        }
        if execution.launch_time is not None:
            response["LaunchTime"] = execution.launch_time
        if execution.end_time is not None:
            response["EndTime"] = execution.end_time
        if execution.report_result is not None:
            response["ReportResult"] = dict(execution.report_result)
        if lagging(execution, now):
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
        self.lifecycle.cancel(execution, now)
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

    # -- lookups -------------------------------------------------------------------------------------------

    def _new_id(self, kind: str) -> str:
        """17 hex digits, like DataSync's ids, from a counter: the same calls give the same ARNs every run."""
        return hashlib.sha256(f"{self._id_namespace}{kind}:{next(self._ids)}".encode()).hexdigest()[:17]

    def _task(self, arn: str) -> Task:
        task = self._tasks.get(arn)
        if task is None:
            raise _not_found()
        return task

    def _execution(self, arn: str) -> TaskExecution:
        execution = self._executions.get(arn)
        if execution is None or execution.task.deleted:
            raise _not_found()
        return execution


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


_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((\S+) .*\)$")


def _check_schedule_interval(expression: str) -> None:
    """A task schedule runs "with a minimum interval of 1 hour", even with a cron expression
    (docs/aws-facts.md#datasync-task-schedules): a rate of fewer than 60 minutes, or a cron whose
    minutes field is not one minute, is refused (the wording is invented)."""
    rate = _RATE.match(expression)
    cron = _CRON.match(expression)
    if (rate and rate.group(2).startswith("minute") and int(rate.group(1)) < 60) or (
        cron and not cron.group(1).isdigit()
    ):
        raise _invalid(
            f"Schedule expression {expression} runs the task more often than once every 1 hour.", "InvalidSchedule"
        )


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
