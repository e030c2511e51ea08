"""A scenario's DataSync task taken from a CloudFormation template.

Reads an `AWS::DataSync::Task`, its two locations, its log group, filters and task report
destination from a template, resolving intrinsics the way CloudFormation would (parameters at
their defaults unless overridden), and returns the task in the scenario format
(events/scenarios/README.md). A scenario can then run exactly the task a stack deploys, so the
stack and the emulated run cannot drift apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulator.stack import ACCOUNT_ID, REGION, pseudo_parameters
from emulator.template import NO_VALUE, Intrinsics, load_template, parameter_values

_LOCATION_TYPES = {
    "AWS::DataSync::LocationS3": "S3",
    "AWS::DataSync::LocationEFS": "EFS",
    "AWS::DataSync::LocationNFS": "NFS",
}


def _fake_id(prefix: str, seed: str) -> str:
    """An id of AWS's shape (prefix + 17 hex digits), the same for the same template every time."""
    return f"{prefix}-{hashlib.sha256(seed.encode()).hexdigest()[:17]}"


def _physical_resources(
    resources: Mapping[str, Any], intrinsics: Intrinsics, stack_name: str
) -> tuple[dict[str, str], dict[tuple[str, str], str]]:
    """What Ref and GetAtt return for the resources a task can point at, as CloudFormation would name them.

    Explicit names in the template win; otherwise names are derived from the stack and logical id.
    Resource types not listed resolve Ref to a placeholder name and have no attributes.
    """
    refs: dict[str, str] = {}
    attributes: dict[tuple[str, str], str] = {}
    for logical_id, spec in resources.items():
        kind, props = spec["Type"], spec.get("Properties", {})
        generated = f"{stack_name}-{logical_id}"
        if kind == "AWS::S3::Bucket":
            bucket = str(intrinsics.resolve(props.get("BucketName", generated.lower())))
            refs[logical_id] = bucket
            attributes[(logical_id, "Arn")] = f"arn:aws:s3:::{bucket}"
        elif kind == "AWS::Logs::LogGroup":
            group = str(intrinsics.resolve(props.get("LogGroupName", generated)))
            refs[logical_id] = group
            # GetAtt Arn of a log group ends in ":*"; DataSync accepts that form.
            attributes[(logical_id, "Arn")] = f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:{group}:*"
        elif kind == "AWS::IAM::Role":
            role = str(intrinsics.resolve(props.get("RoleName", generated)))
            refs[logical_id] = role
            attributes[(logical_id, "Arn")] = f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"
        elif kind == "AWS::EFS::FileSystem":
            file_system = _fake_id("fs", generated)
            refs[logical_id] = file_system
            attributes[(logical_id, "FileSystemId")] = file_system
            attributes[(logical_id, "Arn")] = (
                f"arn:aws:elasticfilesystem:{REGION}:{ACCOUNT_ID}:file-system/{file_system}"
            )
        else:
            refs[logical_id] = generated
    return refs, attributes


def _location(resources: Mapping[str, Any], reference: Any, intrinsics: Intrinsics, where: str) -> dict[str, Any]:
    if not (isinstance(reference, dict) and set(reference) == {"Ref"} and reference["Ref"] in resources):
        raise ValueError(f"{where} must be a Ref to a location in the same template, not {reference!r}")
    logical_id = reference["Ref"]
    kind = resources[logical_id]["Type"]
    if kind not in _LOCATION_TYPES:
        raise ValueError(f"{where}: {logical_id} is a {kind}; the emulator knows {', '.join(_LOCATION_TYPES)}")
    props = resources[logical_id].get("Properties", {})
    location: dict[str, Any] = {"type": _LOCATION_TYPES[kind]}
    if "Subdirectory" in props:
        location["subdirectory"] = str(intrinsics.resolve(props["Subdirectory"]))
    if kind == "AWS::DataSync::LocationS3":
        location["bucket"] = str(intrinsics.resolve(props["S3BucketArn"])).rsplit(":", 1)[1]
    elif kind == "AWS::DataSync::LocationEFS":
        location["fileSystemId"] = str(intrinsics.resolve(props["EfsFilesystemArn"])).rsplit("/", 1)[1]
    else:
        location["server"] = str(intrinsics.resolve(props["ServerHostname"]))
    return location


def _filter(rules: Any) -> str | None:
    """DataSync takes at most one filter rule; its Value holds the patterns joined by `|`."""
    if not rules:
        return None
    (rule,) = rules
    return str(rule["Value"])


def template_intrinsics(
    template: Mapping[str, Any], stack_name: str, parameters: Mapping[str, str] | None = None
) -> Intrinsics:
    """Resolves the template's intrinsics as if it were deployed as `stack_name` in the emulated account."""
    pseudo = pseudo_parameters(stack_name)
    refs: dict[str, str] = {}
    attributes: dict[tuple[str, str], str] = {}
    intrinsics = Intrinsics(
        parameter_values(template, parameters or {}), refs, attributes, template.get("Conditions", {}), pseudo
    )
    # Names may depend on parameters and pseudo parameters only, so they resolve before the tables are filled.
    named_refs, named_attributes = _physical_resources(template.get("Resources", {}), intrinsics, stack_name)
    refs.update(named_refs)
    attributes.update(named_attributes)
    return intrinsics


def task_from_template(
    path: Path,
    logical_id: str = "Task",
    parameters: Mapping[str, str] | None = None,
    stack_name: str | None = None,
) -> dict[str, Any]:
    """The task `logical_id` of the template at `path`, in the scenario's `task` format.

    `stack_name` (AWS::StackName) defaults to the template's folder name, e.g. `s3-to-efs`.
    Raises ValueError or KeyError when the template does not describe a task the emulator can run.
    """
    template = load_template(path)
    resources: dict[str, Any] = template.get("Resources", {})
    spec = resources.get(logical_id)
    if spec is None or spec.get("Type") != "AWS::DataSync::Task":
        raise ValueError(f"{path}: no AWS::DataSync::Task named {logical_id}")
    stack_name = stack_name or path.resolve().parent.name
    intrinsics = template_intrinsics(template, stack_name, parameters)
    props = spec.get("Properties", {})
    task: dict[str, Any] = {
        "name": str(intrinsics.resolve(props.get("Name", stack_name))),
        "source": _location(resources, props["SourceLocationArn"], intrinsics, f"{logical_id}.SourceLocationArn"),
        "destination": _location(
            resources, props["DestinationLocationArn"], intrinsics, f"{logical_id}.DestinationLocationArn"
        ),
        "options": intrinsics.resolve(props.get("Options", {})),
        "taskMode": str(intrinsics.resolve(props.get("TaskMode", "BASIC"))),
    }
    log_group_arn = intrinsics.resolve(props.get("CloudWatchLogGroupArn", NO_VALUE))
    if log_group_arn is not NO_VALUE:
        task["logGroup"] = str(log_group_arn).split(":log-group:", 1)[1].removesuffix(":*")
    for key, field in (("Includes", "includes"), ("Excludes", "excludes")):
        value = _filter(intrinsics.resolve(props.get(key, [])))
        if value is not None:
            task[field] = value
    report = intrinsics.resolve(props.get("TaskReportConfig", NO_VALUE))
    if report is not NO_VALUE:
        destination = report["Destination"]["S3"]
        task["taskReport"] = {
            "bucket": str(destination["S3BucketArn"]).rsplit(":", 1)[1],
            "outputType": report.get("OutputType", "STANDARD"),
            "reportLevel": report.get("ReportLevel", "ERRORS_ONLY"),
        }
        if "Subdirectory" in destination:
            task["taskReport"]["subdirectory"] = destination["Subdirectory"]
    return task
