"""Preflight over the tasks a schedule resolves to, through the DataSync port (on the fake): what
DescribeTask says becomes the findings an operator gets before the window."""

from datetime import UTC, datetime

import pytest

from datasync_scheduler.workflow.preflight import preflight
from tests.fakes import FakeDataSync

pytestmark = pytest.mark.unit

LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/datasync:*"


def test_a_deleted_task_and_a_task_without_logs_are_found_and_a_healthy_one_is_not() -> None:
    datasync = FakeDataSync()
    healthy = datasync.add_task("healthy", log_group_arn=LOGS, log_level="TRANSFER")
    silent = datasync.add_task("silent", log_group_arn=LOGS, log_level="OFF")
    gone = "arn:aws:datasync:us-east-1:123456789012:task/task-0fffffffffffffff0"  # deleted since it was tagged
    findings = preflight([healthy, silent, gone], datasync)
    assert [(f.task_arn, f.kind) for f in findings] == [(silent, "logging-off"), (gone, "task-not-found")]


def test_datasyncs_own_schedule_is_read_from_describe_task() -> None:
    datasync = FakeDataSync()
    both = datasync.add_task(
        "both",
        log_group_arn=LOGS,
        log_level="BASIC",
        schedule={"ScheduleExpression": "cron(0 2 * * ? *)", "Status": "ENABLED"},
    )
    stopped = datasync.add_task(
        "stopped",
        log_group_arn=LOGS,
        log_level="BASIC",
        schedule={"ScheduleExpression": "rate(12 hours)", "Status": "DISABLED"},
        schedule_details={
            "DisabledBy": "SERVICE",
            "DisabledReason": "Task failed repeatedly: mount timed out",
            "StatusUpdateTime": datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
        },
    )
    kinds = {f.task_arn: f.kind for f in preflight([both, stopped], datasync)}
    assert kinds == {both: "two-schedulers", stopped: "datasync-disabled"}


def test_a_log_group_that_was_deleted_is_found_when_the_logs_are_looked_at() -> None:
    from tests.fakes import FakeLogs

    datasync, logs = FakeDataSync(), FakeLogs()
    kept = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/datasync/kept:*"
    logs.put("/aws/datasync/kept", "stream", datetime(2026, 11, 1, tzinfo=UTC), "an old line")
    with_logs = datasync.add_task("kept", log_group_arn=kept, log_level="BASIC")
    without = datasync.add_task("deleted-group", log_group_arn=LOGS, log_level="BASIC")
    now = datetime(2026, 11, 26, 0, 30, tzinfo=UTC)
    findings = preflight([with_logs, without], datasync, logs, now=now)
    assert [(f.task_arn, f.kind) for f in findings] == [(without, "no-log-group")]
    assert "gone" in findings[0].text
