"""Scenario data for a task's own DataSync schedule (`datasyncSchedule`): what a scenario may say,
and what it is told when it says it wrong (naming the task and the field)."""

import json
from typing import Any

import pytest

from emulator.scenario import SCENARIO_DIR, DataSyncScheduleSpec, ScenarioError, parse_scenario


def with_schedule(own: Any) -> dict[str, Any]:
    raw: dict[str, Any] = json.loads((SCENARIO_DIR / "datasync-schedule-disabled.json").read_text(encoding="utf-8"))
    raw["tasks"][0]["datasyncSchedule"] = own
    return raw


def test_a_schedule_datasync_disabled_is_read_with_its_reason() -> None:
    scenario = parse_scenario("datasync-schedule-disabled", with_schedule({"expression": "rate(12 hours)"}))
    assert scenario.batch[0].task.datasync_schedule == DataSyncScheduleSpec("rate(12 hours)")
    disabled = scenario.batch[1].task.datasync_schedule
    assert disabled is not None
    assert (disabled.status, disabled.disabled_by_service_reason is not None) == ("DISABLED", True)


@pytest.mark.parametrize(
    ("own", "complaint"),
    [
        ("cron(0 0 * * ? *)", r"tasks\[0\]\.datasyncSchedule: expected"),
        ({"expression": "rate(1 day)", "status": "PAUSED"}, r"datasyncSchedule\.status: expected ENABLED or DISABLED"),
        ({"expression": "rate(1 day)", "disabledBy": "SERVICE"}, "a schedule DataSync disabled has status DISABLED"),
        ({"expression": "rate(1 day)", "status": "DISABLED", "disabledBy": "USER"}, "disabledBy SERVICE"),
        ({"expression": "rate(1 day)", "when": "now"}, "unknown field"),
        # DataSync's own reasons match botocore's ScheduleDisabledReason: no "@" in them.
        (
            {"expression": "rate(1 day)", "status": "DISABLED", "disabledBy": "SERVICE", "disabledReason": "ask @ops"},
            r"datasyncSchedule\.disabledReason .* does not match",
        ),
        ({"expression": "cron(0 0 * * ? *);"}, r"datasyncSchedule\.expression .* does not match"),
    ],
)
def test_a_wrong_datasync_schedule_is_refused_naming_the_task_and_field(own: Any, complaint: str) -> None:
    with pytest.raises(ScenarioError, match=complaint):
        parse_scenario("broken", with_schedule(own))
