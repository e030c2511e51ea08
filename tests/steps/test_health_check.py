"""The stack's own Health Check, run every few minutes, on fakes: before a schedule's window it
looks at the schedule's tasks and sends one preflight message per firing when something will fail
or warns; a firing that never arrived is reported once; nothing is sent when all is well."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.schedules import InvalidSchedules, parse_schedules
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.ports import ApiCallFailed
from datasync_scheduler.workflow.health_check import HealthCheckFailed, HealthPorts, health_check
from tests.fakes import (
    FakeDataSync,
    FakeFiringArrivals,
    FakeHealthNotices,
    FakeLogs,
    FakeScheduleBook,
    FakeTaggedTasks,
    FakeTopic,
)

pytestmark = pytest.mark.unit

HOME = StackHome(partition="aws", region="us-east-1", account="123456789012")
LOGS = "arn:aws:logs:us-east-1:123456789012:log-group:/aws/datasync/finance:*"
# finance-nightly fires at 01:00 Berlin: 00:00 UTC in winter.
FIRING = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)


@dataclass
class Stack:
    schedules: list[dict[str, Any]]
    datasync: FakeDataSync = field(default_factory=FakeDataSync)
    logs: FakeLogs = field(default_factory=FakeLogs)
    arrivals: FakeFiringArrivals = field(default_factory=FakeFiringArrivals)
    notices: FakeHealthNotices = field(default_factory=FakeHealthNotices)
    topic: FakeTopic = field(default_factory=FakeTopic)
    tagged: FakeTaggedTasks = field(default_factory=FakeTaggedTasks)

    def check(self, at: datetime) -> list[str]:
        """One run of the Health Check at `at`: the notices it published."""
        self.datasync.now = at
        ports = HealthPorts(
            book=FakeScheduleBook(parse_schedules({"schedules": self.schedules})),
            datasync=self.datasync,
            logs_for=lambda _log_group_arn: self.logs,
            tagged=self.tagged,
            arrivals=self.arrivals,
            notices=self.notices,
            topic=self.topic,
        )
        return health_check(ports, HOME, at, chatbot=False).published

    def message(self, index: int = -1) -> dict[str, Any]:
        return dict(json.loads(self.topic.published[index].renderings["default"]))


def finance(tasks: list[str], **fields: Any) -> dict[str, Any]:
    return {
        "name": "finance-nightly",
        "expression": "cron(0 1 * * ? *)",
        "timezone": "Europe/Berlin",
        "tasks": [{"taskArn": task} for task in tasks],
        "messages": {"route": "finance"},
        **fields,
    }


def healthy_task(datasync: FakeDataSync, logs: FakeLogs, name: str = "ledger-share") -> str:
    logs.put("/aws/datasync/finance", "stream", datetime(2026, 11, 1, tzinfo=UTC), "an old line")
    return datasync.add_task(name, log_group_arn=LOGS, log_level="BASIC")


def test_an_agent_offline_before_the_window_sends_one_preflight_message_for_that_firing() -> None:
    stack = Stack([])
    good = healthy_task(stack.datasync, stack.logs)
    offline = stack.datasync.add_task("records-share", log_group_arn=LOGS, log_level="BASIC", agent_offline=True)
    stack.schedules = [finance([good, offline])]

    # Every five minutes from 40 minutes before the firing; its lead time is 30 minutes.
    sent = [stack.check(FIRING - timedelta(minutes=minutes)) for minutes in (40, 35, 30, 25, 20, 5)]

    assert sent == [[], [], ["preflight#finance-nightly#2026-11-27T00:00:00Z"], [], [], []]
    assert len(stack.topic.published) == 1
    published = stack.topic.published[0]
    assert published.attributes["schedule"]["StringValue"] == "finance-nightly"
    assert published.attributes["route"]["StringValue"] == "finance"
    assert published.attributes["kind"]["StringValue"] == "preflight"
    assert published.attributes["outcome"]["StringValue"] == "failed"
    assert "will FAIL" in published.subject and "01:00 CET" in published.subject
    message = stack.message()
    assert [(line["task"], line["status"]) for line in message["tasks"]] == [(offline.rsplit("/", 1)[-1], "WILL FAIL")]
    email = published.renderings["email"]
    assert "What preflight found:" in email and "bring the agent's VM back" in email


def test_a_healthy_schedule_sends_nothing_and_a_task_that_breaks_later_is_still_reported() -> None:
    stack = Stack([])
    task = healthy_task(stack.datasync, stack.logs)
    stack.schedules = [finance([task])]
    assert stack.check(FIRING - timedelta(minutes=30)) == []
    assert stack.check(FIRING - timedelta(minutes=25)) == []
    stack.datasync.tasks[task].agent_offline = True  # the agent goes offline 20 minutes before
    assert stack.check(FIRING - timedelta(minutes=20)) == ["preflight#finance-nightly#2026-11-27T00:00:00Z"]
    assert stack.topic.published and not stack.notices.claimed.keys() - stack.notices.sent_ids.keys()


def test_warnings_alone_send_one_warning_and_a_firing_outside_the_lead_time_is_not_looked_at() -> None:
    stack = Stack([])
    quiet = stack.datasync.add_task("quiet", log_group_arn=LOGS, log_level="OFF")
    stack.logs.put("/aws/datasync/finance", "stream", datetime(2026, 11, 1, tzinfo=UTC), "an old line")
    stack.schedules = [finance([quiet], preflight={"leadMinutes": 120})]
    assert stack.check(FIRING - timedelta(minutes=125)) == []
    assert stack.check(FIRING - timedelta(minutes=115)) == ["preflight#finance-nightly#2026-11-27T00:00:00Z"]
    published = stack.topic.published[0]
    assert published.attributes["outcome"]["StringValue"] == "warned"
    assert published.attributes["severity"]["StringValue"] == "warning"
    assert "logs nothing" in published.renderings["email"]


def test_a_firing_on_a_skip_date_is_not_preflighted() -> None:
    stack = Stack([])
    offline = stack.datasync.add_task("records-share", log_group_arn=LOGS, log_level="BASIC", agent_offline=True)
    stack.schedules = [finance([offline], skipDates=["2026-11-27"])]
    assert stack.check(FIRING - timedelta(minutes=10)) == []
    assert stack.topic.published == []


def test_a_failed_publish_gives_the_claim_back_and_the_next_check_sends_the_message() -> None:
    stack = Stack([])
    offline = stack.datasync.add_task("records-share", log_group_arn=LOGS, log_level="BASIC", agent_offline=True)
    stack.schedules = [finance([offline])]
    stack.topic.failures.append(RuntimeError("SNS is down"))
    with pytest.raises(HealthCheckFailed, match="finance-nightly"):
        stack.check(FIRING - timedelta(minutes=25))
    assert stack.topic.published == [] and stack.notices.claimed == {}
    assert stack.check(FIRING - timedelta(minutes=20)) == ["preflight#finance-nightly#2026-11-27T00:00:00Z"]
    assert stack.check(FIRING - timedelta(minutes=15)) == []


def test_two_checks_at_once_send_one_message() -> None:
    stack = Stack([])
    offline = stack.datasync.add_task("records-share", log_group_arn=LOGS, log_level="BASIC", agent_offline=True)
    stack.schedules = [finance([offline])]
    at = FIRING - timedelta(minutes=25)
    stack.notices.claim("preflight#finance-nightly#2026-11-27T00:00:00Z", at)  # the other check's claim
    assert stack.check(at) == []
    # A claim whose check died is taken over once it is older than a claim's lifetime.
    assert stack.check(at + timedelta(minutes=10)) == ["preflight#finance-nightly#2026-11-27T00:00:00Z"]


def test_a_missed_firing_is_reported_once_and_one_that_arrived_is_not() -> None:
    stack = Stack([])
    task = healthy_task(stack.datasync, stack.logs)
    stack.schedules = [finance([task])]
    nights = [FIRING - timedelta(days=days) for days in (3, 2, 1)]
    stack.arrivals.record("finance-nightly", nights[0], "batch-1", arrived_at=nights[0])
    stack.arrivals.record("finance-nightly", nights[2], "batch-3", arrived_at=nights[2])
    morning = FIRING - timedelta(hours=12)

    assert stack.check(morning) == ["missed-firing#finance-nightly#2026-11-25T00:00:00Z"]
    assert stack.check(morning + timedelta(minutes=5)) == []
    published = stack.topic.published[0]
    assert published.attributes["kind"]["StringValue"] == "missed-firing"
    assert published.attributes["route"]["StringValue"] == "finance"
    assert "never ran" in published.subject and "Wed 2026-11-25 01:00 CET" in published.subject
    assert "dead-letter queue" in published.renderings["email"]


def test_one_schedule_that_cannot_be_checked_does_not_keep_the_others_unchecked() -> None:
    stack = Stack([])
    offline = stack.datasync.add_task("records-share", log_group_arn=LOGS, log_level="BASIC", agent_offline=True)

    class BrokenArrivals(FakeFiringArrivals):
        def arrived(self, schedule: str, scheduled_times: Any) -> Any:
            if schedule == "archives":
                raise ApiCallFailed(Cause.of("BatchGetItem", "InternalServerError", "the ledger is down"))
            return super().arrived(schedule, scheduled_times)

    stack.arrivals = BrokenArrivals()
    archives = {"name": "archives", "expression": "cron(0 3 ? * SUN *)", "tasks": [{"taskArn": offline}]}
    stack.schedules = [archives, finance([offline])]
    with pytest.raises(HealthCheckFailed, match="archives"):
        stack.check(FIRING - timedelta(minutes=10))
    assert [message.attributes["schedule"]["StringValue"] for message in stack.topic.published] == ["finance-nightly"]


@pytest.mark.parametrize("lead", [0, 1441, "soon"])
def test_a_lead_time_out_of_range_is_refused_naming_the_schedule_and_field(lead: Any) -> None:
    with pytest.raises(InvalidSchedules, match=r"schedules\[0\] \(finance-nightly\)\.preflight\.leadMinutes"):
        parse_schedules({"schedules": [finance(["x"], preflight={"leadMinutes": lead})]})
