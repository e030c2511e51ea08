"""The schedules file: what a person writes, and every mistake caught before a deploy, naming the
schedule and the field."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from datasync_scheduler.adapters.schedule_book import load_schedules
from datasync_scheduler.domain.schedule_expression import (
    AtExpression,
    CronExpression,
    InvalidExpression,
    RateExpression,
    parse_expression,
)
from datasync_scheduler.domain.schedules import InvalidSchedules, parse_schedules

ROOT = Path(__file__).resolve().parents[2]
TASK = "arn:aws:datasync:eu-central-1:111122223333:task/task-0123456789abcdef0"


def one(**fields: Any) -> dict[str, Any]:
    schedule = {"name": "finance-nightly", "expression": "cron(0 1 * * ? *)", "tasks": [{"taskArn": TASK}]}
    return {"schedules": [{**schedule, **fields}]}


def refused(raw: dict[str, Any]) -> str:
    with pytest.raises(InvalidSchedules) as caught:
        parse_schedules(raw)
    return str(caught.value)


def test_the_repositorys_schedules_file_is_valid() -> None:
    # `sam build` ships this file; a deploy of a broken one would fail in CloudFormation.
    load_schedules(ROOT / "schedules" / "schedules.yaml")


def _yaml_examples(page: Path) -> list[str]:
    return re.findall(r"```yaml\n(.*?)```", page.read_text(encoding="utf-8"), flags=re.S)


def test_every_schedules_example_in_the_docs_is_valid() -> None:
    examples = [block for block in _yaml_examples(ROOT / "docs" / "schedules.md") if "schedules:" in block]
    assert examples, "docs/schedules.md shows the file"
    for block in examples:
        parse_schedules(yaml.safe_load(block), source="docs/schedules.md")
    # The page shows examples/schedules.yaml as it is (its commands run on that file).
    assert examples[0] == (ROOT / "examples" / "schedules.yaml").read_text(encoding="utf-8")
    assert len(load_schedules(ROOT / "examples" / "schedules.yaml").schedules) == 3


@pytest.mark.parametrize(
    "expression",
    [
        # EventBridge's documented examples (docs/aws-facts.md#named-schedules)
        "cron(0 10 * * ? *)",
        "cron(15 12 * * ? *)",
        "cron(0 18 ? * MON-FRI *)",
        "cron(0 8 1 * ? *)",
        "cron(0/15 * * * ? *)",
        "cron(0/10 * ? * MON-FRI *)",
        "cron(0/5 8-17 ? * MON-FRI *)",
        "cron(0 9 ? * 2#1 *)",
        "cron(0 2 L * ? *)",
        "cron(0 2 3W * ? *)",
        "cron(0 2 ? * 6L *)",
        "cron(0 2 ? JAN,FEB,MAR SUN 2027-2030)",
        "rate(5 minutes)",
        "rate(1 hour)",
        "rate(1 day)",
        "rate(7 days)",
        "at(2026-12-24T18:00:00)",
    ],
)
def test_expressions_scheduler_documents_are_accepted(expression: str) -> None:
    parse_schedules(one(expression=expression))


@pytest.mark.parametrize(
    ("expression", "says"),
    [
        ("cron(0 2 * * *)", "six fields"),
        ("cron(0 2 * * ? * *)", "six fields"),
        ("cron(0 2 * * * *)", "exactly one of day-of-month and day-of-week must be ?"),
        ("cron(0 2 ? * ? *)", "exactly one of day-of-month and day-of-week must be ?"),
        ("cron(60 2 * * ? *)", "minutes takes 0-59, not 60"),
        ("cron(0 24 * * ? *)", "hours takes 0-23, not 24"),
        ("cron(0 2 32 * ? *)", "day-of-month takes 1-31, not 32"),
        ("cron(0 2 * 13 ? *)", "month takes 1-12, not 13"),
        ("cron(0 2 ? * 8 *)", "day-of-week takes 1-7, not 8"),
        ("cron(0 2 ? * 3#1,6#3 *)", "one # expression only"),
        ("cron(0 2 ? * 2#6 *)", "day-of-week takes 1-5, not 6"),
        ("cron(0 2 * * ? 1969)", "year takes 1970-2199, not 1969"),
        ("cron(0 2 ? * MON/2 *)", "does not take /"),
        ("cron(0 17-9 * * ? *)", "ends before it starts"),
        ("rate(0 hours)", "positive whole number"),
        ("rate(5 weeks)", "minute(s), hour(s) or day(s)"),
        ("rate(1.5 hours)", "positive whole number"),
        ("at(2026-02-30T01:00:00)", "not a real date"),
        ("at(2026-02-03 01:00)", "yyyy-mm-ddThh:mm:ss"),
        ("every night at two", "must be at("),
    ],
)
def test_a_wrong_expression_is_refused_naming_the_schedule_and_the_part(expression: str, says: str) -> None:
    message = refused(one(expression=expression))
    assert "schedules[0] (finance-nightly).expression:" in message
    assert says in message


def test_expressions_are_read_into_their_kind() -> None:
    assert parse_expression("rate(4 hours)") == RateExpression(4, "hours")
    assert parse_expression("at(2026-12-24T18:00:00)") == AtExpression(datetime(2026, 12, 24, 18))
    cron = parse_expression("cron(0 1 ? * mon-fri *)")
    assert isinstance(cron, CronExpression)
    assert cron.fields == "0 1 ? * MON-FRI *"
    with pytest.raises(InvalidExpression):
        parse_expression("cron(0 1 * * ? *")


def test_dates_without_a_zone_are_local_times_of_the_schedule() -> None:
    schedule = parse_schedules(
        one(timezone="Europe/Berlin", startDate="2026-03-01T00:00:00", endDate="2026-07-01T00:00:00+00:00")
    ).schedules[0]
    assert schedule.start_utc == datetime(2026, 2, 28, 23, tzinfo=UTC)  # CET, UTC+1
    assert schedule.end_utc == datetime(2026, 7, 1, tzinfo=UTC)


def test_an_end_before_the_start_is_refused() -> None:
    assert "`endDate` must be after `startDate`" in refused(one(startDate="2026-03-01", endDate="2026-02-01"))


def test_skip_dates_outside_the_schedules_dates_are_refused() -> None:
    early = refused(one(startDate="2026-03-01", skipDates=["2026-02-28"]))
    assert "schedules[0] (finance-nightly): `skipDates` has 2026-02-28, before `startDate`" in early
    late = refused(one(endDate="2026-12-31T00:00:00", skipDates=["2027-01-01"]))
    assert "`skipDates` has 2027-01-01, after `endDate`" in late
    twice = refused(one(skipDates=["2026-12-24", "2026-12-24"]))
    assert "`skipDates` names a date twice" in twice
    assert "schedules[0] (finance-nightly).skipDates.0" in refused(one(skipDates=["24.12.2026"]))


def test_a_one_time_schedule_outside_its_dates_is_refused() -> None:
    message = refused(one(expression="at(2026-01-05T01:00:00)", startDate="2026-02-01"))
    assert "never fire" in message


def test_every_problem_of_the_file_is_named_in_one_error() -> None:
    raw = {
        "schedules": [
            {"name": "ok", "expression": "rate(1 day)", "tasks": [{"taskArn": TASK}]},
            {"name": "bad zone", "expression": "rate(1 day)", "timezone": "Mars/Olympus", "selectByTag": True},
        ]
    }
    message = refused(raw)
    assert "schedules[1] (bad zone).name:" in message
    assert "schedules[1] (bad zone).timezone: 'Mars/Olympus' is not an IANA time zone" in message


def test_a_file_that_is_not_yaml_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "schedules.yaml"
    path.write_text("schedules:\n  - name: [unclosed\n", encoding="utf-8")
    with pytest.raises(InvalidSchedules, match=r"schedules.yaml: not valid YAML at line 3"):
        load_schedules(path)
