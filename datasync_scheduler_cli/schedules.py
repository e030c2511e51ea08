"""`datasync-scheduler schedules`: the named schedules, when each fires next, the tasks each resolves
to now, and what a deploy changes.

The listing reads the schedules file (the one `sam build` ships) and resolves each schedule's tasks
as its firing would now: the listed ones, and the ones tagged for it found through the same lookup
Validate Batch makes (`workflow/validate_batch.py` `tagged_for`), in every Region and account the
deployed stack reaches (its TaskRegions, MemberAccounts and MemberRoleName parameters), each
described (DescribeTask) in its own place for its name, through the member role in another account
(docs/regions.md); `--no-resolve` reads the file only. `schedules plan` compares it with
the schedule group of the deployed stack (ListSchedules and GetSchedule), with the rules the deploy
itself applies (`domain/schedule_group.py`), so what it prints is what the next deploy does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from datasync_scheduler.adapters.aws_clients import TaskClients, client_in
from datasync_scheduler.domain.batch import ScheduleTask
from datasync_scheduler.domain.schedule_firings import next_firings
from datasync_scheduler.domain.schedule_group import SchedulePlan, ScheduleTarget, desired_schedules, plan
from datasync_scheduler.domain.schedules import SCHEDULE_TAG_KEY, InvalidSchedules, Schedule, SchedulesFile
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.domain.where import Reach, Where
from datasync_scheduler.ports import ApiCallFailed, DataSyncPort, TaggedTasks, TaskNotFound
from datasync_scheduler_cli.operate import ClientFactory, OperatorError, described_stack, stack_outputs

DEFAULT_FILE = Path("schedules") / "schedules.yaml"
FIRINGS_SHOWN = 3


def read_file(path: Path) -> SchedulesFile:
    from datasync_scheduler.adapters.schedule_book import load_schedules

    if not path.is_file():
        raise OperatorError(f"no schedules file at {path}: name it with --file (the repository's is {DEFAULT_FILE})")
    try:
        return load_schedules(path)
    except InvalidSchedules as error:
        raise OperatorError(str(error)) from None


def schedule_view(schedule: Schedule, now: datetime, resolved: Resolution | None = None) -> dict[str, Any]:
    """One schedule as the operator sees it; `--format json` prints this. `resolved` is what its
    tasks resolve to now (`resolve`); None when they were not looked up."""
    firings = next_firings(schedule, now, FIRINGS_SHOWN)
    return {
        "name": schedule.name,
        "expression": schedule.expression,
        "timezone": schedule.timezone,
        "flexibleWindowMinutes": schedule.flexible_window_minutes,
        "nextFirings": [time.isoformat() for time in firings.times],
        "nextFiringsNote": firings.note or None,
        "skipDates": [day.isoformat() for day in schedule.skip_dates],
        "tasks": [str(task.get("taskArn", "")) for task in schedule.tasks],
        "selectByTag": schedule.select_by_tag,
        "tag": f"{SCHEDULE_TAG_KEY}={schedule.name}" if schedule.select_by_tag else None,
        "regions": list(schedule.regions),
        "maxConcurrency": schedule.max_concurrency,
        # The tasks a firing would run now; null when not looked up, or when the lookup failed (then
        # `resolveProblem` says why).
        "resolvedTasks": [task.to_json() for task in resolved.tasks]
        if resolved and resolved.tasks is not None
        else None,
        "resolveProblem": resolved.problem if resolved else None,
        # The accounts whose tagged tasks could not be looked up with the operator's credentials.
        "unreachable": list(resolved.unreachable) if resolved else [],
        # The schedule's health (`schedule_health.py`): filled by `--health`, else null.
        "health": None,
    }


def view_lines(view: dict[str, Any]) -> list[str]:
    # Names, ARNs and expressions come from a file anyone may edit: one line each, nothing that steers the terminal.
    window = f", window {view['flexibleWindowMinutes']} min" if view["flexibleWindowMinutes"] else ""
    lines = [one_line(f"{view['name']}  {view['expression']}  {view['timezone']}{window}")]
    if view["nextFirings"]:
        zone = ZoneInfo(view["timezone"])
        skipped = set(view["skipDates"])
        shown = ", ".join(_local(text, zone, skipped) for text in view["nextFirings"])
        lines.append(one_line(f"  next: {shown}"))
    if view["nextFiringsNote"]:
        lines.append(one_line(f"  next: {view['nextFiringsNote']}"))
    if view["skipDates"]:
        lines.append(one_line(f"  skips: {', '.join(view['skipDates'])}"))
    for task in view["tasks"]:
        lines.append(one_line(f"  task: {task}"))
    if view["selectByTag"]:
        where = ", ".join(view["regions"]) or "the stack's Region"
        lines.append(one_line(f"  and every task tagged {view['tag']} in {where}, found when it fires"))
    lines.extend(_resolved_lines(view))
    return lines


def _resolved_lines(view: dict[str, Any]) -> list[str]:
    """What the schedule resolves to now: a line per task (name, how it was found, Region, account, ARN)."""
    if view.get("resolveProblem"):
        return [one_line(f"  now: cannot resolve its tasks: {view['resolveProblem']}")]
    tasks = view.get("resolvedTasks")
    if tasks is None:
        return []
    unreachable = [one_line(f"  now: {note}") for note in view.get("unreachable") or []]
    if not tasks:
        tag = f"none tagged {SCHEDULE_TAG_KEY}={view['name']}" if view["selectByTag"] else "it selects none by tag"
        return [one_line(f"  now: no task: none listed and {tag}"), *unreachable]
    how = {"both": "listed and tagged", "listed": "listed", "tagged": "tagged"}
    return [
        *(
            one_line(
                f"  now: {task['name'] or '(' + str(task['problem']) + ')'}  {how[task['foundBy']]}  "
                f"{task['region']}  {task['account']}  {task['taskArn']}"
            )
            for task in tasks
        ),
        *unreachable,
    ]


@dataclass(frozen=True)
class ResolvedTask:
    """One task a schedule resolves to now, as DescribeTask says (or why it could not)."""

    task: ScheduleTask
    name: str | None
    status: str | None
    problem: str | None

    def to_json(self) -> dict[str, Any]:
        parts = self.task.task_arn.split(":")
        return {
            "taskArn": self.task.task_arn,
            "name": self.name,
            "region": parts[3] if len(parts) > 4 else None,
            "account": parts[4] if len(parts) > 4 else None,
            "foundBy": self.task.found_by,
            "listed": self.task.listed,
            "tagged": self.task.tagged,
            "status": self.status,
            "problem": self.problem,
        }


@dataclass(frozen=True)
class Resolution:
    """A schedule's tasks now, or why they could not be found (`tasks` None, `problem` set).
    `unreachable` names each member account whose tagged tasks the operator's credentials could not
    look up (the tasks found elsewhere are still shown)."""

    tasks: tuple[ResolvedTask, ...] | None
    problem: str | None = None
    unreachable: tuple[str, ...] = ()


# The call botocore makes for a member account's credentials: when it fails, the account is not
# reachable with the operator's credentials (docs/regions.md#the-operators-view), not missing a task.
_ASSUME_ROLE = "AssumeRole"


def _unreachable(home: StackHome, where: Where, failed: ApiCallFailed) -> str | None:
    """`not reachable with your credentials (...)` when `failed` is the member role refusing the
    operator, else None."""
    if failed.cause.where != _ASSUME_ROLE or where.account == home.account or where.account not in home.accounts:
        return None
    role = home.reach.role_arn(where)
    return f"not reachable with your credentials ({_ASSUME_ROLE} of {role} failed with {failed.cause.error})"


class _ReachableTaggedTasks:
    """The tagged tasks of every place the operator can enter; a member account whose role refuses
    the operator's credentials is noted once and looked at no further."""

    def __init__(self, tagged: TaggedTasks, home: StackHome) -> None:
        self._tagged = tagged
        self._home = home
        self.unreachable: dict[str, str] = {}

    def tagged(self, key: str, value: str, where: Where) -> list[str]:
        if where.account in self.unreachable:
            return []
        try:
            return self._tagged.tagged(key, value, where)
        except ApiCallFailed as failed:
            note = _unreachable(self._home, where, failed)
            if note is None:
                raise
            self.unreachable[where.account] = note
            return []


def resolve(schedule: Schedule, home: StackHome, tagged_tasks: TaggedTasks, datasync: DataSyncPort) -> Resolution:
    """The tasks the schedule's firing would run now, each described in its own Region and account;
    a task DataSync does not know or will not describe is shown with why, not dropped, and a lookup
    that fails is the schedule's problem, not a crash. A member account the operator's credentials
    cannot enter is named as such: its tasks are not "not found"."""
    from datasync_scheduler.domain.batch import InvalidBatchRequest, schedule_tasks
    from datasync_scheduler.workflow.validate_batch import tagged_for

    reachable = _ReachableTaggedTasks(tagged_tasks, home)
    try:
        tagged = tagged_for(schedule, home, reachable)
    except InvalidBatchRequest as refused:
        return Resolution(None, str(refused).removeprefix("Invalid batch request: "))
    except ApiCallFailed as failed:
        return Resolution(None, f"the tasks tagged for it cannot be listed: {failed.cause.describe()}")
    unreachable = tuple(
        f"in account {account}: tasks tagged for it not looked up: {why}"
        for account, why in sorted(reachable.unreachable.items())
    )
    return Resolution(
        tuple(_described(task, home, datasync) for task in schedule_tasks(schedule, tagged)), None, unreachable
    )


def _described(task: ScheduleTask, home: StackHome, datasync: DataSyncPort) -> ResolvedTask:
    try:
        facts = datasync.task(task.task_arn)
    except TaskNotFound:
        return ResolvedTask(task, None, None, "not found: DataSync does not know this task (deleted?)")
    except ApiCallFailed as failed:
        where = Where.of_arn(task.task_arn)
        if (why := _unreachable(home, where, failed)) is not None:
            return ResolvedTask(task, None, None, f"in account {where.account}: {why}")
        what = "access denied" if "AccessDenied" in failed.cause.error else "cannot be described"
        return ResolvedTask(task, None, None, f"{what}: {failed.cause.describe()}")
    return ResolvedTask(task, facts.name, facts.status, None)


# The stack's parameters that say where else it reaches (template.yaml; docs/regions.md).
_REACH_PARAMETERS = ("TaskRegions", "MemberAccounts", "MemberRoleName")


def stack_home(clients: ClientFactory, stack_name: str) -> StackHome:
    """Where the deployed stack runs (its SyncWorkflow's ARN) and where else it reaches (its
    TaskRegions, MemberAccounts and MemberRoleName parameters, read with the same DescribeStacks:
    docs/aws-facts.md#stack-parameters): the Regions and accounts its firings look in, as Validate
    Batch does. A stack deployed before those parameters existed reaches its home only."""
    stack = described_stack(
        clients, stack_name, hint="name another with --stack-name, or read the file only with --no-resolve"
    )
    arn = stack.outputs.get("SyncWorkflowArn", "")
    parts = arn.split(":")
    if len(parts) < 7 or parts[2] != "states":
        raise OperatorError(f"stack {stack_name!r} has no output SyncWorkflowArn: it is not a datasync-scheduler stack")
    regions, accounts, role_name = (stack.parameters.get(name, "") for name in _REACH_PARAMETERS)
    try:
        reach = Reach.of(Where(parts[1], parts[3], parts[4]), regions, accounts, role_name)
    except ValueError as error:
        raise OperatorError(f"stack {stack_name!r}: parameter {one_line(str(error))}") from None
    return StackHome(parts[1], parts[3], parts[4], reach.regions, reach.accounts, reach.member_role_name)


class OperatorTaskClients(TaskClients):
    """The clients of one service for calls about tasks, from the operator's own credentials: the
    command's client (`clients`) at the stack's home, a client in the task's own Region elsewhere,
    through the member role in a member account, as the functions call (`adapters/aws_clients.py`)."""

    def __init__(self, service: str, home: StackHome, clients: ClientFactory) -> None:
        super().__init__(service, home.accounts, home.member_role_name)
        self._home = Where(home.partition, home.region, home.account)
        self._role = home.reach
        self._clients = clients
        self._service_name = service

    def at(self, where: Where) -> Any:
        if where == self._home:
            return self._clients(self._service_name)
        if where.account == self._home.account:
            return client_in(self._service_name, where)
        # AssumeRole is called in the stack's home Region when the operator's environment names
        # none for botocore (the command line honours AWS_REGION, botocore's session does not).
        return client_in(self._service_name, where, self._role.role_arn(where), self._home.region)


def _local(iso_time: str, zone: ZoneInfo, skipped: set[str]) -> str:
    when = datetime.fromisoformat(iso_time).astimezone(zone)
    skip = " (a skip date: starts nothing)" if when.date().isoformat() in skipped else ""
    return f"{when:%a %Y-%m-%d %H:%M} {when.tzname()}{skip}"


@dataclass(frozen=True)
class DeployedGroup:
    group: str
    target: ScheduleTarget


_GROUP_OUTPUTS = ("ScheduleGroupName", "BatchWorkflowArn", "SchedulerRoleArn", "ScheduleDeadLetterQueueArn")


def deployed_group(clients: ClientFactory, stack_name: str) -> DeployedGroup:
    """The group and what its schedules target, from the stack's outputs."""
    outputs = stack_outputs(clients, stack_name, hint="name another with --stack-name")
    missing = [name for name in _GROUP_OUTPUTS if not outputs.get(name)]
    if missing:
        raise OperatorError(
            f"stack {stack_name!r} has no output {', '.join(missing)}: it was deployed before named schedules "
            "(deploy this version first), or it is not a datasync-scheduler stack"
        )
    return DeployedGroup(
        outputs["ScheduleGroupName"],
        ScheduleTarget(outputs["BatchWorkflowArn"], outputs["SchedulerRoleArn"], outputs["ScheduleDeadLetterQueueArn"]),
    )


def deploy_plan(clients: ClientFactory, stack_name: str, schedules: SchedulesFile) -> SchedulePlan:
    from datasync_scheduler.adapters.schedule_group import SchedulerGroup

    deployed = deployed_group(clients, stack_name)
    held = SchedulerGroup(clients("scheduler"), deployed.group).deployed()
    return plan(desired_schedules(schedules, deployed.target), held)
