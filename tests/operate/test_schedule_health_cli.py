"""An operator asks how each named schedule is doing: its last firing, and the firings its own
expression says should have arrived but never did (after the flexible window and Scheduler's
retries), read from the arrivals Validate Batch records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from datasync_scheduler.domain.schedules import parse_schedules
from datasync_scheduler_cli.schedule_health import health_lines, schedule_health
from tests.fakes import FakeFiringArrivals

TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
BATCH = "arn:aws:states:us-east-1:123456789012:execution:BatchWorkflow-x:nightly"
NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def nightly(**fields: Any) -> Any:
    raw = {"name": "nightly", "expression": "cron(0 1 * * ? *)", "tasks": [{"taskArn": TASK}], **fields}
    return parse_schedules({"schedules": [raw]}).schedules[0]


def night(days_ago: int) -> datetime:
    return datetime(2026, 11, 26, 1, 0, tzinfo=UTC) - timedelta(days=days_ago)


@pytest.mark.unit
def test_a_schedule_that_fired_every_night_is_healthy_and_shows_its_last_firing() -> None:
    arrivals = FakeFiringArrivals()
    for days in range(7):
        arrivals.record("nightly", night(days), f"{BATCH}-{days}", arrived_at=night(days) + timedelta(seconds=2))
    health = schedule_health(nightly(), NOW, arrivals)
    assert health["missedFirings"] == []
    assert health["lastFiring"]["scheduledTime"] == "2026-11-26T01:00:00+00:00"
    assert health["lastFiring"]["batchExecution"] == f"{BATCH}-0"
    assert health_lines(health) == ["  last firing: Thu 2026-11-26 01:00 UTC, arrived"]


@pytest.mark.unit
def test_a_night_that_never_arrived_is_reported_missed() -> None:
    arrivals = FakeFiringArrivals()
    for days in (0, 1, 3, 4):
        arrivals.record("nightly", night(days), BATCH, arrived_at=night(days))
    health = schedule_health(nightly(), NOW, arrivals)
    assert health["missedFirings"] == ["2026-11-24T01:00:00+00:00"]
    assert "  MISSED: Tue 2026-11-24 01:00 UTC (no firing arrived)" in health_lines(health)


@pytest.mark.unit
def test_tonights_firing_is_not_missed_while_scheduler_may_still_deliver_it() -> None:
    arrivals = FakeFiringArrivals()
    arrivals.record("nightly", night(1), BATCH, arrived_at=night(1))
    # 01:00 + the retry policy's hour: not yet missed at 01:59, missed from 02:00.
    assert schedule_health(nightly(), night(0) + timedelta(minutes=59), arrivals)["missedFirings"] == []
    later = schedule_health(nightly(), night(0) + timedelta(minutes=60), arrivals)
    assert later["missedFirings"] == ["2026-11-26T01:00:00+00:00"]


@pytest.mark.unit
def test_a_schedule_with_a_flexible_window_is_not_checked_for_missed_firings_and_says_why() -> None:
    # Whether a firing's scheduled time is the expression's or the moment within the window is not
    # documented: matching it to the expression could call every firing missed.
    health = schedule_health(nightly(flexibleWindowMinutes=15), NOW, FakeFiringArrivals())
    assert health["missedFirings"] == [] and "flexible window" in health["note"]


@pytest.mark.unit
def test_a_schedule_with_no_arrival_at_all_says_so_without_inventing_a_list() -> None:
    # Arrivals are recorded from the deploy that brought them: silence may be a new stack.
    health = schedule_health(nightly(), NOW, FakeFiringArrivals())
    assert health["lastFiring"] is None and health["missedFirings"] == []
    assert "no firing recorded" in health["note"]


@pytest.mark.unit
def test_a_rate_schedule_without_a_start_date_cannot_be_checked_and_says_why() -> None:
    raw = {"name": "often", "expression": "rate(1 hour)", "tasks": [{"taskArn": TASK}]}
    schedule = parse_schedules({"schedules": [raw]}).schedules[0]
    health = schedule_health(schedule, NOW, FakeFiringArrivals())
    assert health["missedFirings"] == [] and "start date" in health["note"]


def test_schedules_health_reads_the_arrivals_of_the_local_stacks_run_ledger(served: Any, tmp_path: Any) -> None:
    import json

    import yaml

    from datasync_scheduler.adapters.firing_arrivals import DynamoDbFiringArrivals
    from tests.operate.conftest import http_clients
    from tests.operate.test_schedules_cli import run

    clients = http_clients(served)
    table = served.stack.tables["RunLedger"]
    now = datetime.now(UTC)
    path = tmp_path / "schedules.yaml"
    hourly = {"name": "hourly", "expression": "cron(0 * * * ? *)", "tasks": [{"taskArn": TASK}]}
    path.write_text(yaml.safe_dump({"schedules": [hourly]}), encoding="utf-8")
    # The firing three hours ago arrived; the two after it did not, and the retry policy's hour is over.
    three_hours_ago = now.replace(minute=0, second=0, microsecond=0) - timedelta(hours=3)
    DynamoDbFiringArrivals(table, clients("dynamodb")).record(
        "hourly", three_hours_ago, BATCH, arrived_at=three_hours_ago
    )

    code, lines, _ = run(["schedules", "--file", str(path), "--health", "--format", "json"], clients)
    assert code == 0
    health = json.loads("\n".join(lines))["schedules"][0]["health"]
    assert health["lastFiring"]["batchExecution"] == BATCH
    assert health["missedFirings"] == [(three_hours_ago + timedelta(hours=h)).isoformat() for h in (1, 2)]


def test_schedules_health_runs_preflight_on_the_tasks_each_schedule_resolves_to_now(served: Any, tmp_path: Any) -> None:
    import json

    import yaml

    from tests.operate.conftest import http_clients
    from tests.operate.test_schedules_cli import run

    clients = http_clients(served)
    datasync = clients("datasync")
    task = datasync.list_tasks()["Tasks"][0]["TaskArn"]
    gone = task[:-1] + ("0" if task[-1] != "0" else "1")
    path = tmp_path / "schedules.yaml"
    raw = {"name": "nightly", "expression": "cron(0 1 * * ? *)", "tasks": [{"taskArn": task}, {"taskArn": gone}]}
    path.write_text(yaml.safe_dump({"schedules": [raw]}), encoding="utf-8")

    code, lines, _ = run(["schedules", "--file", str(path), "--health", "--format", "json"], clients)
    assert code == 0
    preflight = json.loads("\n".join(lines))["schedules"][0]["health"]["preflight"]
    assert {"taskArn": gone, "kind": "task-not-found", "willFail": True} in [
        {key: finding[key] for key in ("taskArn", "kind", "willFail")} for finding in preflight
    ]
    code, text, _ = run(["schedules", "--file", str(path), "--health"], clients)
    assert any(line.startswith("  WILL FAIL: task ") and "no longer exists" in line for line in text)


def test_a_task_datasync_also_schedules_is_flagged_through_describe_task(served: Any, tmp_path: Any) -> None:
    import yaml

    from tests.operate.conftest import http_clients
    from tests.operate.test_schedules_cli import run

    clients = http_clients(served)
    datasync = clients("datasync")
    existing = datasync.describe_task(TaskArn=datasync.list_tasks()["Tasks"][0]["TaskArn"])
    task = datasync.create_task(
        SourceLocationArn=existing["SourceLocationArn"],
        DestinationLocationArn=existing["DestinationLocationArn"],
        Name="also-scheduled",
        Schedule={"ScheduleExpression": "cron(0 2 * * ? *)"},
    )["TaskArn"]
    path = tmp_path / "schedules.yaml"
    raw = {"name": "nightly", "expression": "cron(0 1 * * ? *)", "tasks": [{"taskArn": task}]}
    path.write_text(yaml.safe_dump({"schedules": [raw]}), encoding="utf-8")

    code, text, _ = run(["schedules", "--file", str(path), "--health"], clients)
    assert code == 0
    assert any(
        line.startswith("  warning: task ") and "own DataSync schedule cron(0 2 * * ? *)" in line for line in text
    )


def test_a_task_logging_to_a_log_group_that_is_gone_is_told_before_the_window(served: Any, tmp_path: Any) -> None:
    import yaml

    from tests.operate.conftest import http_clients
    from tests.operate.test_schedules_cli import run

    clients = http_clients(served)
    datasync = clients("datasync")
    existing = datasync.describe_task(TaskArn=datasync.list_tasks()["Tasks"][0]["TaskArn"])
    task = datasync.create_task(
        SourceLocationArn=existing["SourceLocationArn"],
        DestinationLocationArn=existing["DestinationLocationArn"],
        Name="logs-nowhere",
        CloudWatchLogGroupArn="arn:aws:logs:us-east-1:123456789012:log-group:/deleted/datasync:*",
        Options={"LogLevel": "TRANSFER"},
    )["TaskArn"]
    path = tmp_path / "schedules.yaml"
    raw = {"name": "nightly", "expression": "cron(0 1 * * ? *)", "tasks": [{"taskArn": task}]}
    path.write_text(yaml.safe_dump({"schedules": [raw]}), encoding="utf-8")

    code, text, _ = run(["schedules", "--file", str(path), "--health"], clients)
    assert code == 0
    assert any(line.startswith("  warning: task ") and "log group that is gone" in line for line in text)


@pytest.mark.unit
def test_a_frequent_schedule_is_checked_over_its_newest_firings() -> None:
    raw = {"name": "often", "expression": "cron(0/5 * * * ? *)", "tasks": [{"taskArn": TASK}]}
    schedule = parse_schedules({"schedules": [raw]}).schedules[0]
    arrivals = FakeFiringArrivals()
    # 2,016 firings a week: the check keeps the newest ones. The last three hours arrived but one.
    fired = [NOW - timedelta(minutes=5 * step) for step in range(1, 37)]
    lost = NOW - timedelta(minutes=90)
    for time in fired:
        if time != lost:
            arrivals.record("often", time, BATCH, arrived_at=time)
    health = schedule_health(schedule, NOW, arrivals)
    assert health["missedFirings"] == [lost.isoformat()]
    assert health["lastFiring"]["scheduledTime"] == (NOW - timedelta(minutes=5)).isoformat()
