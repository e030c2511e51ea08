"""The Health Check on the emulated stack, as its own schedule invokes it: before a schedule's next
firing it finds a task that logs nothing (tagged for the schedule) and a firing that never arrived,
publishes one message for each, and nothing the second time. Every call it makes is allowed by its
role, on AWS's terms."""

from __future__ import annotations

from datetime import UTC, datetime

from emulator import call_recorder
from emulator.local_aws import local_aws
from emulator.scenario import Location, TaskSpec
from emulator.scenario_tasks import create_task_for
from emulator.template import load_template
from tests.iam.permissions import ROOT, allowed, iam_stack, needs, sam_transformed

# Ten minutes before the 13:00 firing of an hourly schedule.
NOW = datetime(2026, 11, 26, 12, 50, tzinfo=UTC)


def test_the_health_check_reports_once_and_is_allowed_every_call_it_makes() -> None:
    template = load_template(ROOT / "template.yaml")
    with local_aws(clock_start=NOW) as aws, call_recorder.recording() as calls:
        aws.deploy()
        create_task_for(
            TaskSpec(
                name="render-share",
                source=Location("NFS", {"server": "render.example.internal"}),
                destination=Location("S3", {"bucket": "render-archive"}),
                options={"LogLevel": "OFF"},
                log_group="/aws/datasync/render-share",
                tags={"datasync-scheduler:schedule": "render-farm"},
            )
        )
        aws.schedules = {"schedules": [{"name": "render-farm", "expression": "cron(0 * * * ? *)", "selectByTag": True}]}
        # The 10:00 and 12:00 firings arrived; the 11:00 one never did.
        from datasync_scheduler.adapters.firing_arrivals import DynamoDbFiringArrivals

        arrivals = DynamoDbFiringArrivals(aws.stack.tables["RunLedger"])
        for hour in (10, 12):
            at = datetime(2026, 11, 26, hour, tzinfo=UTC)
            arrivals.record("render-farm", at, f"batch-{hour}", arrived_at=at)

        first, error = aws.router.invoke("HealthCheckFunction", {})
        assert error is None, error
        again, error = aws.router.invoke("HealthCheckFunction", {})
        assert error is None, error
        stack = iam_stack(template, sam_transformed(template), aws.stack)

    assert first["published"] == [
        "preflight#render-farm#2026-11-26T13:00:00Z",
        "missed-firing#render-farm#2026-11-26T11:00:00Z",
    ]
    assert again["published"] == []
    made = [call for call in calls if call.principal.name == "HealthCheckFunction"]
    actions = {need.action for call in made for need in needs(call, stack)}
    assert {
        "datasync:ListTasks",
        "datasync:ListTagsForResource",
        "datasync:DescribeTask",
        "logs:FilterLogEvents",
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:UpdateItem",
        "sns:Publish",
    } <= actions
    refused = [
        str(need) for call in made for need in needs(call, stack) if not allowed(need, stack.roles[need.principal])
    ]
    assert not refused, refused
