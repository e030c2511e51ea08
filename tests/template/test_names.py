"""Every name the stacks give a resource fits its service's limit, whatever the stack is called, and two
stacks in one account and Region never ask for the same name."""

import json
from pathlib import Path
from typing import Any

import botocore.session
import pytest

from emulator.stack import pseudo_parameters
from emulator.template import Intrinsics, load_template, parameter_values

ROOT = Path(__file__).resolve().parents[2]
# CloudFormation: a stack name "can't be longer than 128 characters" (botocore cloudformation CreateStack StackName).
LONGEST_STACK_NAME = "s" * 128
# (resource type, property) -> (service, operation, member) whose botocore shape limits the name.
NAMED = {
    ("AWS::Serverless::StateMachine", "Name"): ("stepfunctions", "CreateStateMachine", "name"),
    ("AWS::CloudWatch::Alarm", "AlarmName"): ("cloudwatch", "PutMetricAlarm", "AlarmName"),
    ("AWS::Logs::LogGroup", "LogGroupName"): ("logs", "CreateLogGroup", "logGroupName"),
    ("AWS::DataSync::Task", "Name"): ("datasync", "CreateTask", "Name"),
}
# No max in the model; the operation's documentation says "The maximum length is 255".
DASHBOARD_NAME_LIMIT = 255


def limit(service: str, operation: str, member: str) -> int:
    model = botocore.session.get_session().get_service_model(service)
    return int(model.operation_model(operation).input_shape.members[member].metadata["max"])


def resolver(template: dict[str, Any], stack_name: str) -> Intrinsics:
    parameters = parameter_values(template, {})
    refs = {logical_id: f"{stack_name}-{logical_id}" for logical_id in template["Resources"]}
    attributes = {(logical_id, "Arn"): f"arn:{logical_id}" for logical_id in template["Resources"]}
    conditions = template.get("Conditions", {})
    return Intrinsics(parameters, refs, attributes, conditions, pseudo_parameters(stack_name))


@pytest.mark.parametrize("path", ["template.yaml", "observability/template.yaml", "examples/s3-to-efs/template.yaml"])
def test_every_name_a_stack_gives_fits_its_limit_for_the_longest_stack_name(path: str) -> None:
    template = load_template(ROOT / path)
    intrinsics = resolver(template, LONGEST_STACK_NAME)
    if path == "observability/template.yaml":
        # A nested application names its alarms and dashboard after the stack that deploys it.
        parameters = {**parameter_values(template, {}), "StackName": LONGEST_STACK_NAME}
        intrinsics = Intrinsics(parameters, intrinsics.refs, intrinsics.attributes, intrinsics.conditions, {})
    checked = []
    for logical_id, spec in template["Resources"].items():
        for (kind, prop), api in NAMED.items():
            if spec["Type"] == kind and prop in spec.get("Properties", {}):
                name = str(intrinsics.resolve(spec["Properties"][prop]))
                assert len(name) <= limit(*api), f"{logical_id}.{prop} = {name!r}"
                checked.append(logical_id)
        if spec["Type"] == "AWS::CloudWatch::Dashboard":
            assert len(str(intrinsics.resolve(spec["Properties"]["DashboardName"]))) <= DASHBOARD_NAME_LIMIT
    assert checked


def test_the_state_machines_names_differ_between_stacks_and_fit_80_characters() -> None:
    template = load_template(ROOT / "template.yaml")
    names = {
        stack: str(resolver(template, stack).resolve(template["Resources"]["SyncWorkflow"]["Properties"]["Name"]))
        for stack in ("a", LONGEST_STACK_NAME)
    }
    assert names["a"] != names[LONGEST_STACK_NAME]
    assert all(len(name) <= 80 for name in names.values())


def test_every_grant_on_a_state_machine_names_one_the_stack_creates() -> None:
    # The batch's role may start and follow the sync runs, and its Distributed Map's own child
    # executions (docs/aws-facts.md#distributed-map); no grant reaches another stack's machines.
    template = load_template(ROOT / "template.yaml")
    intrinsics = resolver(template, LONGEST_STACK_NAME)
    names = [
        str(intrinsics.resolve(template["Resources"][machine]["Properties"]["Name"]))
        for machine in ("SyncWorkflow", "BatchWorkflow")
    ]
    resources = [
        str(resource)
        for spec in template["Resources"].values()
        for policy in spec.get("Properties", {}).get("Policies", [])
        if isinstance(policy, dict) and "Statement" in policy
        for statement in intrinsics.resolve(policy["Statement"])
        for resource in (statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]])
        if ":states:" in str(resource) and (":stateMachine:" in str(resource) or ":execution:" in str(resource))
    ]
    assert resources
    for resource in resources:
        assert any(
            resource.endswith((f":stateMachine:{name}", f":execution:{name}:*", f":execution:{name}/*"))
            for name in names
        ), resource


def test_the_nightly_schedule_leaves_its_name_to_cloudformation() -> None:
    # SAM would name it BatchWorkflowScheduled in every stack, and schedule names are unique per group.
    template = load_template(ROOT / "template.yaml")
    schedule = template["Resources"]["BatchWorkflow"]["Properties"]["Events"]["Scheduled"]["Properties"]
    assert schedule.get("OmitName") is True and "Name" not in schedule


def test_no_state_machine_writes_the_aws_partition_by_hand() -> None:
    for path in (ROOT / "statemachine").glob("*.asl.json"):
        text = path.read_text(encoding="utf-8")
        assert "arn:aws:" not in text, path.name
        assert "arn:${Partition}:states:::" in text
        json.loads(text)
