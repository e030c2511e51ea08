"""An operator lists the schedules of a stack that reaches other Regions and a member account: each
schedule resolves to its tasks wherever they live, as its firing would find them, and a task in an
account the operator's credentials cannot enter says so instead of "not found"."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.schedules import SCHEDULE_TAG_KEY, parse_schedules
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.domain.where import Where
from datasync_scheduler.ports import ApiCallFailed
from datasync_scheduler_cli.operate import OperatorError
from datasync_scheduler_cli.schedules import resolve, schedule_view, stack_home, view_lines
from emulator.scenario import Scenario, parse_scenario
from emulator.server import LocalStackServer, serve_local_stack
from tests.fakes import FakeDataSync, FakeTaggedTasks

MEMBER = "222222222222"
HOME = ("us-east-1", "123456789012")


def _task(name: str, **where: str) -> dict[str, Any]:
    return {
        "name": name,
        **where,
        "source": {"type": "NFS", "server": "files.example.internal", "subdirectory": f"/{name}"},
        "destination": {"type": "S3", "bucket": f"{name}-archive"},
        "tags": {SCHEDULE_TAG_KEY: "nightly"},
        # Created where the task lives, as DataSync writes it there.
        "logGroup": f"/aws/datasync/{name}",
        "options": {"LogLevel": "BASIC"},
        "executions": [{"phases": [{"status": "TRANSFERRING", "seconds": 60}], "files": 1, "bytes": 1}],
    }


# One task at home, one in another Region, one in a member account: the stack is set up for both.
SPREAD_TASKS: Scenario = parse_scenario(
    "spread-tasks",
    {
        "description": f"Three tasks tagged for schedule nightly: at home, in eu-west-1, in member account {MEMBER}.",
        "tasks": [
            _task("home-share"),
            _task("dublin-share", region="eu-west-1"),
            _task("member-share", account=MEMBER),
        ],
    },
)


@pytest.fixture
def served() -> Iterator[LocalStackServer]:
    with serve_local_stack(port=0, speed=600.0, scenario=SPREAD_TASKS) as server:
        yield server


ROOT = Path(__file__).resolve().parents[2]


def run(served: LocalStackServer, *argv: str) -> tuple[int, list[str], str]:
    """The command from the operator's own shell: credentials and the endpoint in the environment, as
    on AWS; every client, in any Region or through the member role, goes to the local stack."""
    environment = {
        **{key: value for key, value in os.environ.items() if not key.startswith("AWS_")},
        "AWS_ENDPOINT_URL": served.endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": HOME[0],
        "PYTHONPATH": f"{ROOT / 'layers' / 'core'}{os.pathsep}{ROOT}",
    }
    command = [sys.executable, "-m", "datasync_scheduler_cli.cli", *argv]
    finished = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=120, check=False)
    return finished.returncode, finished.stdout.splitlines(), finished.stderr


def write(tmp_path: Path, schedules: list[dict[str, Any]]) -> str:
    path = tmp_path / "schedules.yaml"
    path.write_text(yaml.safe_dump({"schedules": schedules}), encoding="utf-8")
    return str(path)


def test_a_schedule_resolves_to_its_tagged_tasks_in_every_region_and_account_the_stack_reaches(
    served: LocalStackServer, tmp_path: Path
) -> None:
    home, dublin, member = served.task_arns
    path = write(
        tmp_path,
        [
            {
                "name": "nightly",
                "expression": "cron(0 1 * * ? *)",
                "selectByTag": True,
                "regions": list(("us-east-1", "eu-west-1")),
            }
        ],
    )

    code, lines, err = run(served, "schedules", "--file", path, "--stack-name", served.stack.name, "--format", "json")

    assert code == 0, err
    (nightly,) = json.loads("\n".join(lines))["schedules"]
    assert nightly["resolveProblem"] is None
    resolved = {task["taskArn"]: task for task in nightly["resolvedTasks"]}
    assert set(resolved) == {home, dublin, member}
    # Each described in its own place: the names come from DataSync there.
    assert [
        (resolved[arn]["name"], resolved[arn]["region"], resolved[arn]["account"]) for arn in (home, dublin, member)
    ] == [
        ("home-share", *HOME),
        ("dublin-share", "eu-west-1", HOME[1]),
        ("member-share", HOME[0], MEMBER),
    ]
    assert all(task["problem"] is None for task in resolved.values())


def test_health_looks_at_each_tasks_log_group_where_the_task_writes_it(
    served: LocalStackServer, tmp_path: Path
) -> None:
    path = write(
        tmp_path,
        [
            {
                "name": "nightly",
                "expression": "cron(0 1 * * ? *)",
                "selectByTag": True,
                "regions": ["us-east-1", "eu-west-1"],
            }
        ],
    )

    code, lines, err = run(
        served, "schedules", "--file", path, "--stack-name", served.stack.name, "--health", "--format", "json"
    )

    assert code == 0, err
    (nightly,) = json.loads("\n".join(lines))["schedules"]
    # Each log group is there, in its own Region and account: none is reported gone or unchecked.
    assert [finding for finding in nightly["health"]["preflight"] if "log" in finding["kind"]] == []
    assert len(nightly["resolvedTasks"]) == 3


def test_the_stacks_reach_is_read_from_its_parameters(served: LocalStackServer, tmp_path: Path) -> None:
    """A schedule looking in a Region the stack is not set up for is refused as its firing would be."""
    path = write(
        tmp_path,
        [{"name": "nightly", "expression": "cron(0 1 * * ? *)", "selectByTag": True, "regions": ["ap-south-1"]}],
    )

    code, lines, _ = run(served, "schedules", "--file", path, "--stack-name", served.stack.name)

    assert code == 0
    assert any(
        "cannot resolve its tasks" in line and "set up for eu-west-1, us-east-1, not ap-south-1" in line
        for line in lines
    ), lines


# --- a member account the operator cannot enter ---------------------------------------------------

REACH = StackHome("aws", HOME[0], HOME[1], frozenset(), frozenset({MEMBER}), "DataSyncSchedulerMember")
DENIED = Cause.of("AssumeRole", "AccessDenied", "User: arn:aws:iam::123456789012:user/ops is not authorized")


class _MemberDenied(FakeTaggedTasks):
    """DataSync as an operator whose credentials may not assume the member role sees it."""

    def tagged(self, key: str, value: str, where: Where) -> list[str]:
        if where.account == MEMBER:
            raise ApiCallFailed(DENIED)
        return super().tagged(key, value, where)


class _DescribeDenied(FakeDataSync):
    def task(self, task_arn: str) -> Any:
        if Where.of_arn(task_arn).account == MEMBER:
            raise ApiCallFailed(DENIED)
        return super().task(task_arn)


def test_a_member_account_the_operators_credentials_cannot_enter_is_named_not_called_not_found() -> None:
    datasync = _DescribeDenied()
    listed = f"arn:aws:datasync:{HOME[0]}:{MEMBER}:task/task-0123456789abcdef0"
    tagged = _MemberDenied()
    raw = {"name": "nightly", "expression": "cron(0 1 * * ? *)", "tasks": [{"taskArn": listed}], "selectByTag": True}
    schedule = parse_schedules({"schedules": [raw]}).schedules[0]

    resolution = resolve(schedule, REACH, tagged, datasync)

    assert resolution.problem is None and resolution.tasks is not None
    (task,) = resolution.tasks
    assert task.problem == (
        f"in account {MEMBER}: not reachable with your credentials (AssumeRole of "
        f"arn:aws:iam::{MEMBER}:role/DataSyncSchedulerMember failed with AccessDenied)"
    )
    assert resolution.unreachable == (
        f"in account {MEMBER}: tasks tagged for it not looked up: not reachable with your credentials (AssumeRole "
        f"of arn:aws:iam::{MEMBER}:role/DataSyncSchedulerMember failed with AccessDenied)",
    )
    lines = view_lines(schedule_view(schedule, datetime(2026, 11, 26, tzinfo=UTC), resolution))
    assert any("not reachable with your credentials" in line and "not found" not in line for line in lines)


# --- the stack's reach, from its parameters -------------------------------------------------------

WORKFLOW = f"arn:aws:states:{HOME[0]}:{HOME[1]}:stateMachine:datasync-scheduler-SyncWorkflow"


class _Stack:
    """CloudFormation's DescribeStacks answer for one stack, with these parameters."""

    def __init__(self, parameters: dict[str, str]) -> None:
        self.parameters = parameters

    def describe_stacks(self, StackName: str) -> dict[str, Any]:
        return {
            "Stacks": [
                {
                    "StackName": StackName,
                    "Outputs": [{"OutputKey": "SyncWorkflowArn", "OutputValue": WORKFLOW}],
                    "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in self.parameters.items()],
                }
            ]
        }


def test_the_stacks_regions_accounts_and_member_role_come_from_its_parameters() -> None:
    stack = _Stack({"TaskRegions": "eu-west-1, ap-south-1", "MemberAccounts": MEMBER, "MemberRoleName": "Member"})

    home = stack_home(lambda service: stack, "datasync-scheduler")

    assert home.reach.all_regions == ["ap-south-1", "eu-west-1", "us-east-1"]
    assert home.reach.all_accounts == [HOME[1], MEMBER]
    assert home.reach.role_arn(Where("aws", "eu-west-1", MEMBER)) == f"arn:aws:iam::{MEMBER}:role/Member"


def test_a_stack_deployed_before_it_had_these_parameters_reaches_its_home_only() -> None:
    home = stack_home(lambda service: _Stack({}), "datasync-scheduler")

    assert (home.reach.all_regions, home.reach.all_accounts) == ([HOME[0]], [HOME[1]])


def test_a_parameter_that_is_not_what_it_says_is_named() -> None:
    with pytest.raises(OperatorError) as refused:
        stack_home(lambda service: _Stack({"MemberAccounts": "2222"}), "datasync-scheduler")

    assert str(refused.value) == (
        "stack 'datasync-scheduler': parameter MemberAccounts: '2222' is not a 12-digit account ID"
    )
