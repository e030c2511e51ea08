"""The run summary: what one scenario run did, read back from the local AWS once the workflow ended.

`summarise` collects the workflow run's status, output and states, each DataSync task execution
as DataSync describes it beside what the run ledger recorded, the notifications, events, Lambda
invocations, failure reports and metrics; a batch adds each task's run. `RunSummary.to_dict` is what
`datasync-scheduler demo` prints and what scenarios' `expect` is checked against.
"""

from __future__ import annotations

import csv
import io
import json
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.domain.execution_record import TaskExecutionRecord
from datasync_scheduler.domain.run_result import timeline
from datasync_scheduler.workflow.start_sync import WORKFLOW_TAG
from emulator import moto_internals
from emulator.accounts import client_in
from emulator.datasync import ExecutionRecord
from emulator.function_output import emf_documents
from emulator.local_aws import BATCH_WORKFLOW, WORKFLOW, LocalAws
from emulator.scenario import Scenario
from emulator.stack import ACCOUNT_ID, REGION, DeployedStack


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@dataclass
class RunSummary:
    scenario: str
    description: str
    status: str
    output: Any
    error: str | None
    cause: str | None
    state_transitions: int
    history_events: int
    states_entered: list[str]
    executions: list[dict[str, Any]]
    notifications: list[dict[str, Any]]
    events: dict[str, int]
    invocations: list[dict[str, Any]]
    started_at: datetime
    ended_at: datetime
    reaction_seconds: float | None
    real_seconds: float
    failure_reports: dict[str, list[dict[str, Any]]]
    # When the run is a BatchWorkflow execution: each task's SyncWorkflow run (see _batch_summary).
    batch: dict[str, Any] | None = None
    # The run history lines Report Run wrote (the ledger's `history`), newest first.
    history: list[dict[str, Any]] = field(default_factory=list)
    # What reached the Slack webhook stand-in: {"status": its answer, "payload": the JSON posted}.
    slack_messages: list[dict[str, Any]] = field(default_factory=list)
    # What the stack's SQS queues hold at the end (failed Slack deliveries), by logical id.
    queue_messages: dict[str, list[Any]] = field(default_factory=dict)
    # The Embedded Metric Format documents the functions printed, oldest first: `{"function", "emf"}`.
    metrics: list[dict[str, Any]] = field(default_factory=list)
    # What the state machines sent CloudWatch's PutMetricData: `{"namespace", "name", "value", "dimensions"}`.
    metric_data: list[dict[str, Any]] = field(default_factory=list)
    # The calls the scenario's faults failed, in order: `{"target", "call", "error"}`.
    faults_injected: list[dict[str, Any]] = field(default_factory=list)
    # The runs started alongside the first (`concurrentStarts`): `{"status", "error", "cause", "output"}`.
    other_runs: list[dict[str, Any]] = field(default_factory=list)
    # The scheduler's own events (runs' and batches' start and end), as EventBridge delivers them.
    bus_events: list[dict[str, Any]] = field(default_factory=list)
    # The Health Check's runs before the workflow (`healthChecks`): `{"at", "published"}` or `{"at", "error"}`.
    health_checks: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "scenario": self.scenario,
            "description": self.description,
            "status": self.status,
            "output": self.output,
            "error": self.error,
            "cause": self.cause,
            "state_transitions": self.state_transitions,
            "history_events": self.history_events,
            "states_entered": self.states_entered,
            "executions": self.executions,
            "notifications": self.notifications,
            "events": self.events,
            "invocations": self.invocations,
            "started_at": iso(self.started_at),
            "ended_at": iso(self.ended_at),
            "virtual_seconds": (self.ended_at - self.started_at).total_seconds(),
            "reaction_seconds": self.reaction_seconds,
            "real_seconds": round(self.real_seconds, 3),
            "failure_reports": self.failure_reports,
            "batch": self.batch,
            "history": self.history,
            "slack_messages": self.slack_messages,
            "queue_messages": self.queue_messages,
            "metrics": self.metrics,
            "metric_data": self.metric_data,
            "faults_injected": self.faults_injected,
            "other_runs": self.other_runs,
            "bus_events": self.bus_events,
            "health_checks": self.health_checks,
        }


def other_run(sfn: Any, execution_arn: str) -> dict[str, Any]:
    description = sfn.describe_execution(executionArn=execution_arn)
    return {
        "executionArn": execution_arn,
        "status": str(description["status"]),
        "error": description.get("error"),
        "cause": description.get("cause"),
        "output": json.loads(description["output"]) if description.get("output") else None,
    }


def queue_messages(stack: DeployedStack) -> dict[str, list[Any]]:
    sqs = boto3.client("sqs", region_name=REGION)
    held: dict[str, list[Any]] = {}
    for logical_id, url in stack.queues.items():
        bodies: list[Any] = []
        while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", []):
            for message in batch:
                bodies.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        held[logical_id] = bodies
    return held


def _history(sfn: Any, execution_arn: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=execution_arn):
        events.extend(page["events"])
    return events


def summarise(
    scenario: Scenario,
    sfn: Any,
    execution_arn: str,
    aws: LocalAws,
    started_at: datetime,
    ended_at: datetime,
    real_seconds: float,
) -> RunSummary:
    stack, bus, router = aws.stack, aws.bus, aws.router
    description = sfn.describe_execution(executionArn=execution_arn)
    history = _history(sfn, execution_arn)
    entered = [event["stateEnteredEventDetails"]["name"] for event in history if event["type"].endswith("StateEntered")]
    notifications = []
    for topic_arn in stack.topics.values():
        for message, subject, attributes in moto_internals.sns_sent_notifications(ACCOUNT_ID, REGION, topic_arn):
            notifications.append(_notification(topic_arn, message, subject, attributes))
    ledger = DynamoDbLedger(stack.tables["RunLedger"], boto3.client("dynamodb", region_name=REGION))
    every_execution = [record for service in aws.every_datasync() for record in service.executions()]
    executions = [_execution_summary(record, ledger.get(record.arn)) for record in every_execution]
    ends = [
        record.status_history[-1][1]
        for record in every_execution
        if record.status in ("SUCCESS", "ERROR") and _started_by_workflow(record.start_params)
    ]
    last_end = max(ends, default=None)
    report_times = [call.at for call in router.invocations if call.function == "ReportRunFunction"]
    reaction = (report_times[-1] - last_end).total_seconds() if report_times and last_end else None
    output = json.loads(description["output"]) if description.get("output") else None
    return RunSummary(
        scenario=scenario.name,
        description=scenario.description,
        status=str(description["status"]),
        output=output,
        error=description.get("error"),
        cause=description.get("cause"),
        state_transitions=len(entered),
        history_events=len(history),
        states_entered=entered,
        executions=executions,
        notifications=notifications,
        events={
            "emitted": bus.stats.emitted,
            "delivered": bus.stats.delivered,
            "dropped": bus.stats.dropped,
            "duplicated": bus.stats.duplicated,
            "failed_deliveries": bus.stats.failed_deliveries,
        },
        invocations=[
            {"function": call.function, "at": iso(call.at), "error": call.error_type} for call in router.invocations
        ],
        started_at=started_at,
        ended_at=ended_at,
        reaction_seconds=reaction,
        real_seconds=real_seconds,
        failure_reports=_failure_reports(stack),
        batch=_batch_summary(sfn, stack, history)
        if description["stateMachineArn"] == stack.state_machines.get(BATCH_WORKFLOW)
        else None,
        history=[entry.to_dict() for entry in ledger.history(limit=1000)],
        metrics=[
            {"function": call.function, "emf": document}
            for call in router.invocations
            for document in emf_documents(call.output)
        ],
        metric_data=moto_internals.cloudwatch_metric_data(ACCOUNT_ID, REGION),
    )


def _notification(topic_arn: str, message: str, subject: str | None, attributes: Any) -> dict[str, Any]:
    """One published message as its subscribers see it: `message` is what email receives; a
    message published with MessageStructure=json also shows each protocol's own part."""
    structured = None
    with suppress(ValueError):
        decoded = json.loads(message)
        if isinstance(decoded, dict) and isinstance(decoded.get("default"), str):
            structured = decoded
    return {
        "topic": topic_arn,
        "subject": subject,
        "message": structured.get("email", structured["default"]) if structured else message,
        "attributes": attributes or {},
        "structured": structured,
    }


def _batch_summary(sfn: Any, stack: DeployedStack, history: list[dict[str, Any]]) -> dict[str, Any]:
    """Each task's SyncWorkflow run the batch started (status, input, output or error, cost), and the
    largest state the batch carried between its steps (Step Functions allows 256 KiB)."""
    children = []
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.state_machines[WORKFLOW]):
        for item in page["executions"]:
            described = sfn.describe_execution(executionArn=item["executionArn"])
            child_history = _history(sfn, item["executionArn"])
            child_input = json.loads(described.get("input") or "null")
            task_arn = child_input.get("taskArn") if isinstance(child_input, dict) else None
            task_name = None
            with suppress(Exception):  # a child may have been started with a task that does not exist
                # Described where the task lives (through the member role in another account).
                task_name = (
                    client_in("datasync", *task_arn.split(":")[3:5]).describe_task(TaskArn=task_arn)["Name"]
                    if task_arn
                    else None
                )
            children.append(
                {
                    "executionArn": described["executionArn"],
                    "name": described["name"],
                    "taskName": task_name,
                    "status": described["status"],
                    "input": child_input,
                    "output": json.loads(described["output"]) if described.get("output") else None,
                    "error": described.get("error"),
                    "cause": described.get("cause"),
                    "state_transitions": sum(1 for event in child_history if event["type"].endswith("StateEntered")),
                    "states_entered": [
                        event["stateEnteredEventDetails"]["name"]
                        for event in child_history
                        if event["type"].endswith("StateEntered")
                    ],
                    "history_events": len(child_history),
                }
            )
    # Names end with the task's index in the batch (see child_execution_name): list them in that order.
    children.sort(key=lambda child: int(child["name"].rsplit("-", 1)[-1]) if child["name"][-1].isdigit() else -1)
    by_step: dict[str, int] = {}
    for event in history:
        for key in ("stateEnteredEventDetails", "stateExitedEventDetails"):
            if details := event.get(key):
                size = len((details.get("input") or details.get("output") or "").encode())
                by_step[details["name"]] = max(by_step.get(details["name"], 0), size)
    return {
        "children": children,
        "largest_state_bytes": max(by_step.values(), default=0),
        # The largest input or output each state had (UTF-8 bytes), by state name.
        "state_bytes_by_step": by_step,
    }


def _manifest_of(start_params: Any) -> dict[str, Any] | None:
    """The manifest an execution was started with, and the paths it lists."""
    source = (start_params.get("ManifestConfig") or {}).get("Source", {}).get("S3")
    if not source:
        return None
    bucket = str(source["S3BucketArn"]).rsplit(":", 1)[-1]
    key = str(source["ManifestObjectPath"])
    body = boto3.client("s3", region_name=REGION).get_object(Bucket=bucket, Key=key)["Body"].read().decode()
    return {"location": f"s3://{bucket}/{key}", "paths": [row[0] for row in csv.reader(io.StringIO(body)) if row]}


def _failure_reports(stack: DeployedStack) -> dict[str, list[dict[str, Any]]]:
    """Every failure report the run wrote, read back (scenarios are small)."""
    s3 = boto3.client("s3", region_name=REGION)
    reports: dict[str, list[dict[str, Any]]] = {}
    for bucket in stack.buckets.values():
        for item in s3.list_objects_v2(Bucket=bucket, Prefix="failure-reports/").get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read().decode()
            # JSON Lines: records end at "\n" only. A name may hold U+2028 or NEL, which JSON leaves
            # unescaped and `str.splitlines` would take for line ends.
            reports[f"s3://{bucket}/{item['Key']}"] = [json.loads(line) for line in body.split("\n") if line]
    return reports


def _started_by_workflow(start_params: Any) -> bool:
    return any(tag.get("Key") == WORKFLOW_TAG for tag in start_params.get("Tags", []))


def _execution_summary(record: ExecutionRecord, recorded: TaskExecutionRecord | None) -> dict[str, Any]:
    described = (
        {}  # DataSync no longer knows an execution whose task was deleted
        if record.deleted
        # Described where it lives: its Region and account (through the member role in another).
        else client_in("datasync", *record.arn.split(":")[3:5]).describe_task_execution(TaskExecutionArn=record.arn)
    )
    result = described.get("Result", {})
    counters = {
        key: described[key]
        for key in ("EstimatedFilesToTransfer", "FilesTransferred", "BytesTransferred", "FilesVerified")
        if key in described
    }
    return {
        "executionArn": record.arn,
        "status": record.status,
        "phases": [{"phase": status, "at": iso(at)} for status, at in record.status_history],
        "counters": counters,
        "errorCode": result.get("ErrorCode"),
        "errorDetail": result.get("ErrorDetail"),
        "startedByWorkflow": _started_by_workflow(record.start_params),
        "taskDeleted": record.deleted,
        "overrides": record.start_params.get("OverrideOptions", {}),
        "includes": record.start_params.get("Includes", []),
        "excludes": record.start_params.get("Excludes", []),
        # What DataSync ran: the task's options and filters, with this run's overrides applied.
        "effective": {
            "options": described.get("Options", {}),
            "includes": described.get("Includes", []),
            "excludes": described.get("Excludes", []),
        },
        "manifest": _manifest_of(record.start_params),
        # What the run ledger recorded: the workflow's view, to compare with DataSync's truth above.
        "recorded": {
            "phases": [{"phase": mark.phase, "at": iso(mark.at)} for mark in timeline(recorded.phase_times)],
            "eventStatuses": sorted(recorded.event_statuses),
            "watchdogNote": recorded.watchdog_note,
        }
        if recorded
        else None,
    }
