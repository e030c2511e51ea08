"""An operator looks at the named schedules: when each fires next in its own time zone (across
daylight-saving changes, as EventBridge Scheduler fires them), and what the next deploy changes in
the deployed stack's schedule group (`schedules plan`, over HTTP to the local stack)."""

from __future__ import annotations

import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from datasync_scheduler.domain.schedule_firings import next_firings
from datasync_scheduler.domain.schedules import parse_schedules
from datasync_scheduler_cli.cli import main
from emulator.server import LocalStackServer
from tests.operate.conftest import http_clients

TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"


def run(argv: list[str], clients: Any = None) -> tuple[int, list[str], str]:
    out, err = io.StringIO(), io.StringIO()
    previous = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        code = main(argv, clients=clients)
    finally:
        sys.stdout, sys.stderr = previous
    return code, out.getvalue().splitlines(), err.getvalue()


def schedule(expression: str, timezone: str = "UTC", **fields: Any) -> Any:
    raw = {"name": "s", "expression": expression, "timezone": timezone, "tasks": [{"taskArn": TASK}], **fields}
    return parse_schedules({"schedules": [raw]}).schedules[0]


def firings(expression: str, timezone: str, now: datetime, count: int = 3, **fields: Any) -> list[str]:
    return [time.isoformat() for time in next_firings(schedule(expression, timezone, **fields), now, count).times]


# --- next firings ---------------------------------------------------------------------------------

# EventBridge's documented cron examples (docs/aws-facts.md#named-schedules), from Thursday
# 2026-11-26 04:00 UTC.
NOW = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # 10:00 every day
        ("cron(0 10 * * ? *)", ["2026-11-26T10:00:00+00:00", "2026-11-27T10:00:00+00:00", "2026-11-28T10:00:00+00:00"]),
        # 18:00 Monday to Friday: Thursday, Friday, then Monday
        (
            "cron(0 18 ? * MON-FRI *)",
            ["2026-11-26T18:00:00+00:00", "2026-11-27T18:00:00+00:00", "2026-11-30T18:00:00+00:00"],
        ),
        # 08:00 on the first day of every month
        ("cron(0 8 1 * ? *)", ["2026-12-01T08:00:00+00:00", "2027-01-01T08:00:00+00:00", "2027-02-01T08:00:00+00:00"]),
        # every 15 minutes
        (
            "cron(0/15 * * * ? *)",
            ["2026-11-26T04:15:00+00:00", "2026-11-26T04:30:00+00:00", "2026-11-26T04:45:00+00:00"],
        ),
        # every 5 minutes between 08:00 and 17:55 Monday to Friday
        (
            "cron(0/5 8-17 ? * MON-FRI *)",
            ["2026-11-26T08:00:00+00:00", "2026-11-26T08:05:00+00:00", "2026-11-26T08:10:00+00:00"],
        ),
        # 09:00 on the first Monday of every month (2#1)
        (
            "cron(0 9 ? * 2#1 *)",
            ["2026-12-07T09:00:00+00:00", "2027-01-04T09:00:00+00:00", "2027-02-01T09:00:00+00:00"],
        ),
        # the last day of the month (L)
        ("cron(0 2 L * ? *)", ["2026-11-30T02:00:00+00:00", "2026-12-31T02:00:00+00:00", "2027-01-31T02:00:00+00:00"]),
        # the weekday nearest the 3rd (3W): 2027-01-03 is a Sunday, so Monday the 4th
        ("cron(0 2 3W * ? *)", ["2026-12-03T02:00:00+00:00", "2027-01-04T02:00:00+00:00", "2027-02-03T02:00:00+00:00"]),
    ],
)
def test_next_firings_of_eventbridges_documented_examples(expression: str, expected: list[str]) -> None:
    assert firings(expression, "UTC", NOW) == expected


def test_a_nightly_schedule_in_berlin_keeps_its_local_time_across_the_spring_change() -> None:
    # 2027-03-28: clocks go from 02:00 to 03:00 in Europe/Berlin. 01:00 exists every night.
    assert firings("cron(0 1 * * ? *)", "Europe/Berlin", datetime(2027, 3, 26, 12, tzinfo=UTC)) == [
        "2027-03-27T01:00:00+01:00",
        "2027-03-28T01:00:00+01:00",
        "2027-03-29T01:00:00+02:00",
    ]


def test_a_local_time_the_clocks_skip_does_not_fire_that_night() -> None:
    # 02:30 does not exist in Berlin on 2027-03-28: Scheduler skips that firing.
    assert firings("cron(30 2 * * ? *)", "Europe/Berlin", datetime(2027, 3, 27, 0, tzinfo=UTC)) == [
        "2027-03-27T02:30:00+01:00",
        "2027-03-29T02:30:00+02:00",
        "2027-03-30T02:30:00+02:00",
    ]


def test_a_local_time_the_clocks_pass_twice_fires_once() -> None:
    # 2026-11-01 in New York: 01:00-01:59 happens twice (EDT, then EST); the schedule fires once.
    assert firings("cron(30 1 * * ? *)", "America/New_York", datetime(2026, 10, 31, 12, tzinfo=UTC)) == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-02T01:30:00-05:00",
        "2026-11-03T01:30:00-05:00",
    ]
    assert firings("cron(30 * * * ? *)", "America/New_York", datetime(2026, 11, 1, 4, tzinfo=UTC), 4) == [
        "2026-11-01T00:30:00-04:00",
        "2026-11-01T01:30:00-04:00",
        "2026-11-01T02:30:00-05:00",
        "2026-11-01T03:30:00-05:00",
    ]


def test_a_daily_rate_counts_24_hours_so_its_local_time_moves_at_a_change() -> None:
    assert firings(
        "rate(1 day)", "Europe/Berlin", datetime(2027, 3, 26, 12, tzinfo=UTC), startDate="2027-03-26T01:00:00"
    ) == [
        "2027-03-27T01:00:00+01:00",
        "2027-03-28T01:00:00+01:00",
        "2027-03-29T02:00:00+02:00",
    ]


def test_start_and_end_dates_bound_the_firings() -> None:
    assert firings("cron(0 1 * * ? *)", "UTC", NOW, startDate="2027-01-10T00:00:00", endDate="2027-01-11T12:00:00") == [
        "2027-01-10T01:00:00+00:00",
        "2027-01-11T01:00:00+00:00",
    ]
    rate = next_firings(schedule("rate(4 hours)"), NOW)
    assert rate.times == () and rate.note == "every 4 hours from when the schedule was created"


# --- the command ----------------------------------------------------------------------------------


def write(tmp_path: Path, schedules: list[dict[str, Any]]) -> str:
    path = tmp_path / "schedules.yaml"
    path.write_text(yaml.safe_dump({"schedules": schedules}), encoding="utf-8")
    return str(path)


def test_the_listing_names_each_schedules_firings_tasks_and_tag(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        [
            {
                "name": "finance-nightly",
                "expression": "cron(0 1 * * ? *)",
                "timezone": "Europe/Berlin",
                "tasks": [{"taskArn": TASK}],
            },
            {"name": "archives", "expression": "cron(0 3 ? * SUN *)", "selectByTag": True, "regions": ["eu-west-1"]},
        ],
    )
    code, lines, _ = run(["schedules", "--file", path, "--no-resolve"])
    assert code == 0
    assert lines[0] == "finance-nightly  cron(0 1 * * ? *)  Europe/Berlin"
    assert lines[1].startswith("  next: ") and lines[1].count("01:00 CE") == 3
    assert lines[2] == f"  task: {TASK}"
    assert "  and every task tagged datasync-scheduler:schedule=archives in eu-west-1, found when it fires" in lines
    code, lines, _ = run(["schedules", "--file", path, "--format", "json", "--no-resolve"])
    views = json.loads("\n".join(lines))["schedules"]
    assert [view["name"] for view in views] == ["finance-nightly", "archives"]
    assert len(views[0]["nextFirings"]) == 3 and views[0]["tasks"] == [TASK]
    assert views[1]["selectByTag"] and views[1]["tag"] == "datasync-scheduler:schedule=archives"
    assert views[1]["resolvedTasks"] is None and views[1]["health"] is None


def test_a_wrong_file_is_one_line_naming_the_schedule_and_field_with_status_2(tmp_path: Path) -> None:
    path = write(tmp_path, [{"name": "archives", "expression": "cron(0 3 * * * *)", "selectByTag": True}])
    code, lines, err = run(["schedules", "--file", path])
    assert code == 2 and lines == []
    assert err.count("\n") == 1
    assert err.startswith("error: schedules.yaml: schedules[0] (archives).expression: cron(): exactly one of")


def test_plan_against_the_local_stack_lists_what_a_deploy_adds_changes_and_removes(
    served: LocalStackServer, tmp_path: Path
) -> None:
    clients = http_clients(served)
    path = write(
        tmp_path, [{"name": "finance-nightly", "expression": "cron(0 1 * * ? *)", "tasks": [{"taskArn": TASK}]}]
    )
    code, lines, _ = run(["schedules", "plan", "--file", path, "--stack-name", "datasync-scheduler"], clients)
    assert (code, lines) == (0, ["+ finance-nightly  (added)", "1 to add, 0 to change, 0 to remove, 0 unchanged"])
    # Someone created two schedules in the group by hand; the file knows one of them, differently.
    group = served.stack.schedule_groups["ScheduleGroup"]
    scheduler = clients("scheduler")
    for name in ("finance-nightly", "stray"):
        scheduler.create_schedule(
            GroupName=group,
            Name=name,
            ScheduleExpression="cron(0 5 * * ? *)",
            FlexibleTimeWindow={"Mode": "OFF"},
            Target={"Arn": served.stack.state_machines["BatchWorkflow"], "RoleArn": "arn:aws:iam::123456789012:role/x"},
        )
    code, lines, _ = run(["schedules", "plan", "--file", path, "--format", "json"], clients)
    assert code == 0
    assert json.loads("\n".join(lines)) == {
        "add": [],
        "change": [
            {"name": "finance-nightly", "fields": ["expression", "role", "input", "deadLetterQueue", "retryPolicy"]}
        ],
        "remove": ["stray"],
        "unchanged": [],
    }


def test_plan_against_a_stack_without_a_schedule_group_says_what_to_do(
    served: LocalStackServer, tmp_path: Path
) -> None:
    path = write(tmp_path, [])
    code, _, err = run(["schedules", "plan", "--file", path, "--stack-name", "not-this-one"], http_clients(served))
    assert code == 2
    assert err.startswith("error: cannot read the outputs of stack 'not-this-one'")


# --- the tasks each schedule resolves to now -------------------------------------------------------

SCHEDULE_TAG = {"Key": "datasync-scheduler:schedule", "Value": "nightly"}


def test_the_listing_shows_the_tasks_each_schedule_resolves_to_now_listed_tagged_or_gone(
    served: LocalStackServer, tmp_path: Path
) -> None:
    clients = http_clients(served)
    quick, changing = served.task_arns[:2]
    home = quick.split(":")[3:5]
    # A task the file lists that DataSync no longer knows (deleted since the file was written).
    gone = f"arn:aws:datasync:{home[0]}:{home[1]}:task/task-0000000000000000f"
    for task in (quick, changing):
        clients("datasync").tag_resource(ResourceArn=task, Tags=[SCHEDULE_TAG])
    path = write(
        tmp_path,
        [
            {
                "name": "nightly",
                "expression": "cron(0 1 * * ? *)",
                "tasks": [{"taskArn": quick}, {"taskArn": gone}],
                "selectByTag": True,
            },
            {"name": "weekly", "expression": "cron(0 3 ? * SUN *)", "selectByTag": True},
        ],
    )

    code, lines, _ = run(["schedules", "--file", path, "--format", "json"], clients)
    assert code == 0
    nightly, weekly = json.loads("\n".join(lines))["schedules"]
    assert [(task["taskArn"], task["name"], task["foundBy"]) for task in nightly["resolvedTasks"]] == [
        (quick, "quick-copy", "both"),
        (gone, None, "listed"),
        (changing, "changing-share", "tagged"),
    ]
    assert {(task["region"], task["account"]) for task in nightly["resolvedTasks"]} == {tuple(home)}
    assert [task["problem"] for task in nightly["resolvedTasks"]] == [
        None,
        "not found: DataSync does not know this task (deleted?)",
        None,
    ]
    assert nightly["resolveProblem"] is None
    # Nothing is tagged for weekly: it resolves to no task, which a firing would refuse.
    assert weekly["resolvedTasks"] == []

    code, lines, _ = run(["schedules", "--file", path], clients)
    assert code == 0
    assert f"  now: quick-copy  listed and tagged  {home[0]}  {home[1]}  {quick}" in lines
    unknown = "(not found: DataSync does not know this task (deleted?))"
    assert f"  now: {unknown}  listed  {home[0]}  {home[1]}  {gone}" in lines
    assert "  now: no task: none listed and none tagged datasync-scheduler:schedule=weekly" in lines


def test_without_aws_the_listing_reads_the_file_only(tmp_path: Path) -> None:
    path = write(tmp_path, [{"name": "nightly", "expression": "cron(0 1 * * ? *)", "selectByTag": True}])
    code, lines, _ = run(["schedules", "--file", path, "--no-resolve", "--format", "json"])
    assert code == 0
    (view,) = json.loads("\n".join(lines))["schedules"]
    assert view["resolvedTasks"] is None and view["resolveProblem"] is None


def test_without_a_region_the_listing_says_what_to_do_and_how_to_read_the_file_only(tmp_path: Path) -> None:
    from botocore.exceptions import NoRegionError

    def no_region(service: str) -> Any:
        raise NoRegionError

    path = write(tmp_path, [{"name": "nightly", "expression": "cron(0 1 * * ? *)", "selectByTag": True}])
    code, lines, err = run(["schedules", "--file", path], no_region)
    assert code == 2 and lines == []
    assert err.startswith("error: no AWS Region is set: export AWS_REGION")
    assert err.rstrip().endswith("or read the file only with --no-resolve")
