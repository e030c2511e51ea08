"""Runs one scenario through the real workflow on the local AWS, in virtual time.

The real `statemachine/*.asl.json` runs in moto's Step Functions interpreter; its Lambda tasks
run the real handlers in-process; DataSync is the project's emulator; EventBridge deliveries
come from the event bus with the scenario's faults. Everything is wired from template.yaml.
"""

from __future__ import annotations

import csv
import io
import json
import time
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.domain.run_record import RunRecord
from datasync_scheduler.domain.run_report import timeline
from datasync_scheduler.steps import WORKFLOW_TAG
from emulator import faults, moto_internals
from emulator.clock import Deadlock
from emulator.datasync import ExecutionRecord
from emulator.function_output import emf_documents
from emulator.local_aws import BATCH_WORKFLOW, TEMPLATE, WORKFLOW, LocalAws, local_aws
from emulator.scenario import Scenario
from emulator.scenario_tasks import create_task, create_task_for
from emulator.stack import ACCOUNT_ID, REGION, DeployedStack
from emulator.webhook import SlackWebhookStandIn

LATE_EVENT_HORIZON_SECONDS = 24 * 3600


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
        }


def _workflow_start(
    scenario: Scenario, stack: DeployedStack, task_arn: str, batch: list[dict[str, Any]]
) -> tuple[str, str]:
    """The state machine the run starts, and its input."""
    if scenario.trigger == "schedule":
        # The schedule names its own target: the BatchWorkflow in this template.
        schedule = stack.schedules[0]
        if schedule.state != "ENABLED":
            raise RuntimeError(
                f"schedule {schedule.logical_id} is {schedule.state}: set DataSyncTaskArn or NightlyTasks"
            )
        return schedule.state_machine_arn, schedule.input
    if scenario.batch:
        # A manual batch, with the nightly concurrency unless the scenario sets its own.
        concurrency = scenario.max_concurrency or int(stack.parameters["NightlyMaxConcurrency"])
        return stack.state_machines[BATCH_WORKFLOW], json.dumps({"tasks": batch, "maxConcurrency": concurrency})
    if scenario.trigger == "batch":
        # A batch started by hand with exactly this input (for bad-input scenarios).
        return stack.state_machines[BATCH_WORKFLOW], json.dumps(scenario.raw_input)
    if scenario.has_raw_input:
        return stack.state_machines[WORKFLOW], json.dumps(scenario.raw_input)
    return stack.state_machines[WORKFLOW], json.dumps({"taskArn": task_arn, **scenario.extra_input})


def _batch_parameters(scenario: Scenario, batch: list[dict[str, Any]]) -> dict[str, str]:
    """A scheduled batch runs the scenario's tasks as the template's NightlyTasks."""
    parameters = {"NightlyTasks": json.dumps(batch)}
    if scenario.max_concurrency is not None:
        parameters["NightlyMaxConcurrency"] = str(scenario.max_concurrency)
    return parameters


def run_scenario(
    scenario: Scenario,
    *,
    template: Path = TEMPLATE,
    real_timeout: float = 120.0,
    virtual_timeout: float | None = None,
    slack_webhook: SlackWebhookStandIn | None = None,
) -> RunSummary:
    """Runs the scenario to the workflow's end and summarises what happened.

    Every message also goes to "Slack": a webhook stand-in on this machine (`slack_webhook`, to
    script its answers; a new one answering 200 `ok` otherwise), whose URL is the stack's secret.
    A run still going after `virtual_timeout` seconds of virtual time (or `real_timeout` of real
    time) is stopped and raises TimeoutError."""
    real_start = time.monotonic()
    webhook = slack_webhook or SlackWebhookStandIn()
    injector = faults.FaultInjector(scenario.faults)
    with (
        webhook,
        local_aws(scenario.events) as aws,
        faults.injecting(injector) if scenario.faults else nullcontext(injector),
    ):
        aws.router.faults = injector
        injector.sleep = aws.router.pause  # a slow call lets other invocations run meanwhile
        aws.datasync.log_stream_names = scenario.log_stream_names
        batch: list[dict[str, Any]] = []  # the sync requests of a several-task scenario
        locations: dict[str, str] = {}
        for item in scenario.batch:
            item_arn = create_task_for(item.task, locations)
            aws.datasync.script_task(item_arn, item.executions)
            batch.append({"taskArn": item_arn, **item.extra_input})
        task_arn = batch[0]["taskArn"] if batch else create_task(scenario)
        scripts = ([scenario.already_running] if scenario.already_running else []) + scenario.executions
        if scripts:
            aws.datasync.script_task(task_arn, scripts)
        parameters = dict(scenario.parameters)
        parameters.setdefault("SlackWebhookSecretArn", _webhook_secret(webhook.url))
        if scenario.trigger == "schedule":
            for name, value in (_batch_parameters(scenario, batch) if batch else {"DataSyncTaskArn": task_arn}).items():
                parameters.setdefault(name, value)
        stack = aws.deploy(parameters, template)

        sfn = boto3.client("stepfunctions", region_name=REGION)
        if scenario.already_running:
            boto3.client("datasync", region_name=REGION).start_task_execution(TaskArn=task_arn)
        aws.clock.advance(scenario.start_delay_seconds)
        aws.datasync.lost_start_responses = scenario.lost_start_responses
        aws.datasync.identical_start_while_busy = scenario.identical_start_while_busy
        started_at = aws.clock.now()
        # A fault's window (`afterSeconds`, `forSeconds`) is counted from here.
        injector.elapsed = lambda: (aws.clock.now() - started_at).total_seconds()
        if scenario.delete_task_at_seconds is not None:
            aws.datasync.delete_task_at(task_arn, started_at + timedelta(seconds=scenario.delete_task_at_seconds))
        machine, workflow_input = _workflow_start(scenario, stack, task_arn, batch)
        execution_arn, *other_runs = [
            sfn.start_execution(stateMachineArn=machine, name=f"{scenario.name}-run-{number}", input=workflow_input)[
                "executionArn"
            ]
            for number in range(1, scenario.concurrent_starts + 1)
        ]

        def finished() -> bool:
            if str(sfn.describe_execution(executionArn=execution_arn)["status"]) != "RUNNING":
                return True
            if virtual_timeout is not None and (aws.clock.now() - started_at).total_seconds() > virtual_timeout:
                raise TimeoutError(f"the workflow still runs after {virtual_timeout:.0f} s of virtual time")
            return False

        try:
            aws.clock.run_until(finished, real_timeout=real_timeout)
        except BaseException:
            # A RUNNING execution's threads would outlive the mock; stop it, then report the real problem.
            with suppress(Exception):
                sfn.stop_execution(executionArn=execution_arn, error="Emulator.Aborted")
            stop_running(sfn, stack)  # a batch's task runs too
            raise
        ended_at = aws.clock.now()
        # A batch that failed may leave task runs going (moto does not stop a `.sync:2` child when
        # its parent ends): let them end too, so the summary is one settled moment rather than a
        # snapshot taken while their threads still run. Runs still going a day later are stopped.
        horizon = ended_at + timedelta(seconds=LATE_EVENT_HORIZON_SECONDS)
        _settle(aws, sfn, stack, until=horizon, real_timeout=real_timeout)
        # Late events still arrive after the workflow ended, as on AWS: deliver what is in flight so
        # the ledger the summary shows is the one an operator would find a day later.
        aws.clock.advance(LATE_EVENT_HORIZON_SECONDS)
        summary = _summarise(scenario, sfn, execution_arn, aws, started_at, ended_at, time.monotonic() - real_start)
        summary.slack_messages = [{"status": post.reply.status, "payload": post.payload} for post in webhook.posts]
        summary.queue_messages = _queue_messages(stack)
        summary.faults_injected = [call.to_dict() for call in injector.injected]
        summary.other_runs = [_other_run(sfn, arn) for arn in other_runs]
        return summary


def _other_run(sfn: Any, execution_arn: str) -> dict[str, Any]:
    description = sfn.describe_execution(executionArn=execution_arn)
    return {
        "executionArn": execution_arn,
        "status": str(description["status"]),
        "error": description.get("error"),
        "cause": description.get("cause"),
        "output": json.loads(description["output"]) if description.get("output") else None,
    }


def _settle(aws: LocalAws, sfn: Any, stack: DeployedStack, *, until: datetime, real_timeout: float) -> None:
    """Drives time until no execution of the stack's state machines runs, or until `until`."""

    def settled() -> bool:
        return aws.clock.now() >= until or not _running_executions(sfn, stack)

    with suppress(Deadlock):  # what still runs waits on nothing scheduled: it is stopped below
        aws.clock.run_until(settled, real_timeout=real_timeout)
    stop_running(sfn, stack)


def _running_executions(sfn: Any, stack: DeployedStack) -> list[str]:
    return [
        execution["executionArn"]
        for machine in stack.state_machines.values()
        for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING")
        for execution in page["executions"]
    ]


def _webhook_secret(url: str) -> str:
    """Stores the webhook's URL as the secret a user would create; returns its ARN."""
    secrets = boto3.client("secretsmanager", region_name=REGION)
    return str(secrets.create_secret(Name="datasync-scheduler-local/slack-webhook", SecretString=url)["ARN"])


def _queue_messages(stack: DeployedStack) -> dict[str, list[Any]]:
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


def _summarise(
    scenario: Scenario,
    sfn: Any,
    execution_arn: str,
    aws: LocalAws,
    started_at: datetime,
    ended_at: datetime,
    real_seconds: float,
) -> RunSummary:
    stack, datasync, bus, router = aws.stack, aws.datasync, aws.bus, aws.router
    description = sfn.describe_execution(executionArn=execution_arn)
    history = _history(sfn, execution_arn)
    entered = [event["stateEnteredEventDetails"]["name"] for event in history if event["type"].endswith("StateEntered")]
    notifications = []
    for topic_arn in stack.topics.values():
        for message, subject, attributes in moto_internals.sns_sent_notifications(ACCOUNT_ID, REGION, topic_arn):
            notifications.append(_notification(topic_arn, message, subject, attributes))
    ledger = DynamoDbLedger(stack.tables["RunLedger"], boto3.client("dynamodb", region_name=REGION))
    executions = [_execution_summary(record, ledger.get(record.arn)) for record in datasync.executions()]
    ends = [
        record.status_history[-1][1]
        for record in datasync.executions()
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


def stop_running(sfn: Any, stack: DeployedStack) -> None:
    """Stops every RUNNING execution of the stack's state machines (their threads must not outlive the mock)."""
    for machine in stack.state_machines.values():
        with suppress(Exception):
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING"):
                for execution in page["executions"]:
                    sfn.stop_execution(executionArn=execution["executionArn"], error="Emulator.Aborted")


def _batch_summary(sfn: Any, stack: DeployedStack, history: list[dict[str, Any]]) -> dict[str, Any]:
    """Each task's SyncWorkflow run the batch started (status, input, output or error, cost), and the
    largest state the batch carried between its steps (Step Functions allows 256 KiB)."""
    children = []
    datasync = boto3.client("datasync", region_name=REGION)
    for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=stack.state_machines[WORKFLOW]):
        for item in page["executions"]:
            described = sfn.describe_execution(executionArn=item["executionArn"])
            child_history = _history(sfn, item["executionArn"])
            child_input = json.loads(described.get("input") or "null")
            task_arn = child_input.get("taskArn") if isinstance(child_input, dict) else None
            task_name = None
            with suppress(Exception):  # a child may have been started with a task that does not exist
                task_name = datasync.describe_task(TaskArn=task_arn)["Name"] if task_arn else None
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


def _execution_summary(record: ExecutionRecord, recorded: RunRecord | None) -> dict[str, Any]:
    described = (
        {}  # DataSync no longer knows an execution whose task was deleted
        if record.deleted
        else boto3.client("datasync", region_name=REGION).describe_task_execution(TaskExecutionArn=record.arn)
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
