"""A schedule's health: what preflight finds in each task before the window, and which firings
never arrived. Each test is what an operator would see, from what DataSync says about the task."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from datasync_scheduler.domain.schedule_group import RETRY_MAX_EVENT_AGE_SECONDS
from datasync_scheduler.domain.schedule_health import (
    DataSyncSchedule,
    TaskLook,
    missed_firings,
    preflight_findings,
)

TASK = "arn:aws:datasync:eu-central-1:111122223333:task/task-0123456789abcdef0"
LOGS = "arn:aws:logs:eu-central-1:111122223333:log-group:/aws/datasync:*"


def healthy(**changes: Any) -> TaskLook:
    look = {
        "task_arn": TASK,
        "status": "AVAILABLE",
        "log_group_arn": LOGS,
        "log_group_exists": True,
        "log_level": "TRANSFER",
        "datasync_schedule": None,
    }
    return TaskLook(**{**look, **changes})


def kinds(look: TaskLook) -> list[str]:
    return [finding.kind for finding in preflight_findings(look)]


def test_a_healthy_task_has_nothing_to_report() -> None:
    assert preflight_findings(healthy()) == []


def test_a_deleted_task_will_fail_and_says_so() -> None:
    [finding] = preflight_findings(healthy(status=None))
    assert finding.kind == "task-not-found" and finding.will_fail
    assert "no longer exists" in finding.text


def test_an_unavailable_task_will_fail_and_says_an_agent_is_offline() -> None:
    [finding] = preflight_findings(healthy(status="UNAVAILABLE"))
    assert finding.kind == "task-unavailable" and finding.will_fail
    assert "agent" in finding.text and "agent" in finding.to_do


def test_a_task_queued_or_running_now_is_a_warning_not_a_failure() -> None:
    # A run finding its task busy waits for it (WhenTaskBusy): it is late, not failed.
    for status in ("QUEUED", "RUNNING"):
        [finding] = preflight_findings(healthy(status=status))
        assert finding.kind == "task-busy" and not finding.will_fail


def test_logging_off_or_a_missing_log_group_means_failures_cannot_be_itemised() -> None:
    assert kinds(healthy(log_level="OFF")) == ["logging-off"]
    assert kinds(healthy(log_level=None)) == ["logging-off"]  # no LogLevel reads as OFF
    assert kinds(healthy(log_group_arn=None)) == ["no-log-group"]
    assert kinds(healthy(log_group_exists=False)) == ["no-log-group"]
    assert not any(f.will_fail for f in preflight_findings(healthy(log_level="OFF")))


def test_a_task_datasync_also_schedules_is_flagged_as_two_schedulers() -> None:
    own = DataSyncSchedule(expression="cron(0 2 * * ? *)", status="ENABLED")
    [finding] = preflight_findings(healthy(datasync_schedule=own))
    assert finding.kind == "two-schedulers" and not finding.will_fail
    assert "cron(0 2 * * ? *)" in finding.text


def test_a_schedule_datasync_disabled_itself_carries_its_reason_made_safe() -> None:
    disabled = DataSyncSchedule(
        expression="rate(12 hours)",
        status="DISABLED",
        disabled_by="SERVICE",
        disabled_reason="Task failed\nrepeatedly: <!channel> mount timed out",
        status_update_time=datetime(2026, 11, 20, 3, 0, tzinfo=UTC),
    )
    [finding] = preflight_findings(healthy(datasync_schedule=disabled))
    assert finding.kind == "datasync-disabled"
    assert "\n" not in finding.text and "mount timed out" in finding.text
    assert "2026-11-20" in finding.text


def test_a_schedule_a_person_disabled_is_not_news() -> None:
    by_user = DataSyncSchedule(expression="rate(12 hours)", status="DISABLED", disabled_by="USER")
    assert preflight_findings(healthy(datasync_schedule=by_user)) == []


def test_a_firing_is_missed_only_after_its_window_and_the_schedulers_retries() -> None:
    fired = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    grace = timedelta(minutes=15) + timedelta(seconds=RETRY_MAX_EVENT_AGE_SECONDS)
    expected = [fired - timedelta(days=1), fired]
    arrived = {fired - timedelta(days=1)}
    assert missed_firings(expected, arrived, now=fired + grace - timedelta(seconds=1), flexible_window_minutes=15) == []
    assert missed_firings(expected, arrived, now=fired + grace, flexible_window_minutes=15) == [fired]


def test_an_arrival_matches_its_firing_whatever_the_zone_it_is_written_in() -> None:
    fired = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)
    arrived_berlin = {fired.astimezone(ZoneInfo("Europe/Berlin"))}
    later = fired + timedelta(days=1)
    assert missed_firings([fired], arrived_berlin, now=later, flexible_window_minutes=None) == []


def test_a_task_that_writes_a_task_report_needs_no_logs_to_itemise_failures() -> None:
    assert preflight_findings(healthy(log_level="OFF", log_group_arn=None, writes_task_report=True)) == []
