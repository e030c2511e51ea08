"""Deploys template.yaml into the local AWS: moto for DynamoDB, SNS, SQS and Step Functions, the
Lambda router for functions (and their SNS subscriptions). Only resource types the scheduler uses
are supported; anything else in the template is skipped with its logical id listed in `skipped`.
The nested observability application (alarms and dashboard) is skipped too: only its outputs are
resolved from its template (`_nested_outputs`).
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3

from emulator.custom_resources import CustomResource
from emulator.event_bus import EventRule
from emulator.lambda_router import Invocation, LambdaFunction, handler_file
from emulator.template import NO_VALUE, Intrinsics, load_template, parameter_values, substitute_definition

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME = "datasync-scheduler-local"


# Generated names longer than their service allows are cut (botocore's models: lambda CreateFunction
# FunctionName as a name, 64; s3 bucket names, 63; sqs, 80; iam CreateRole RoleName, 64).
_NAME_LIMITS = {
    "AWS::Serverless::Function": 64,
    "AWS::S3::Bucket": 63,
    "AWS::SQS::Queue": 80,
    "AWS::IAM::Role": 64,
}


@dataclass(frozen=True)
class Schedule:
    logical_id: str
    state_machine_arn: str
    expression: str
    timezone: str
    state: str
    input: str


@dataclass(frozen=True)
class TopicSubscription:
    """A function's `SNS` event: the topic's messages (those its filter policy lets through) invoke it."""

    logical_id: str  # "<function>.<event>"
    topic_arn: str
    function: str  # the function's logical id
    subscription_arn: str


@dataclass
class DeployedStack:
    parameters: dict[str, str]
    functions: dict[str, LambdaFunction] = field(default_factory=dict)
    state_machines: dict[str, str] = field(default_factory=dict)  # logical id -> ARN
    tables: dict[str, str] = field(default_factory=dict)  # logical id -> table name
    topics: dict[str, str] = field(default_factory=dict)  # logical id -> topic ARN
    buckets: dict[str, str] = field(default_factory=dict)  # logical id -> bucket name
    queues: dict[str, str] = field(default_factory=dict)  # logical id -> queue URL
    subscriptions: list[TopicSubscription] = field(default_factory=list)
    rules: list[EventRule] = field(default_factory=list)
    schedules: list[Schedule] = field(default_factory=list)
    schedule_groups: dict[str, str] = field(default_factory=dict)  # logical id -> group name
    # Created by their provider function once the functions can be invoked (LocalAws.deploy).
    custom_resources: list[CustomResource] = field(default_factory=list)
    physical_ids: dict[str, str] = field(default_factory=dict)  # custom resource -> its physical id
    deploy_invocations: list[Invocation] = field(default_factory=list)  # the custom resources' providers
    skipped: list[str] = field(default_factory=list)
    name: str = STACK_NAME
    outputs: dict[str, str] = field(default_factory=dict)  # the template's Outputs, resolved
    # How this deployment resolves Ref, Fn::GetAtt, Fn::Sub and conditions (e.g. in IAM policies).
    intrinsics: Intrinsics | None = None


def stack_id(stack_name: str) -> str:
    """The stack's ARN: `arn:aws:cloudformation:<region>:<account>:stack/<name>/<uuid>`, the same on every run."""
    unique = uuid.uuid5(uuid.NAMESPACE_URL, f"{REGION}/{ACCOUNT_ID}/{stack_name}")
    return f"arn:aws:cloudformation:{REGION}:{ACCOUNT_ID}:stack/{stack_name}/{unique}"


def pseudo_parameters(stack_name: str) -> dict[str, str]:
    """What `AWS::Region`, `AWS::StackName` and the other pseudo parameters are in the emulated account."""
    return {
        "AWS::Region": REGION,
        "AWS::AccountId": ACCOUNT_ID,
        "AWS::StackName": stack_name,
        "AWS::StackId": stack_id(stack_name),
        "AWS::Partition": "aws",
        "AWS::URLSuffix": "amazonaws.com",
    }


def deploy(
    template_path: Path, parameter_overrides: dict[str, str] | None = None, stack_name: str = STACK_NAME
) -> DeployedStack:
    """Creates the template's resources in the active moto mock and returns how to reach them.

    Names follow CloudFormation's: `<stack>-<logical id>`, unless the template names a resource."""

    def _physical_name(logical_id: str, kind: str = "") -> str:
        # CloudFormation cuts a generated name to the service's limit and keeps it unique with a suffix.
        name = f"{stack_name}-{logical_id}"
        limit = _NAME_LIMITS.get(kind, 255)
        if len(name) <= limit:
            return name
        digest = hashlib.sha256(name.encode()).hexdigest()[:12].upper()
        return f"{name[: limit - len(digest) - 1]}-{digest}"

    template = load_template(template_path)
    base_dir = template_path.parent
    parameters = parameter_values(template, parameter_overrides or {})
    pseudo = pseudo_parameters(stack_name)
    resources: dict[str, dict[str, Any]] = template.get("Resources", {})
    refs: dict[str, str] = {}
    attributes: dict[tuple[str, str], str] = {}
    intrinsics = Intrinsics(parameters, refs, attributes, template.get("Conditions", {}), pseudo)
    active = {
        lid: spec
        for lid, spec in resources.items()
        if "Condition" not in spec or intrinsics.condition(spec["Condition"])
    }

    # Physical names first: they depend only on parameters and pseudo parameters.
    for logical_id, spec in active.items():
        kind, props = spec["Type"], spec.get("Properties", {})
        name = intrinsics.resolve(props.get("Name")) if kind == "AWS::Serverless::StateMachine" else None
        name = name or _physical_name(logical_id, kind)
        if kind == "AWS::Serverless::Function":
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:function:{name}"
            refs[logical_id] = name
            attributes[(logical_id, "Arn")] = arn
        elif kind == "AWS::Serverless::StateMachine":
            arn = f"arn:aws:states:{REGION}:{ACCOUNT_ID}:stateMachine:{name}"
            refs[logical_id] = arn
            attributes[(logical_id, "Arn")] = arn
            attributes[(logical_id, "Name")] = name
        elif kind == "AWS::DynamoDB::Table":
            refs[logical_id] = name
            attributes[(logical_id, "Arn")] = f"arn:aws:dynamodb:{REGION}:{ACCOUNT_ID}:table/{name}"
        elif kind == "AWS::S3::Bucket":
            bucket = name.lower()  # bucket names are lower case
            refs[logical_id] = bucket
            attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{bucket}"
        elif kind == "AWS::SNS::Topic":
            refs[logical_id] = f"arn:aws:sns:{REGION}:{ACCOUNT_ID}:{name}"
            attributes[(logical_id, "TopicName")] = name
        elif kind == "AWS::SQS::Queue":
            refs[logical_id] = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT_ID}/{name}"
            attributes[(logical_id, "Arn")] = f"arn:aws:sqs:{REGION}:{ACCOUNT_ID}:{name}"
            attributes[(logical_id, "QueueName")] = name
        elif kind == "AWS::IAM::Role":
            refs[logical_id] = name
            attributes[(logical_id, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
        elif kind == "AWS::Scheduler::ScheduleGroup":
            group = intrinsics.resolve(props.get("Name")) or name
            refs[logical_id] = str(group)
            attributes[(logical_id, "Arn")] = f"arn:aws:scheduler:{REGION}:{ACCOUNT_ID}:schedule-group/{group}"
        elif kind == "AWS::Serverless::LayerVersion":
            # Ref gives the version's ARN; CloudFormation publishes a new version when the content changes.
            digest = content_digest(base_dir / str(props["ContentUri"]))
            refs[logical_id] = f"arn:aws:lambda:{REGION}:{ACCOUNT_ID}:layer:{name}-{digest}:1"
        elif kind == "AWS::KMS::Key":
            refs[logical_id] = f"{logical_id.lower()}-local"
            attributes[(logical_id, "Arn")] = f"arn:aws:kms:{REGION}:{ACCOUNT_ID}:key/{logical_id.lower()}-local"
        else:
            # Not deployed here (alarms, the dashboard, ...), but an output may still name it.
            refs[logical_id] = name
    for logical_id, spec in active.items():
        if spec["Type"] == "AWS::Serverless::Application":
            attributes.update(_nested_outputs(logical_id, spec.get("Properties", {}), intrinsics, base_dir, stack_name))

    stack = DeployedStack(parameters=parameters, name=stack_name, intrinsics=intrinsics)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    sns = boto3.client("sns", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    sqs: Any = boto3.client("sqs", region_name=REGION)  # boto3-stubs would want Literal attribute names
    layers: dict[str, Path] = {}  # the template's own layers: logical id -> content
    scheduler = boto3.client("scheduler", region_name=REGION)
    for logical_id, spec in active.items():
        kind, props = spec["Type"], spec.get("Properties", {})
        if kind == "AWS::DynamoDB::Table":
            table: dict[str, Any] = {
                "TableName": refs[logical_id],
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": intrinsics.resolve(props["KeySchema"]),
                "AttributeDefinitions": intrinsics.resolve(props["AttributeDefinitions"]),
            }
            if "GlobalSecondaryIndexes" in props:
                table["GlobalSecondaryIndexes"] = intrinsics.resolve(props["GlobalSecondaryIndexes"])
            dynamodb.create_table(**table)
            stack.tables[logical_id] = refs[logical_id]
        elif kind == "AWS::SNS::Topic":
            stack.topics[logical_id] = sns.create_topic(Name=attributes[(logical_id, "TopicName")])["TopicArn"]
        elif kind == "AWS::S3::Bucket":
            s3.create_bucket(Bucket=refs[logical_id])
            stack.buckets[logical_id] = refs[logical_id]
        elif kind == "AWS::SQS::Queue":
            queue_attributes = {
                key: str(intrinsics.resolve(props[key]))
                for key in ("MessageRetentionPeriod", "VisibilityTimeout", "DelaySeconds")
                if key in props
            }
            stack.queues[logical_id] = sqs.create_queue(
                QueueName=attributes[(logical_id, "QueueName")], Attributes=queue_attributes
            )["QueueUrl"]
        elif kind == "AWS::Serverless::LayerVersion":
            # Not published: its content is put where its functions' handlers can import it.
            layers[logical_id] = (base_dir / str(props["ContentUri"])).resolve()
        elif kind == "AWS::Scheduler::ScheduleGroup":
            scheduler.create_schedule_group(Name=refs[logical_id])
            stack.schedule_groups[logical_id] = refs[logical_id]
        elif kind == "AWS::CloudFormation::CustomResource" or kind.startswith("Custom::"):
            pass  # after the functions and state machines: its properties name them
        elif kind not in ("AWS::Serverless::Function", "AWS::Serverless::StateMachine"):
            stack.skipped.append(logical_id)

    globals_function = template.get("Globals", {}).get("Function", {})
    for logical_id, spec in active.items():
        if spec["Type"] == "AWS::Serverless::Function":
            _add_function(stack, logical_id, spec.get("Properties", {}), globals_function, intrinsics, base_dir, layers)
            _subscribe_function(stack, logical_id, spec.get("Properties", {}), intrinsics, sns)

    sfn = boto3.client("stepfunctions", region_name=REGION)
    for logical_id, spec in active.items():
        if spec["Type"] != "AWS::Serverless::StateMachine":
            continue
        props = spec["Properties"]
        definition_text = (base_dir / props["DefinitionUri"]).read_text(encoding="utf-8")
        substitutions = {
            key: str(intrinsics.resolve(value)) for key, value in props.get("DefinitionSubstitutions", {}).items()
        }
        sfn.create_state_machine(
            name=attributes[(logical_id, "Name")],
            definition=substitute_definition(definition_text, substitutions),
            roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{_physical_name(logical_id)}-role",
            type=props.get("Type", "STANDARD"),
        )
        stack.state_machines[logical_id] = refs[logical_id]
        for event_id, event in props.get("Events", {}).items():
            if event["Type"] == "ScheduleV2":
                event_props = event["Properties"]
                _create_schedule(stack_name, logical_id, event_id, event_props, refs[logical_id], intrinsics)
                stack.schedules.append(
                    Schedule(
                        logical_id=f"{logical_id}.{event_id}",
                        state_machine_arn=refs[logical_id],
                        expression=str(intrinsics.resolve(event_props["ScheduleExpression"])),
                        timezone=str(intrinsics.resolve(event_props.get("ScheduleExpressionTimezone", "UTC"))),
                        state=str(intrinsics.resolve(event_props.get("State", "ENABLED"))),
                        input=str(intrinsics.resolve(event_props.get("Input", "{}"))),
                    )
                )
    for logical_id, spec in active.items():
        kind = spec["Type"]
        if kind == "AWS::CloudFormation::CustomResource" or kind.startswith("Custom::"):
            properties = intrinsics.resolve(spec.get("Properties", {}))
            stack.custom_resources.append(CustomResource(logical_id, kind, str(properties["ServiceToken"]), properties))
    for output_id, output in template.get("Outputs", {}).items():
        if "Condition" not in output or intrinsics.condition(output["Condition"]):
            stack.outputs[output_id] = str(intrinsics.resolve(output["Value"]))
    return stack


# The name a resource of a nested application gets when its template names it.
_NAMING_PROPERTY = {"AWS::CloudWatch::Dashboard": "DashboardName", "AWS::CloudWatch::Alarm": "AlarmName"}


def _nested_outputs(
    logical_id: str, props: dict[str, Any], intrinsics: Intrinsics, base_dir: Path, stack_name: str
) -> dict[tuple[str, str], str]:
    """A nested application (`AWS::Serverless::Application` with a local `Location`) is not deployed:
    what it holds, CloudWatch alarms and a dashboard, the emulator does not emulate. Its template is
    still read as CloudFormation would: the parameters the parent passes must be ones it declares,
    with allowed values, and its `Outputs` are resolved, so `!GetAtt <App>.Outputs.<Name>` works."""
    location = props.get("Location")
    if not isinstance(location, str) or "://" in location:
        raise ValueError(f"{logical_id}: only a nested application in a local template is read, not {location!r}")
    nested = load_template(base_dir / location)
    passed = {name: str(value) for name, value in intrinsics.resolve(props.get("Parameters", {})).items()}
    parameters = parameter_values(nested, passed)
    nested_stack = f"{stack_name}-{logical_id}"
    refs = {lid: f"{nested_stack}-{lid}" for lid in nested.get("Resources", {})}
    inner = Intrinsics(parameters, refs, {}, nested.get("Conditions", {}), pseudo_parameters(nested_stack))
    for lid, spec in nested.get("Resources", {}).items():
        naming = _NAMING_PROPERTY.get(spec["Type"])
        if naming and naming in spec.get("Properties", {}):
            refs[lid] = str(inner.resolve(spec["Properties"][naming]))
    return {
        (logical_id, f"Outputs.{name}"): str(inner.resolve(output["Value"]))
        for name, output in nested.get("Outputs", {}).items()
        if "Condition" not in output or inner.condition(output["Condition"])
    }


def _create_schedule(
    stack_name: str,
    logical_id: str,
    event_id: str,
    event_props: dict[str, Any],
    target_arn: str,
    intrinsics: Intrinsics,
) -> None:
    """Creates the schedule SAM would, under the name SAM gives it, so that a name two stacks share is
    refused as EventBridge Scheduler refuses it (names are unique per schedule group).

    SAM names a `ScheduleV2` schedule `<LogicalId><EventId>` unless it has a `Name` or `OmitName: true`;
    CloudFormation then makes up a unique name, here `<stack>-<LogicalId><EventId>-<hash>` within 64
    characters. docs/aws-facts.md#step-functions-and-cloudformation-names
    """
    name = intrinsics.resolve(event_props.get("Name")) or f"{logical_id}{event_id}"
    if str(intrinsics.resolve(event_props.get("OmitName", False))).lower() == "true":
        digest = hashlib.sha256(f"{stack_name}/{logical_id}/{event_id}".encode()).hexdigest()[:12].upper()
        name = f"{stack_name}-{logical_id}{event_id}"[: 64 - len(digest) - 1] + f"-{digest}"
    boto3.client("scheduler", region_name=REGION).create_schedule(
        Name=str(name),
        ScheduleExpression=str(intrinsics.resolve(event_props["ScheduleExpression"])),
        FlexibleTimeWindow={"Mode": "OFF"},
        Target={"Arn": target_arn, "RoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/{stack_name}-{logical_id}-schedule"},
    )


def content_digest(folder: Path) -> str:
    """A short digest of a folder's files (names and bytes): a layer's content, as a version would."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:8]


# Where Lambda unpacks a layer built for Python (`BuildMethod: python3.12`): its python/ folder.
_LAYER_PYTHON = "/opt/python/"


def _in_layers(value: str, layer_dirs: tuple[Path, ...]) -> str:
    """A path under /opt/python/ as the function sees it: the file in one of its layers' content."""
    if not value.startswith(_LAYER_PYTHON):
        return value
    relative = value.removeprefix(_LAYER_PYTHON)
    for folder in layer_dirs:
        if (folder / relative).exists():
            return str(folder / relative)
    return value


def _add_function(
    stack: DeployedStack,
    logical_id: str,
    props: dict[str, Any],
    defaults: dict[str, Any],
    intrinsics: Intrinsics,
    base_dir: Path,
    layers: Mapping[str, Path],
) -> None:
    merged = {**defaults, **props}
    # SAM adds a function's own Layers after the Globals' ones (lists in Globals are additive).
    layer_dirs = tuple(
        layers[layer["Ref"]]
        for layer in [*defaults.get("Layers", []), *props.get("Layers", [])]
        if isinstance(layer, dict) and layer.get("Ref") in layers
    )
    code_dir = (base_dir / str(merged["CodeUri"])).resolve()
    if not handler_file(code_dir, str(merged["Handler"])).is_file():
        # sam build would package no such handler: the function could not start.
        raise ValueError(f"{logical_id}: Handler {merged['Handler']} names no module in its CodeUri {code_dir}")
    variables = {
        **defaults.get("Environment", {}).get("Variables", {}),
        **props.get("Environment", {}).get("Variables", {}),
    }
    environment = {
        key: _in_layers(str(resolved), layer_dirs)
        for key, value in variables.items()
        if (resolved := intrinsics.resolve(value)) is not NO_VALUE
    }
    invoke_config = intrinsics.resolve(merged.get("EventInvokeConfig", {}))
    on_failure = invoke_config.get("DestinationConfig", {}).get("OnFailure", {})
    if on_failure and on_failure.get("Type", "SQS") != "SQS":
        raise ValueError(f"{logical_id}: only SQS on-failure destinations are emulated, not {on_failure['Type']}")
    stack.functions[logical_id] = LambdaFunction(
        logical_id=logical_id,
        name=intrinsics.resolve({"Ref": logical_id}),
        arn=intrinsics.resolve({"Fn::GetAtt": [logical_id, "Arn"]}),
        handler=str(merged["Handler"]),
        code_dir=code_dir,
        timeout_seconds=int(merged.get("Timeout", 3)),
        memory_mb=int(merged.get("MemorySize", 128)),
        max_retry_attempts=int(invoke_config.get("MaximumRetryAttempts", 2)),
        on_failure=on_failure.get("Destination"),
        environment=environment,
        layer_dirs=layer_dirs,
    )
    for event_id, event in props.get("Events", {}).items():
        if event["Type"] == "EventBridgeRule":
            stack.rules.append(
                EventRule(f"{logical_id}.{event_id}", intrinsics.resolve(event["Properties"]["Pattern"]), logical_id)
            )


def _subscribe_function(
    stack: DeployedStack, logical_id: str, props: dict[str, Any], intrinsics: Intrinsics, sns: Any
) -> None:
    """Subscribes the function to the topics of its `SNS` events, with their filter policies."""
    for event_id, event in props.get("Events", {}).items():
        if event["Type"] != "SNS":
            continue
        event_props = intrinsics.resolve(event["Properties"])
        if event_props.get("SqsSubscription"):
            raise ValueError(f"{logical_id}.{event_id}: SNS events through an SQS queue are not emulated")
        subscription_attributes = {}
        if "FilterPolicy" in event_props:
            policy = event_props["FilterPolicy"]
            subscription_attributes["FilterPolicy"] = policy if isinstance(policy, str) else json.dumps(policy)
        if "FilterPolicyScope" in event_props:
            subscription_attributes["FilterPolicyScope"] = str(event_props["FilterPolicyScope"])
        function = stack.functions[logical_id]
        subscription = sns.subscribe(
            TopicArn=event_props["Topic"],
            Protocol="lambda",
            Endpoint=function.arn,
            Attributes=subscription_attributes,
            ReturnSubscriptionArn=True,
        )
        stack.subscriptions.append(
            TopicSubscription(
                f"{logical_id}.{event_id}", event_props["Topic"], logical_id, subscription["SubscriptionArn"]
            )
        )


def set_environment(values: dict[str, str]) -> dict[str, str | None]:
    """Sets variables in this process (the functions' environment); returns what to restore."""
    previous = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    return previous
