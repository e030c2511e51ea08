"""The schedule group's contract (`ScheduleGroupPort`) and the schedules book's (`ScheduleBook`), for
the fakes and for EventBridge Scheduler on moto and the file on disk."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from datasync_scheduler.adapters.schedule_book import FileScheduleBook
from datasync_scheduler.adapters.schedule_group import SchedulerGroup
from datasync_scheduler.domain.schedule_group import ScheduleTarget, desired_schedules
from datasync_scheduler.domain.schedules import parse_schedules
from datasync_scheduler.ports import ScheduleBook, ScheduleGroupPort
from tests.contract.conftest import FAKE, REAL, REGION
from tests.fakes import FakeScheduleBook, FakeScheduleGroup

GROUP = "datasync-scheduler-contract"
TARGET = ScheduleTarget(
    batch_workflow_arn=f"arn:aws:states:{REGION}:123456789012:stateMachine:BatchWorkflow-x",
    role_arn="arn:aws:iam::123456789012:role/stack-SchedulerRole",
    dead_letter_arn=f"arn:aws:sqs:{REGION}:123456789012:stack-ScheduleDeadLetterQueue",
)
TASK = f"arn:aws:datasync:{REGION}:123456789012:task/task-0123456789abcdef0"
RAW = {
    "schedules": [
        {
            "name": "finance-nightly",
            "expression": "cron(0 1 * * ? *)",
            "timezone": "Europe/Berlin",
            "flexibleWindowMinutes": 15,
            "startDate": "2026-12-01T00:00:00",
            "tasks": [{"taskArn": TASK}],
        },
        {"name": "render-farm", "expression": "rate(4 hours)", "selectByTag": True},
    ]
}
WANTED = desired_schedules(parse_schedules(RAW), TARGET)


@pytest.fixture(params=[FAKE, REAL])
def schedule_group(request: pytest.FixtureRequest) -> Iterator[ScheduleGroupPort]:
    if request.param == "fake":
        yield FakeScheduleGroup()
        return
    with mock_aws():
        client = boto3.client("scheduler", region_name=REGION)
        client.create_schedule_group(Name=GROUP)
        yield SchedulerGroup(client, GROUP)


def test_a_created_schedule_reads_back_as_it_was_made(schedule_group: ScheduleGroupPort) -> None:
    for schedule in WANTED.values():
        schedule_group.create(schedule)
    assert schedule_group.deployed() == WANTED


def test_an_update_replaces_the_schedule(schedule_group: ScheduleGroupPort) -> None:
    schedule_group.create(WANTED["finance-nightly"])
    changed = replace(WANTED["finance-nightly"], expression="cron(30 1 * * ? *)", flexible_window_minutes=None)
    schedule_group.update(changed)
    assert schedule_group.deployed() == {"finance-nightly": changed}


def test_creating_a_schedule_that_exists_makes_it_what_was_asked(schedule_group: ScheduleGroupPort) -> None:
    # A deploy repeated after a lost answer: the schedule is there already.
    schedule_group.create(WANTED["finance-nightly"])
    again = replace(WANTED["finance-nightly"], timezone="America/New_York")
    schedule_group.create(again)
    assert schedule_group.deployed() == {"finance-nightly": again}


def test_deleting_a_schedule_that_is_gone_is_no_error(schedule_group: ScheduleGroupPort) -> None:
    schedule_group.create(WANTED["render-farm"])
    schedule_group.delete("render-farm")
    schedule_group.delete("render-farm")
    assert schedule_group.deployed() == {}


@pytest.fixture(params=[FAKE, REAL])
def schedule_book(request: pytest.FixtureRequest, tmp_path: Path) -> ScheduleBook:
    if request.param == "fake":
        return FakeScheduleBook(parse_schedules(RAW))
    path = tmp_path / "schedules.yaml"
    path.write_text(
        "schedules:\n"
        "  - name: finance-nightly\n"
        "    expression: cron(0 1 * * ? *)\n"
        "    timezone: Europe/Berlin\n"
        "    flexibleWindowMinutes: 15\n"
        "    startDate: 2026-12-01T00:00:00\n"
        f"    tasks: [{{taskArn: '{TASK}'}}]\n"
        "  - {name: render-farm, expression: rate(4 hours), selectByTag: true}\n",
        encoding="utf-8",
    )
    return FileScheduleBook(path)


def test_the_book_gives_the_deployed_file_checked(schedule_book: ScheduleBook) -> None:
    schedules = schedule_book.schedules()
    assert schedules == parse_schedules(RAW)
    finance = schedules.schedule("finance-nightly")
    assert finance is not None and finance.firing(None).schedule == "finance-nightly"
