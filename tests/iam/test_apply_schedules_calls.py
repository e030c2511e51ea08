"""Every call Apply Schedules makes while deploying a schedules file (adding, changing, removing
schedules) and while the stack is deleted is allowed by its role, on AWS's terms. The scenarios
deploy the repository's empty file, which only lists the group: these calls are the rest."""

from __future__ import annotations

from pathlib import Path

from emulator import call_recorder
from emulator.local_aws import local_aws
from emulator.template import load_template
from tests.handlers.test_apply_schedules import Deployer, schedule
from tests.iam.permissions import ROOT, allowed, iam_stack, needs, sam_transformed


def test_apply_schedules_is_allowed_every_call_it_makes(tmp_path: Path) -> None:
    template = load_template(ROOT / "template.yaml")
    with local_aws() as aws, call_recorder.recording() as calls:
        aws.deploy()
        deployer = Deployer(aws, tmp_path)
        deployer.deploy([schedule("finance-nightly"), schedule("archives", "rate(7 days)")])
        deployer.deploy([schedule("finance-nightly", "cron(30 1 * * ? *)"), schedule("render-farm")])
        deployer.delete()
        stack = iam_stack(template, sam_transformed(template), aws.stack)
    made = [call for call in calls if call.principal.name == "ApplySchedulesFunction"]
    actions = {need.action for call in made for need in needs(call, stack)}
    assert {
        "scheduler:ListSchedules",
        "scheduler:GetSchedule",
        "scheduler:CreateSchedule",
        "scheduler:UpdateSchedule",
        "scheduler:DeleteSchedule",
        "iam:PassRole",
    } <= actions
    refused = [
        str(need) for call in made for need in needs(call, stack) if not allowed(need, stack.roles[need.principal])
    ]
    assert not refused, refused
