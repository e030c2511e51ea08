"""Scenarios: documented JSON files that say how DataSync and EventBridge behave in one run.

See events/scenarios/README.md for the format. Anyone can add a scenario without code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal

from emulator.datasync_lifecycle import LOG_STREAM_NAMINGS
from emulator.datasync_script import ExecutionScript
from emulator.datasync_shapes import value_problems
from emulator.event_bus import EventFaults
from emulator.faults import Fault, FaultError, parse_faults
from emulator.stack import ACCOUNT_ID, REGION
from emulator.task_template import task_from_template
from emulator.template import load_template

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCENARIO_DIR = PROJECT_ROOT / "events" / "scenarios"
DEFAULT_SCENARIO = "nightly-success"

_FIELDS = {
    "description",
    "task",
    "alreadyRunning",
    "executions",
    "trigger",
    "input",
    "rawInput",
    "parameters",
    "events",
    "expect",
    "startDelaySeconds",
    "lostStartResponses",
    "retryFailuresAfter",
    "identicalStartWhileBusy",
    "concurrentStarts",
    "tasks",
    "maxConcurrency",
    "logStreamNames",
    "faults",
    "deleteTaskAtSeconds",
    "schedule",
    "scheduledTime",
    "firing",
    "history",
    "forwarders",
    "schedules",
    "firings",
    "agents",
    "healthChecks",
    "healthChecksAfterRun",
}
# With several tasks (`tasks`), these belong to each task instead of the scenario.
_SINGLE_TASK_FIELDS = {"task", "executions", "input", "rawInput", "alreadyRunning", "deleteTaskAtSeconds"}
_TASK_FIELDS = {
    "name",
    "region",
    "account",
    "source",
    "destination",
    "options",
    "taskMode",
    "logGroup",
    "includes",
    "excludes",
    "taskReport",
    "tags",
    "datasyncSchedule",
}
# A task taken from a CloudFormation template instead (see emulator/task_template.py).
_TEMPLATE_TASK_FIELDS = {"fromTemplate", "logicalId", "parameters"}


class ScenarioError(ValueError):
    pass


@cache
def template_functions() -> frozenset[str]:
    """The logical ids of the functions in the project's template.yaml (what `faults` may name)."""
    resources = load_template(PROJECT_ROOT / "template.yaml")["Resources"]
    return frozenset(
        logical_id
        for logical_id, resource in resources.items()
        if resource.get("Type") in ("AWS::Serverless::Function", "AWS::Lambda::Function")
    )


def _faults(name: str, raw: dict[str, Any]) -> tuple[Fault, ...]:
    try:
        return parse_faults(raw.get("faults", []), template_functions())
    except FaultError as error:
        raise ScenarioError(f"scenario {name}: {error}") from None


@dataclass(frozen=True)
class Location:
    type: str  # S3 | EFS | NFS
    properties: dict[str, Any]


@dataclass(frozen=True)
class TaskSpec:
    name: str
    source: Location
    destination: Location
    options: dict[str, Any] = field(default_factory=dict)
    task_mode: str = "BASIC"
    log_group: str | None = None
    includes: str | None = None
    excludes: str | None = None
    # {"bucket", "subdirectory", "outputType", "reportLevel"}: the task writes task reports there.
    task_report: dict[str, Any] | None = None
    # The task's tags as CreateTask sets them ({key: value}); `datasync-scheduler:schedule` makes it
    # join that schedule.
    tags: dict[str, str] = field(default_factory=dict)
    # The Region the task is created in (default: the stack's); the stack is set up for it and a
    # member stack forwards its events (docs/regions.md).
    region: str | None = None
    # The member account the task lives in (default: the stack's): it is created there, its logs are
    # written there, and the stack reaches it through the member role (docs/regions.md).
    account: str | None = None
    # The task's own DataSync schedule (CreateTask `Schedule`), and whether DataSync disabled it.
    datasync_schedule: DataSyncScheduleSpec | None = None


@dataclass(frozen=True)
class DataSyncScheduleSpec:
    """`datasyncSchedule`: {"expression", "status", "disabledBy", "disabledReason"}. A schedule
    DataSync disabled itself (`disabledBy` SERVICE, with its reason) is data: the emulator does not
    decide when DataSync would (docs/aws-facts.md#datasync-task-schedules)."""

    expression: str
    status: Literal["ENABLED", "DISABLED"] = "ENABLED"
    disabled_by_service_reason: str | None = None

    @classmethod
    def from_dict(cls, raw: Any, where: str) -> DataSyncScheduleSpec:
        if not isinstance(raw, dict) or not isinstance(raw.get("expression"), str):
            raise ScenarioError(f'{where}: expected {{"expression": "cron(...)" or "rate(...)", "status": ...}}')
        unknown = set(raw) - {"expression", "status", "disabledBy", "disabledReason"}
        if unknown:
            raise ScenarioError(f"{where} has unknown field(s) {', '.join(sorted(unknown))}")
        status = raw.get("status", "ENABLED")
        if status not in ("ENABLED", "DISABLED"):
            raise ScenarioError(f"{where}.status: expected ENABLED or DISABLED, not {status!r}")
        by = raw.get("disabledBy")
        if by not in (None, "SERVICE") or (by == "SERVICE") != (status == "DISABLED" and "disabledReason" in raw):
            raise ScenarioError(
                f"{where}: a schedule DataSync disabled has status DISABLED, disabledBy SERVICE and its "
                "disabledReason (a person's DISABLED needs neither)"
            )
        reason = raw.get("disabledReason")
        # As DataSync would answer them in DescribeTask: botocore's shapes say what they may hold.
        problems = value_problems("ScheduleExpressionCron", raw["expression"], f"{where}.expression")
        if reason is not None:
            problems += value_problems("ScheduleDisabledReason", reason, f"{where}.disabledReason")
        if problems:
            raise ScenarioError("; ".join(problems))
        return cls(raw["expression"], status, reason)


@dataclass(frozen=True)
class BatchTask:
    """One task of a several-task scenario: the task, how its executions behave, its request's extras."""

    task: TaskSpec
    executions: list[ExecutionScript]
    extra_input: dict[str, Any] = field(default_factory=dict)
    # Whether the schedule lists the task (with `input` as its request's extras); a task it does not
    # list runs only when tagged for it (`firing` scenarios).
    listed: bool = True


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    task: TaskSpec
    executions: list[ExecutionScript]
    already_running: ExecutionScript | None = None
    start_delay_seconds: float = 0.0
    # StartTaskExecution calls that create the execution but whose response is lost (a fault).
    lost_start_responses: int = 0
    # What DataSync does with a start identical to the running execution's: undocumented, so either.
    identical_start_while_busy: Literal["queue", "refuse"] = "queue"
    # How many runs start with the same input at the same virtual moment (a manual start that
    # meets another manual or scheduled one); the summary is the first one's, the others are listed.
    concurrent_starts: int = 1
    # After the run ends (and a day of late events), a person retries its failed files: a second run
    # started with `{"retryFailuresOf": <the first run>}`, listed in the summary's other runs.
    retry_failures_after: bool = False
    trigger: str = "manual"
    extra_input: dict[str, Any] = field(default_factory=dict)
    raw_input: Any = None
    has_raw_input: bool = False
    parameters: dict[str, str] = field(default_factory=dict)
    events: EventFaults = field(default_factory=EventFaults)
    expect: dict[str, Any] = field(default_factory=dict)
    # Several tasks run as one BatchWorkflow (`task` is then the first of them).
    batch: tuple[BatchTask, ...] = ()
    max_concurrency: int | None = None
    # A batch started as a named schedule's firing: the batch input's `firing` (domain/schedules.py
    # `Firing`: schedule, scheduledTime, perTaskMessages, route), given to the BatchWorkflow as is.
    firing: dict[str, Any] | None = None
    # How the emulated DataSync names its log streams: "execution" or "unnamed" (not documented).
    log_stream_names: str = "execution"
    # Virtual seconds after the workflow's start at which someone deletes the task (None: never).
    delete_task_at_seconds: float | None = None
    # Functions that raise or time out and AWS calls that fail (emulator/faults.py).
    faults: tuple[Fault, ...] = ()
    # trigger "firing": the named schedule that fires (as in the schedules file, without `tasks`:
    # those are the scenario's listed tasks) and the scheduled time it fires for.
    schedule: dict[str, Any] | None = None
    scheduled_time: str | None = None
    # Earlier runs of the task in the run history before the workflow starts (a task with a past:
    # its speed baseline), newest first.
    history: tuple[HistorySeed, ...] = ()
    # The (Region, account) places, other than the stack's own, where a member stack forwards
    # DataSync's events to the stack's bus (None: every place a task lives in). A place without one
    # leaves its runs to the fallback status check.
    forwarders: frozenset[tuple[str, str]] | None = None
    # trigger "firing" with several named schedules (a schedules file, each schedule's `tasks` naming
    # scenario tasks by name) and the firings, in order: (schedule, scheduledTime) each.
    schedules: tuple[dict[str, Any], ...] = ()
    firings: tuple[tuple[str, str], ...] = ()
    # DataSync agents by name, each ONLINE or OFFLINE (a task's NFS location names one as `agent`):
    # activated before the tasks are created, an OFFLINE one offline from the scenario's start.
    agents: dict[str, str] = field(default_factory=dict)
    # An OFFLINE agent that comes back ONLINE (its VM restarted) this many virtual seconds from the
    # scenario's start: `{"status": "OFFLINE", "onlineAtSeconds": 2700}`.
    agents_back_online: dict[str, float] = field(default_factory=dict)
    # Virtual seconds from the scenario's start (before the workflow starts, at `startDelaySeconds`)
    # at which the stack's Health Check runs, as its own schedule would invoke it.
    health_checks: tuple[float, ...] = ()
    # Virtual seconds from the workflow's start (more than a day: after its runs ended and their late
    # events came) at which the Health Check runs again: what it says about later firings.
    health_checks_after_run: tuple[float, ...] = ()


_RATE_FIELDS = ("prepareFilesPerSecond", "transferBytesPerSecond", "verifyFilesPerSecond")


@dataclass(frozen=True)
class HistorySeed:
    """One earlier run of the task: how many days before the workflow's start it ended, its verdict
    and its phases' rates, as Report Run would have written them."""

    days_ago: float
    status: Literal["SUCCEEDED", "FAILED"]
    rates: dict[str, float]

    @classmethod
    def from_dict(cls, raw: Any) -> HistorySeed:
        if not isinstance(raw, dict):
            raise ValueError("each history entry must be an object")
        unknown = set(raw) - {"daysAgo", "status", *_RATE_FIELDS}
        if unknown:
            raise ValueError(f"history entry has unknown field(s) {', '.join(sorted(unknown))}")
        days = raw.get("daysAgo")
        if isinstance(days, bool) or not isinstance(days, int | float) or days <= 0:
            raise ValueError("history entry: daysAgo must be a number of days, more than 0")
        status = raw.get("status", "SUCCEEDED")
        if status not in ("SUCCEEDED", "FAILED"):
            raise ValueError("history entry: status must be SUCCEEDED or FAILED")
        rates = {name: raw[name] for name in _RATE_FIELDS if name in raw}
        if any(isinstance(v, bool) or not isinstance(v, int | float) or v <= 0 for v in rates.values()):
            raise ValueError(f"history entry: {', '.join(_RATE_FIELDS)} must be numbers more than 0")
        return cls(float(days), status, {name: float(value) for name, value in rates.items()})


def _location(raw: Any, where: str) -> Location:
    if not isinstance(raw, dict) or raw.get("type") not in ("S3", "EFS", "NFS"):
        raise ScenarioError(f"{where}: expected an object with type S3, EFS or NFS")
    return Location(raw["type"], {key: value for key, value in raw.items() if key != "type"})


def _task_from_template(name: str, raw: dict[str, Any]) -> dict[str, Any]:
    """The scenario's `task` object read from the template it names (paths relative to the project)."""
    unknown = set(raw) - _TEMPLATE_TASK_FIELDS
    if unknown:
        raise ScenarioError(
            f"scenario {name}: a task fromTemplate takes only {', '.join(sorted(_TEMPLATE_TASK_FIELDS))}; "
            f"{', '.join(sorted(unknown))} come(s) from the template"
        )
    path = PROJECT_ROOT / str(raw["fromTemplate"])
    parameters = {key: str(value) for key, value in raw.get("parameters", {}).items()}
    try:
        return task_from_template(path, str(raw.get("logicalId", "Task")), parameters)
    except (OSError, ValueError, KeyError) as error:
        raise ScenarioError(f"scenario {name}: task fromTemplate {raw['fromTemplate']}: {error}") from None


def parse_scenario(name: str, raw: Any) -> Scenario:
    if not isinstance(raw, dict):
        raise ScenarioError(f"scenario {name}: expected a JSON object")
    unknown = set(raw) - _FIELDS
    if unknown:
        raise ScenarioError(f"scenario {name}: unknown field(s) {', '.join(sorted(unknown))}")
    if ("agents" in raw or "healthChecks" in raw or "healthChecksAfterRun" in raw) and "tasks" not in raw:
        raise ScenarioError(
            f"scenario {name}: 'agents' and 'healthChecks' go with 'tasks' (a named schedule's), "
            "as does 'healthChecksAfterRun'"
        )
    if "tasks" in raw:
        return _parse_batch_scenario(name, raw)
    if "firing" in raw:
        raise ScenarioError(f"scenario {name}: 'firing' belongs to a batch: give 'tasks'")
    if "forwarders" in raw:
        raise ScenarioError(f"scenario {name}: 'forwarders' belongs to a scenario with 'tasks' in other places")
    task_raw = raw.get("task")
    if not isinstance(task_raw, dict):
        raise ScenarioError(f"scenario {name}: 'task' is required")
    if "fromTemplate" in task_raw:
        task_raw = _task_from_template(name, task_raw)
    unknown = set(task_raw) - _TASK_FIELDS
    if unknown:
        raise ScenarioError(f"scenario {name}: task has unknown field(s) {', '.join(sorted(unknown))}")
    if "account" in task_raw:
        raise ScenarioError(f"scenario {name}: task.account: a task in a member account is given in 'tasks'")
    if raw.get("trigger", "manual") not in ("manual", "schedule", "batch"):
        raise ScenarioError(f"scenario {name}: trigger must be 'manual', 'schedule' or 'batch'")
    if raw.get("trigger") == "batch" and "rawInput" not in raw:
        raise ScenarioError(f"scenario {name}: trigger 'batch' starts the BatchWorkflow with 'rawInput'")
    try:
        executions = [ExecutionScript.from_dict(item) for item in raw.get("executions", [])]
        already_running = ExecutionScript.from_dict(raw["alreadyRunning"]) if raw.get("alreadyRunning") else None
        events = EventFaults.from_dict(raw.get("events", {}))
        history = tuple(HistorySeed.from_dict(item) for item in raw.get("history", []))
    except (ValueError, TypeError, KeyError) as error:
        raise ScenarioError(f"scenario {name}: {error}") from None
    if not executions and "rawInput" not in raw:
        raise ScenarioError(f"scenario {name}: 'executions' needs at least one execution script")
    return Scenario(
        name=name,
        description=str(raw.get("description", "")),
        task=_task_spec(task_raw, name, "task"),
        executions=executions,
        already_running=already_running,
        start_delay_seconds=float(raw.get("startDelaySeconds", 0)),
        lost_start_responses=int(raw.get("lostStartResponses", 0)),
        identical_start_while_busy=_identical_start_while_busy(name, raw),
        concurrent_starts=_concurrent_starts(name, raw),
        retry_failures_after=raw.get("retryFailuresAfter", False) is True,
        trigger=str(raw.get("trigger", "manual")),
        extra_input=dict(raw.get("input", {})),
        raw_input=raw.get("rawInput"),
        has_raw_input="rawInput" in raw,
        parameters={key: str(value) for key, value in raw.get("parameters", {}).items()},
        events=events,
        expect=dict(raw.get("expect", {})),
        log_stream_names=_log_stream_names(name, raw),
        delete_task_at_seconds=_delete_task_at(name, raw),
        faults=_faults(name, raw),
        history=history,
    )


def _delete_task_at(name: str, raw: dict[str, Any]) -> float | None:
    value = raw.get("deleteTaskAtSeconds")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ScenarioError(f"scenario {name}: deleteTaskAtSeconds must be a number of virtual seconds, 0 or more")
    return float(value)


def _concurrent_starts(name: str, raw: dict[str, Any]) -> int:
    value = raw.get("concurrentStarts", 1)
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 10:
        return value
    raise ScenarioError(f"scenario {name}: concurrentStarts must be a whole number from 1 to 10, not {value!r}")


def _identical_start_while_busy(name: str, raw: dict[str, Any]) -> Literal["queue", "refuse"]:
    value = raw.get("identicalStartWhileBusy", "queue")
    if value == "queue" or value == "refuse":
        return value  # type: ignore[no-any-return]
    raise ScenarioError(f"scenario {name}: identicalStartWhileBusy must be 'queue' or 'refuse', not {value!r}")


def _log_stream_names(name: str, raw: dict[str, Any]) -> str:
    value = raw.get("logStreamNames", "execution")
    if value not in LOG_STREAM_NAMINGS:
        raise ScenarioError(f"scenario {name}: logStreamNames must be one of {', '.join(sorted(LOG_STREAM_NAMINGS))}")
    return str(value)


def _task_spec(raw: dict[str, Any], default_name: str, where: str) -> TaskSpec:
    """A task as a scenario describes it (`where` names it in errors: `task`, `tasks[2]`)."""
    return TaskSpec(
        name=str(raw.get("name", default_name)),
        source=_location(raw.get("source"), f"{where}.source"),
        destination=_location(raw.get("destination"), f"{where}.destination"),
        options=dict(raw.get("options", {})),
        task_mode=str(raw.get("taskMode", "BASIC")),
        log_group=raw.get("logGroup"),
        includes=raw.get("includes"),
        excludes=raw.get("excludes"),
        task_report=raw.get("taskReport"),
        tags=_tags(raw.get("tags", {}), where),
        region=_region(raw.get("region"), f"{where}.region"),
        account=_account(raw.get("account"), f"{where}.account"),
        datasync_schedule=(
            DataSyncScheduleSpec.from_dict(raw["datasyncSchedule"], f"{where}.datasyncSchedule")
            if "datasyncSchedule" in raw
            else None
        ),
    )


_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")
_ACCOUNT = re.compile(r"^\d{12}$")


def _region(raw: Any, where: str) -> str | None:
    if raw is None or (isinstance(raw, str) and _REGION.match(raw)):
        return raw
    raise ScenarioError(f"{where}: expected a Region code such as us-west-2, not {raw!r}")


def _account(raw: Any, where: str) -> str | None:
    if raw is None or (isinstance(raw, str) and _ACCOUNT.match(raw)):
        return raw
    raise ScenarioError(f"{where}: expected a 12-digit AWS account ID as a string, not {raw!r}")


def _forwarders(name: str, raw: Any, batch: tuple[BatchTask, ...]) -> frozenset[tuple[str, str]] | None:
    """`forwarders`: the [{"region", "account"}] places whose member stack forwards events (each
    must be a place one of the scenario's tasks lives in, other than the stack's own)."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise ScenarioError(f'scenario {name}: forwarders: expected a list of {{"region", "account"}} objects')
    places = {_place(task.task) for task in batch} - {(REGION, ACCOUNT_ID)}
    found: set[tuple[str, str]] = set()
    for index, item in enumerate(raw):
        where = f"scenario {name}: forwarders[{index}]"
        if not isinstance(item, dict) or set(item) - {"region", "account"} or "region" not in item:
            raise ScenarioError(
                f'{where}: expected {{"region": ..., "account": ...}} (account: the stack\'s if left out)'
            )
        place = (
            _region(item["region"], f"{where}.region") or REGION,
            _account(item.get("account"), f"{where}.account") or ACCOUNT_ID,
        )
        if place not in places:
            raise ScenarioError(f"{where}: no task of the scenario lives in {place[0]} of account {place[1]}")
        found.add(place)
    return frozenset(found)


def _place(task: TaskSpec) -> tuple[str, str]:
    """The (Region, account) the task lives in."""
    return (task.region or REGION, task.account or ACCOUNT_ID)


def _tags(raw: Any, where: str) -> dict[str, str]:
    if not isinstance(raw, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in raw.items()):
        raise ScenarioError(f'{where}.tags: expected an object of strings ({{"key": "value"}})')
    return dict(raw)


def _batch_task(name: str, index: int, raw: Any) -> BatchTask:
    """`tasks[index]`: a task as in `task` (or `fromTemplate`), plus its own `executions` and `input`."""
    where = f"scenario {name}: tasks[{index}]"
    if not isinstance(raw, dict):
        raise ScenarioError(f"{where}: expected a JSON object")
    task_raw = {key: value for key, value in raw.items() if key not in ("executions", "input", "listed")}
    if "fromTemplate" in task_raw:
        task_raw = _task_from_template(name, task_raw)
    unknown = set(task_raw) - _TASK_FIELDS
    if unknown:
        raise ScenarioError(f"{where} has unknown field(s) {', '.join(sorted(unknown))}")
    try:
        executions = [ExecutionScript.from_dict(item) for item in raw.get("executions", [])]
    except (ValueError, TypeError, KeyError) as error:
        raise ScenarioError(f"{where}: {error}") from None
    if not executions:
        raise ScenarioError(f"{where}: 'executions' needs at least one execution script")
    listed = raw.get("listed", True)
    if not isinstance(listed, bool):
        raise ScenarioError(f"{where}: listed must be true or false")
    return BatchTask(
        task=_task_spec(task_raw, f"{name}-{index}", f"tasks[{index}]"),
        executions=executions,
        extra_input=dict(raw.get("input", {})),
        listed=listed,
    )


def _parse_batch_scenario(name: str, raw: dict[str, Any]) -> Scenario:
    """Several tasks, run as one batch: `tasks` (each with its executions) and `maxConcurrency`."""
    misplaced = set(raw) & _SINGLE_TASK_FIELDS
    if misplaced:
        raise ScenarioError(
            f"scenario {name}: with 'tasks', {', '.join(sorted(misplaced))} belong(s) to each task, not the scenario"
        )
    items = raw["tasks"]
    if not isinstance(items, list) or not items:
        raise ScenarioError(f"scenario {name}: 'tasks' needs a list of at least one task")
    trigger = raw.get("trigger", "manual")
    if trigger not in ("manual", "schedule", "firing"):
        raise ScenarioError(f"scenario {name}: with 'tasks', trigger must be 'manual', 'schedule' or 'firing'")
    schedule = raw.get("schedule")
    if "schedules" in raw or "firings" in raw:
        if trigger != "firing" or schedule is not None or "scheduledTime" in raw:
            raise ScenarioError(
                f"scenario {name}: 'schedules' and 'firings' go with trigger 'firing', "
                "instead of 'schedule' and 'scheduledTime'"
            )
    elif (trigger == "firing") != isinstance(schedule, dict):
        raise ScenarioError(f"scenario {name}: trigger 'firing' and 'schedule' (a named schedule) go together")
    scheduled_time = raw.get("scheduledTime")
    if scheduled_time is not None and not isinstance(scheduled_time, str):
        raise ScenarioError(f"scenario {name}: scheduledTime must be an ISO 8601 time")
    concurrency = raw.get("maxConcurrency")
    if concurrency is not None and (not isinstance(concurrency, int) or isinstance(concurrency, bool)):
        raise ScenarioError(f"scenario {name}: maxConcurrency must be a whole number")
    batch = tuple(_batch_task(name, index, item) for index, item in enumerate(items))
    schedules, firings = _schedules_and_firings(name, raw, batch)
    agents, agents_back_online = _agents(name, raw, batch)
    firing = raw.get("firing")
    if firing is not None and (not isinstance(firing, dict) or raw.get("trigger", "manual") != "manual"):
        raise ScenarioError(f"scenario {name}: 'firing' is an object, given to a batch started by hand")
    try:
        events = EventFaults.from_dict(raw.get("events", {}))
    except (ValueError, TypeError, KeyError) as error:
        raise ScenarioError(f"scenario {name}: {error}") from None
    return Scenario(
        name=name,
        description=str(raw.get("description", "")),
        task=batch[0].task,
        executions=[],
        start_delay_seconds=float(raw.get("startDelaySeconds", 0)),
        trigger=str(raw.get("trigger", "manual")),
        parameters={key: str(value) for key, value in raw.get("parameters", {}).items()},
        events=events,
        expect=dict(raw.get("expect", {})),
        batch=batch,
        max_concurrency=concurrency,
        firing=firing,
        log_stream_names=_log_stream_names(name, raw),
        faults=_faults(name, raw),
        schedule=dict(schedule) if isinstance(schedule, dict) else None,
        scheduled_time=scheduled_time,
        forwarders=_forwarders(name, raw.get("forwarders"), batch),
        schedules=schedules,
        firings=firings,
        agents=agents,
        agents_back_online=agents_back_online,
        health_checks=_health_checks(name, raw),
        health_checks_after_run=_health_checks_after_run(name, raw),
    )


def _schedules_and_firings(
    name: str, raw: dict[str, Any], batch: tuple[BatchTask, ...]
) -> tuple[tuple[dict[str, Any], ...], tuple[tuple[str, str], ...]]:
    """`schedules` (named schedules as in a schedules file, whose `tasks` name scenario tasks) and
    `firings` ([{"schedule", "scheduledTime"}]: each one firing of a schedule, started in order)."""
    if "schedules" not in raw and "firings" not in raw:
        return (), ()
    schedules, firings = raw.get("schedules"), raw.get("firings")
    if not isinstance(schedules, list) or not schedules or not all(isinstance(s, dict) for s in schedules):
        raise ScenarioError(f"scenario {name}: schedules: expected a list of at least one named schedule (objects)")
    if not isinstance(firings, list) or not firings:
        raise ScenarioError(f"scenario {name}: firings: expected a list of at least one firing")
    task_names = {item.task.name for item in batch}
    names: list[str] = []
    for index, schedule in enumerate(schedules):
        names.append(str(schedule.get("name")))
        listed = schedule.get("tasks", [])
        if not isinstance(listed, list) or not all(isinstance(task, str) for task in listed):
            raise ScenarioError(f"scenario {name}: schedules[{index}].tasks: expected the names of scenario tasks")
        for task in listed:
            if task not in task_names:
                raise ScenarioError(f"scenario {name}: schedules[{index}].tasks: no task named {task!r} in 'tasks'")
    parsed: list[tuple[str, str]] = []
    for index, firing in enumerate(firings):
        where = f"scenario {name}: firings[{index}]"
        if not isinstance(firing, dict) or set(firing) != {"schedule", "scheduledTime"}:
            raise ScenarioError(f'{where}: expected {{"schedule": ..., "scheduledTime": ...}}')
        if firing["schedule"] not in names:
            raise ScenarioError(f"{where}.schedule: no schedule named {firing['schedule']!r} in 'schedules'")
        if not isinstance(firing["scheduledTime"], str):
            raise ScenarioError(f"{where}.scheduledTime: expected an ISO 8601 time")
        parsed.append((str(firing["schedule"]), firing["scheduledTime"]))
    return tuple(dict(schedule) for schedule in schedules), tuple(parsed)


def _agents(name: str, raw: dict[str, Any], batch: tuple[BatchTask, ...]) -> tuple[dict[str, str], dict[str, float]]:
    """`agents`: {"<name>": "ONLINE" or "OFFLINE"}, or {"status": "OFFLINE", "onlineAtSeconds": N} for
    one that comes back N virtual seconds from the scenario's start."""
    agents = raw.get("agents", {})
    expected = (
        f'scenario {name}: agents: expected {{"<name>": "ONLINE" or "OFFLINE"}} '
        '(or {"status": "OFFLINE", "onlineAtSeconds": <virtual seconds>})'
    )
    if not isinstance(agents, dict):
        raise ScenarioError(expected)
    statuses: dict[str, str] = {}
    back: dict[str, float] = {}
    for agent, value in agents.items():
        if isinstance(value, dict):
            at = value.get("onlineAtSeconds")
            if (
                set(value) != {"status", "onlineAtSeconds"}
                or value["status"] != "OFFLINE"
                or isinstance(at, bool)
                or not isinstance(at, int | float)
                or at <= 0
            ):
                raise ScenarioError(expected)
            statuses[str(agent)] = "OFFLINE"
            back[str(agent)] = float(at)
        elif value in ("ONLINE", "OFFLINE"):
            statuses[str(agent)] = str(value)
        else:
            raise ScenarioError(expected)
    for index, item in enumerate(batch):
        for location in (item.task.source, item.task.destination):
            agent = location.properties.get("agent")
            if agent is not None and (location.type != "NFS" or agent not in agents):
                raise ScenarioError(
                    f"scenario {name}: tasks[{index}]: agent {agent!r} must be an NFS location's, named in 'agents'"
                )
    return statuses, back


def _health_checks(name: str, raw: dict[str, Any]) -> tuple[float, ...]:
    checks = raw.get("healthChecks", [])
    start = float(raw.get("startDelaySeconds", 0))
    if not isinstance(checks, list) or not all(
        isinstance(at, int | float) and not isinstance(at, bool) and 0 <= at <= start for at in checks
    ):
        raise ScenarioError(
            f"scenario {name}: healthChecks: expected a list of virtual seconds from 0 to startDelaySeconds ({start:g})"
        )
    return tuple(sorted(float(at) for at in checks))


# The runner delivers a day of late events after the runs end (emulator/runner.py): checks after the
# run come later than that.
AFTER_RUN_FROM_SECONDS = 24 * 3600


def _health_checks_after_run(name: str, raw: dict[str, Any]) -> tuple[float, ...]:
    checks = raw.get("healthChecksAfterRun", [])
    if not isinstance(checks, list) or not all(
        isinstance(at, int | float) and not isinstance(at, bool) and at > AFTER_RUN_FROM_SECONDS for at in checks
    ):
        raise ScenarioError(
            f"scenario {name}: healthChecksAfterRun: expected a list of virtual seconds from the workflow's start, "
            f"more than {AFTER_RUN_FROM_SECONDS} (after the runs and a day of late events)"
        )
    return tuple(sorted(float(at) for at in checks))


def load_scenario(name_or_path: str) -> Scenario:
    """A scenario by name (events/scenarios/NAME.json) or by path."""
    path = Path(name_or_path)
    if not path.suffix:
        path = SCENARIO_DIR / f"{name_or_path}.json"
    if not path.is_file():
        available = ", ".join(sorted(p.stem for p in SCENARIO_DIR.glob("*.json")))
        raise ScenarioError(f"no scenario {name_or_path!r}; available: {available}")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ScenarioError(f"{path}: not valid JSON: {error}") from None
    return parse_scenario(path.stem, raw)


def scenario_names() -> list[str]:
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.json"))
