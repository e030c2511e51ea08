"""The member stack (member/template.yaml): the forwarder of DataSync's events to the home bus, and
the role the home stack's functions assume in another account; and what the home stack grants for
its other Regions and accounts. Valid, and allowing no more than the functions call."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from emulator.template import Intrinsics, load_template, parameter_values

ROOT = Path(__file__).resolve().parents[2]
MEMBER_PATH = ROOT / "member" / "template.yaml"
MEMBER = load_template(MEMBER_PATH)
HOME = load_template(ROOT / "template.yaml")
HOME_ACCOUNT, OTHER_ACCOUNT = "111111111111", "222222222222"
HOME_PARAMETERS = {"HomeRegion": "eu-west-1", "HomeAccount": HOME_ACCOUNT, "HomeStackName": "datasync-scheduler"}


def deployed(region: str, account: str, **parameters: str) -> tuple[dict[str, Any], Intrinsics]:
    """The member stack's resources, resolved as CloudFormation would create them in `region`, `account`."""
    pseudo = {"AWS::Region": region, "AWS::AccountId": account, "AWS::Partition": "aws", "AWS::StackName": "member"}
    attributes = {("ForwarderRole", "Arn"): "forwarder-role", ("MemberRole", "Arn"): "member-role"}
    intrinsics = Intrinsics(
        parameter_values(MEMBER, {**HOME_PARAMETERS, **parameters}), {}, attributes, MEMBER["Conditions"], pseudo
    )
    resources = {
        name: intrinsics.resolve(spec["Properties"])
        for name, spec in MEMBER["Resources"].items()
        if "Condition" not in spec or intrinsics.condition(spec["Condition"])
    }
    return resources, intrinsics


def test_the_home_region_of_the_home_account_needs_nothing_from_the_member_stack() -> None:
    resources, _ = deployed("eu-west-1", HOME_ACCOUNT)
    assert resources == {}


def test_another_region_of_the_home_account_gets_the_forwarder_only() -> None:
    resources, _ = deployed("us-east-1", HOME_ACCOUNT)
    assert sorted(resources) == ["ForwardDataSyncEvents", "ForwarderRole"]


def test_another_account_gets_the_forwarder_and_the_role_once_per_account() -> None:
    first, _ = deployed("eu-west-1", OTHER_ACCOUNT)
    assert sorted(first) == ["ForwardDataSyncEvents", "ForwarderRole", "MemberRole"]
    others, _ = deployed("us-east-1", OTHER_ACCOUNT, CreateMemberRole="false")
    assert sorted(others) == ["ForwardDataSyncEvents", "ForwarderRole"]


def test_the_forwarder_sends_what_the_home_stack_listens_for_to_the_home_bus_only() -> None:
    resources, _ = deployed("us-east-1", OTHER_ACCOUNT)
    rule = resources["ForwardDataSyncEvents"]
    home_pattern = HOME["Resources"]["ExecutionEventsFunction"]["Properties"]["Events"]["ExecutionStateChange"]
    assert rule["EventPattern"] == home_pattern["Properties"]["Pattern"]
    home_bus = f"arn:aws:events:eu-west-1:{HOME_ACCOUNT}:event-bus/default"
    assert rule["Targets"] == [{"Id": "HomeBus", "Arn": home_bus, "RoleArn": "forwarder-role"}]
    role = resources["ForwarderRole"]
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "events.amazonaws.com"}
    (statement,) = role["Policies"][0]["PolicyDocument"]["Statement"]
    assert (statement["Action"], statement["Resource"]) == ("events:PutEvents", home_bus)


def test_only_the_home_stacks_function_roles_may_assume_the_member_role() -> None:
    resources, _ = deployed("eu-west-1", OTHER_ACCOUNT)
    role = resources["MemberRole"]
    assert role["RoleName"] == "DataSyncSchedulerMember" and role["MaxSessionDuration"] == 3600
    (trust,) = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"AWS": f"arn:aws:iam::{HOME_ACCOUNT}:root"}
    assert trust["Condition"] == {
        "ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{HOME_ACCOUNT}:role/datasync-scheduler-*"}
    }


def _actions(statements: list[dict[str, Any]]) -> set[str]:
    return {action for statement in statements for action in _as_list(statement["Action"])}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_member_role_allows_what_the_home_stack_allows_in_its_other_regions_and_nothing_more() -> None:
    resources, _ = deployed("eu-west-1", OTHER_ACCOUNT, TaskReportBucketName="reports")
    statements = [s for policy in resources["MemberRole"]["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    home = Intrinsics(
        parameter_values(HOME, {"TaskRegions": "us-east-1", "MemberAccounts": OTHER_ACCOUNT}),
        {},
        {},
        HOME["Conditions"],
        {"AWS::Region": "eu-west-1", "AWS::AccountId": HOME_ACCOUNT, "AWS::Partition": "aws"},
    )
    reach = home.resolve(HOME["Resources"]["TaskReachPolicy"]["Properties"]["PolicyDocument"]["Statement"])
    assert _actions(statements) - {"s3:GetObject", "s3:ListBucket"} == _actions(reach) - {"sts:AssumeRole"}
    # Every task statement is this account's tasks only; the list calls DataSync allows only on "*".
    for statement in statements:
        if statement["Resource"] != "*":
            assert f":{OTHER_ACCOUNT}:" in statement["Resource"] or statement["Resource"].startswith(
                "arn:aws:s3:::reports"
            )
        else:
            assert set(statement["Action"]) == {"datasync:ListTasks", "datasync:ListTaskExecutions"}
    # At home: every call in another Region is bounded by the stack's TaskRegions.
    for statement in reach:
        if statement["Action"] != ["sts:AssumeRole"]:
            assert statement["Condition"] == {"StringEquals": {"aws:RequestedRegion": ["us-east-1"]}}


def test_the_home_stack_lets_only_the_member_accounts_put_events_on_its_bus() -> None:
    home = Intrinsics(
        parameter_values(HOME, {"MemberAccounts": f"{OTHER_ACCOUNT},333333333333"}),
        {},
        {},
        HOME["Conditions"],
        {"AWS::Region": "eu-west-1", "AWS::AccountId": HOME_ACCOUNT, "AWS::Partition": "aws", "AWS::StackName": "s"},
    )
    policy = HOME["Resources"]["MemberEventsBusPolicy"]
    assert home.condition(policy["Condition"])
    statement = home.resolve(policy["Properties"]["Statement"])
    assert statement["Principal"] == {"AWS": [OTHER_ACCOUNT, "333333333333"]}
    assert statement["Action"] == "events:PutEvents"
    no_members = Intrinsics(parameter_values(HOME, {}), {}, {}, HOME["Conditions"], {})
    assert not no_members.condition("HasReach")


@pytest.mark.slow
def test_cfn_lint_finds_nothing_in_the_member_stack() -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "cfn-lint"), str(MEMBER_PATH.relative_to(ROOT))],
        cwd=ROOT,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_checkov_finds_nothing_in_the_member_stack() -> None:
    checkov = next((str(p) for p in (ROOT / ".tools" / "checkov" / "bin" / "checkov",) if p.exists()), None)
    if checkov is None:
        # `make install` provides it; only a bare `pytest` outside the Makefile gets here.
        pytest.skip("checkov is not installed: run `make install` (it gets a virtualenv of its own)")
    arguments = ["--file", str(MEMBER_PATH.relative_to(ROOT)), "--framework", "cloudformation", "--compact"]
    result = subprocess.run(
        [checkov, *arguments, "--skip-download", "--output", "json"],
        cwd=ROOT,
        env={**os.environ, "AWS_DEFAULT_REGION": "us-east-1", "BC_SKIP_MAPPING": "TRUE"},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(result.stdout)
    results = report["results"]
    assert [(c["check_id"], c["resource"]) for c in results["failed_checks"]] == []
    assert results["passed_checks"] and results["parsing_errors"] == []
