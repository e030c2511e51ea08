"""What a schedule resolves to now, as `datasync-scheduler schedules` shows it: a task DataSync will
not describe, or a listing it refuses, is shown with why, never a crash."""

from __future__ import annotations

from typing import Any

from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.schedules import parse_schedules
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.domain.where import Where
from datasync_scheduler.ports import ApiCallFailed, TaskNotFound
from datasync_scheduler_cli.schedules import resolve

HOME = StackHome(partition="aws", region="eu-west-1", account="123456789012")
LISTED = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
TAGGED = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef1"
DENIED = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef2"
GONE = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef3"


class Tagged:
    def __init__(self, found: list[str], refused: Cause | None = None) -> None:
        self.found, self.refused = found, refused
        self.asked: list[tuple[str, str, str]] = []

    def tagged(self, key: str, value: str, where: Where) -> list[str]:
        self.asked.append((key, value, where.region))
        if self.refused:
            raise ApiCallFailed(self.refused)
        return self.found


class Described:
    def task(self, task_arn: str) -> TaskFacts:
        if task_arn == DENIED:
            raise ApiCallFailed(Cause.of("DescribeTask", "AccessDeniedException", "not authorized"))
        if task_arn == GONE:
            raise TaskNotFound(Cause.of("DescribeTask", "InvalidRequestException", "no such task"))
        return TaskFacts(task_arn=task_arn, name=task_arn[-4:], status="AVAILABLE")


def nightly(**fields: Any) -> Any:
    raw = {"name": "nightly", "expression": "cron(0 1 * * ? *)", "selectByTag": True, **fields}
    return parse_schedules({"schedules": [raw]}).schedules[0]


def test_each_task_is_described_and_one_that_cannot_be_is_shown_with_why() -> None:
    schedule = nightly(tasks=[{"taskArn": LISTED}, {"taskArn": DENIED}, {"taskArn": GONE}])
    tagged = Tagged([TAGGED, LISTED])
    resolution = resolve(schedule, HOME, tagged, Described())  # type: ignore[arg-type]

    assert tagged.asked == [("datasync-scheduler:schedule", "nightly", "eu-west-1")]
    assert resolution.problem is None and resolution.tasks is not None
    shown = [task.to_json() for task in resolution.tasks]
    assert [(task["taskArn"], task["foundBy"], task["name"]) for task in shown] == [
        (LISTED, "both", "def0"),
        (DENIED, "listed", None),
        (GONE, "listed", None),
        (TAGGED, "tagged", "def1"),
    ]
    assert shown[1]["problem"] == "access denied: DescribeTask failed with AccessDeniedException: not authorized"
    assert shown[2]["problem"] == "not found: DataSync does not know this task (deleted?)"
    assert shown[0]["status"] == "AVAILABLE" and (shown[0]["region"], shown[0]["account"]) == (
        "eu-west-1",
        "123456789012",
    )


def test_a_listing_datasync_refuses_is_the_schedules_problem_not_a_crash() -> None:
    refused = Cause.of("ListTasks", "AccessDeniedException", "not authorized to perform datasync:ListTasks")
    resolution = resolve(nightly(), HOME, Tagged([], refused), Described())  # type: ignore[arg-type]
    assert resolution.tasks is None
    assert resolution.problem == (
        "the tasks tagged for it cannot be listed: ListTasks failed with AccessDeniedException: "
        "not authorized to perform datasync:ListTasks"
    )


def test_a_schedule_that_selects_nothing_by_tag_asks_datasync_nothing_about_tags() -> None:
    tagged = Tagged([TAGGED])
    resolution = resolve(nightly(selectByTag=False, tasks=[{"taskArn": LISTED}]), HOME, tagged, Described())  # type: ignore[arg-type]
    assert tagged.asked == [] and resolution.tasks is not None
    assert [task.task.found_by for task in resolution.tasks] == ["listed"]
