"""Every AWS call the workflow makes is allowed by its caller's role, on AWS's terms.

Every scenario in events/scenarios runs on the emulator while each AWS call is recorded with the
function or state machine that made it. Each call is then checked against that caller's role in
the template as `sam deploy` would create it: the action and resource the Service Authorization
Reference says the call needs, evaluated by an IAM policy evaluator. A call the role does not allow
fails the test with the function, the action and the resource; the permissions granted that no
call used are printed as a report.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest

import emulator.local_aws
from emulator import call_recorder
from emulator.call_recorder import RecordedCall, function
from emulator.local_aws import local_aws
from emulator.runner import run_scenario
from emulator.scenario import load_scenario, scenario_names
from emulator.stack import DeployedStack
from emulator.template import load_template
from tests.iam.conftest import IAM_REPORT
from tests.iam.permissions import (
    MEMBER_ROLE,
    ROOT,
    Need,
    Stack,
    allowed,
    granted_actions,
    iam_stack,
    member_role,
    needs,
    sam_transformed,
    unused,
)

TEMPLATE = ROOT / "template.yaml"


@dataclass
class RecordedRun:
    scenario: str
    deployed: DeployedStack
    calls: list[RecordedCall]


def record(scenarios: list[str]) -> list[RecordedRun]:
    """Runs the scenarios, keeping the calls each made and the stack it ran on."""
    runs: list[RecordedRun] = []
    deployed: list[DeployedStack] = []
    real_deploy = emulator.local_aws.deploy

    def deploy_and_keep(*args: Any, **kwargs: Any) -> DeployedStack:
        deployed.append(real_deploy(*args, **kwargs))
        return deployed[-1]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(emulator.local_aws, "deploy", deploy_and_keep)
        for name in scenarios:
            with call_recorder.recording() as calls:
                run_scenario(load_scenario(name))
            runs.append(RecordedRun(name, deployed[-1], list(calls)))
    return runs


def required(template: dict[str, Any], runs: list[RecordedRun]) -> tuple[list[Need], dict[str, set[str]]]:
    """The needs of every recorded call that the roles do not meet, and each role's granted actions."""
    transformed = sam_transformed(template)
    refused: list[Need] = []
    granted: dict[str, set[str]] = {}
    for run in runs:
        stack = iam_stack(template, transformed, run.deployed)
        for principal, documents in stack.roles.items():
            granted.setdefault(principal, set()).update(granted_actions(documents))
        for call in run.calls:
            for need in needs(call, stack):
                if need.principal.startswith(f"{MEMBER_ROLE}@") and need.principal not in stack.roles:
                    role_name = run.deployed.parameters.get("MemberRoleName", "DataSyncSchedulerMember")
                    stack.roles[need.principal] = member_role(
                        need.principal.split("@")[1], run.deployed.name, role_name
                    )
                if not allowed(need, stack.roles[need.principal]) and need not in refused:
                    refused.append(need)
    return refused, granted


def test_every_call_of_every_scenario_is_allowed_by_its_callers_role(
    record_property: Callable[[str, object], None],
) -> None:
    recorded_runs = record(scenario_names())
    template = load_template(TEMPLATE)
    refused, granted = required(template, recorded_runs)
    assert not refused, "AccessDenied on AWS:\n" + "\n".join(map(str, refused))

    transformed = sam_transformed(template)
    used: dict[str, set[str]] = {}
    calls = 0
    for run in recorded_runs:
        stack = iam_stack(template, transformed, run.deployed)
        for call in run.calls:
            calls += 1
            for need in needs(call, stack):
                used.setdefault(need.principal, set()).add(need.action)
    lines = [f"{calls} calls checked, {sum(map(len, used.values()))} distinct (principal, action) pairs"]
    for principal in sorted(granted):
        spare = unused(granted[principal], used.get(principal, set()))
        if spare:
            lines.append(f"granted to {principal}, used by no scenario: {', '.join(sorted(spare))}")
    record_property(IAM_REPORT, "\n".join(lines))  # printed at the end of the run (conftest.py)
    assert calls > 0


def _scope_listing_to_tasks(template: dict[str, Any]) -> dict[str, Any]:
    """The template with datasync:ListTaskExecutions granted on the stack's tasks instead of "*"."""
    changed = copy.deepcopy(template)
    policies = changed["Resources"]["StartSyncFunction"]["Properties"]["Policies"]
    for policy in policies:
        for statement in policy.get("Statement", []) if isinstance(policy, dict) else []:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            statement["Action"] = [action for action in actions if action != "datasync:ListTaskExecutions"]
    tasks = {"Fn::Sub": "arn:${AWS::Partition}:datasync:${AWS::Region}:${AWS::AccountId}:task/*"}
    policies.append({"Statement": [{"Effect": "Allow", "Action": ["datasync:ListTaskExecutions"], "Resource": tasks}]})
    return changed


def test_a_start_is_refused_when_listing_executions_is_granted_on_tasks_only() -> None:
    """The Service Authorization Reference gives ListTaskExecutions no resource type: only "*" allows it."""
    refused, _ = required(_scope_listing_to_tasks(load_template(TEMPLATE)), record(["nightly-success"]))
    assert {(need.principal, need.action, need.resource) for need in refused} == {
        ("StartSyncFunction", "datasync:ListTaskExecutions", "*")
    }


PART = 5 * 1024 * 1024  # S3's smallest part


class SourceGone(Exception):
    """The failures' source fails while their list is being sent."""


def lines_then_gone() -> Iterator[bytes]:
    """One part and a little more (so a part was sent), then the source fails."""
    for _ in range(PART // 1024 + 2):
        yield b"x" * 1023 + b"\n"
    raise SourceGone


@pytest.mark.parametrize(
    ("function", "key"),
    [
        ("AnalyzeRunFunction", "failure-reports/task-0123456789abcdef0/exec-0123456789abcdef0.jsonl"),
        ("PlanNextAttemptFunction", "manifests/task-0123456789abcdef0/exec-0123456789abcdef0-retry-2.csv"),
    ],
)
def test_a_large_upload_that_fails_halfway_is_aborted_with_the_functions_own_role(function: str, key: str) -> None:
    """A failure list or manifest is sent in parts; when writing it fails, the parts are aborted."""
    from datasync_scheduler.adapters.s3_lines import S3LineUpload

    template = load_template(TEMPLATE)
    with local_aws() as aws:
        deployed = aws.deploy()
        bucket = deployed.buckets["FailureReportBucket"]
        with (
            call_recorder.recording() as calls,
            call_recorder.acting_as(call_recorder.function(function)),
            pytest.raises(SourceGone),
        ):
            S3LineUpload(bucket, key, "text/plain", part_size=PART).write(lines_then_gone())
        stack = iam_stack(template, sam_transformed(template), deployed)
    operations = [call.operation for call in calls]
    assert operations == ["CreateMultipartUpload", "UploadPart", "AbortMultipartUpload"]
    refused = [need for call in calls for need in needs(call, stack) if not allowed(need, stack.roles[function])]
    assert not refused, "AccessDenied on AWS:\n" + "\n".join(map(str, refused))


def test_a_run_that_may_not_put_events_on_the_bus_is_caught_here() -> None:
    # Report Run without its EventBridgePutEventsPolicy: its "Sync Run Ended" event is refused on AWS.
    template = load_template(TEMPLATE)
    changed = copy.deepcopy(template)
    policies = changed["Resources"]["ReportRunFunction"]["Properties"]["Policies"]
    changed["Resources"]["ReportRunFunction"]["Properties"]["Policies"] = [
        policy for policy in policies if not (isinstance(policy, dict) and "EventBridgePutEventsPolicy" in policy)
    ]
    runs = record(["nightly-success"])
    assert not required(template, runs)[0]
    refused, _ = required(changed, runs)
    assert [(need.principal, need.action) for need in refused] == [("ReportRunFunction", "events:PutEvents")]


def test_a_call_about_a_member_accounts_task_is_judged_by_the_member_role_and_other_regions_by_the_reach() -> None:
    member_task = "arn:aws:datasync:eu-central-1:222222222222:task/task-0123456789abcdef0"
    stack = Stack(roles={}, state_machines={}, callback_machines=[])
    describe = RecordedCall(function("AnalyzeRunFunction"), "datasync", "DescribeTask", {"TaskArn": member_task})
    (need,) = needs(describe, stack)
    assert need.principal == "MemberRole@222222222222"
    assert allowed(need, member_role("222222222222", "datasync-scheduler"))
    # The member role allows no call the functions do not make (CreateTask, say).
    create = RecordedCall(function("AnalyzeRunFunction"), "datasync", "DeleteTask", {"TaskArn": member_task})
    assert not allowed(needs(create, stack)[0], member_role("222222222222", "datasync-scheduler"))
