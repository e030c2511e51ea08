"""Scenario tasks: the DataSync locations and tasks a scenario describes, created as a user would.

They go through the DataSync API (the emulator's, in the local AWS). Locations that a scenario's
tasks describe the same way are created once and shared, and a task's log group and task report
bucket are created beside it (`events/scenarios/README.md`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from contextlib import suppress
from typing import Any

from emulator.accounts import client_in
from emulator.scenario import Location, Scenario, TaskSpec
from emulator.stack import ACCOUNT_ID, REGION


def _create_location(
    client: Any,
    location: Location,
    region: str = REGION,
    account: str = ACCOUNT_ID,
    agents: Mapping[str, str] | None = None,
) -> str:
    props = location.properties
    subdirectory = str(props.get("subdirectory", "/"))
    if location.type == "S3":
        bucket = props["bucket"]
        return str(
            client.create_location_s3(
                S3BucketArn=f"arn:aws:s3:::{bucket}",
                Subdirectory=subdirectory,
                S3Config={"BucketAccessRoleArn": f"arn:aws:iam::{account}:role/datasync-s3-access"},
            )["LocationArn"]
        )
    if location.type == "EFS":
        file_system = props["fileSystemId"]
        return str(
            client.create_location_efs(
                EfsFilesystemArn=f"arn:aws:elasticfilesystem:{region}:{account}:file-system/{file_system}",
                Subdirectory=subdirectory,
                Ec2Config={
                    "SubnetArn": f"arn:aws:ec2:{region}:{account}:subnet/subnet-0123456789abcdef0",
                    "SecurityGroupArns": [f"arn:aws:ec2:{region}:{account}:security-group/sg-0123456789abcdef0"],
                },
            )["LocationArn"]
        )
    return str(
        client.create_location_nfs(
            ServerHostname=str(props.get("server", "nfs.example.internal")),
            Subdirectory=subdirectory,
            # The scenario's agent when it names one (activated by create_agents), else a stand-in ARN.
            OnPremConfig={"AgentArns": [_agent_arn(props, agents, region, account)]},
        )["LocationArn"]
    )


def create_task(scenario: Scenario) -> str:
    """Creates the scenario's locations and task through the DataSync API, as a user would."""
    return create_task_for(scenario.task)


def _agent_arn(props: Mapping[str, Any], agents: Mapping[str, str] | None, region: str, account: str) -> str:
    if "agent" in props:
        return (agents or {})[str(props["agent"])]
    return f"arn:aws:datasync:{region}:{account}:agent/agent-0123456789abcdef0"


def create_agents(names: Iterable[str]) -> dict[str, str]:
    """Activates one DataSync agent per name (CreateAgent): name -> its ARN."""
    client = client_in("datasync", REGION, ACCOUNT_ID)
    return {
        name: str(client.create_agent(ActivationKey="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", AgentName=name)["AgentArn"])
        for name in names
    }


def create_task_for(
    spec: TaskSpec, locations: dict[str, str] | None = None, agents: Mapping[str, str] | None = None
) -> str:
    """Creates one task (and its locations) through the DataSync API.

    `locations` remembers the locations created so far: tasks that describe a location the same way
    use that one location, as two tasks of a user's that read the same share would."""
    region = spec.region or REGION
    account = spec.account or ACCOUNT_ID
    # A member account's task is created there, as its owner would (docs/regions.md).
    client = client_in("datasync", region, account)
    # A location belongs to its Region and account: the same description elsewhere is another location.
    known = {} if locations is None else locations

    def location_arn(location: Location) -> str:
        key = json.dumps([region, account, location.type, location.properties], sort_keys=True)
        if key not in known:
            known[key] = _create_location(client, location, region, account, agents)
        return known[key]

    params: dict[str, Any] = {
        "SourceLocationArn": location_arn(spec.source),
        "DestinationLocationArn": location_arn(spec.destination),
        "Name": spec.name,
        "Options": spec.options,
        "TaskMode": spec.task_mode,
    }
    if spec.tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in spec.tags.items()]
    if spec.log_group:
        # The log group is the task's own: in its Region and account, where DataSync writes.
        logs = client_in("logs", region, account)
        # Several tasks may send their logs to one group: the second task finds it there.
        with suppress(logs.exceptions.ResourceAlreadyExistsException):
            logs.create_log_group(logGroupName=spec.log_group)
        params["CloudWatchLogGroupArn"] = f"arn:aws:logs:{region}:{account}:log-group:{spec.log_group}"
    if spec.task_report:
        report = spec.task_report
        client_in("s3", region, account).create_bucket(Bucket=report["bucket"])
        params["TaskReportConfig"] = {
            "Destination": {
                "S3": {
                    "S3BucketArn": f"arn:aws:s3:::{report['bucket']}",
                    "Subdirectory": report.get("subdirectory", "datasync-reports"),
                    "BucketAccessRoleArn": f"arn:aws:iam::{account}:role/datasync-task-reports",
                }
            },
            "OutputType": report.get("outputType", "STANDARD"),
            "ReportLevel": report.get("reportLevel", "ERRORS_ONLY"),
        }
    if spec.datasync_schedule is not None:
        own = spec.datasync_schedule
        # A schedule DataSync disables later is created ENABLED; the runner disables it as DataSync did.
        status = "ENABLED" if own.disabled_by_service_reason is not None else own.status
        params["Schedule"] = {"ScheduleExpression": own.expression, "Status": status}
    if spec.includes:
        params["Includes"] = [{"FilterType": "SIMPLE_PATTERN", "Value": spec.includes}]
    if spec.excludes:
        params["Excludes"] = [{"FilterType": "SIMPLE_PATTERN", "Value": spec.excludes}]
    return str(client.create_task(**params)["TaskArn"])
