"""Runs one scenario through the real workflow on the local AWS, in virtual time.

The real `statemachine/*.asl.json` runs in moto's Step Functions interpreter; its Lambda tasks
run the real handlers in-process; DataSync is the project's emulator; EventBridge deliveries
come from the event bus with the scenario's faults. Everything is wired from template.yaml.
"""

from __future__ import annotations

import json
import time
from contextlib import nullcontext, suppress
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.throughput import PhaseRates
from emulator import faults
from emulator.clock import Deadlock
from emulator.local_aws import BATCH_WORKFLOW, TEMPLATE, WORKFLOW, LocalAws, local_aws
from emulator.run_summary import RunSummary, other_run, queue_messages, summarise
from emulator.scenario import AFTER_RUN_FROM_SECONDS, Scenario, ScenarioError
from emulator.scenario_tasks import create_agents, create_task, create_task_for
from emulator.stack import ACCOUNT_ID, REGION, DeployedStack
from emulator.webhook import SlackWebhookStandIn

LATE_EVENT_HORIZON_SECONDS = AFTER_RUN_FROM_SECONDS


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
    if scenario.trigger == "firing":
        # What EventBridge Scheduler sends a named schedule's target: its name and the scheduled time.
        assert scenario.schedule is not None
        firing: dict[str, Any] = {"schedule": scenario.schedule.get("name")}
        if scenario.scheduled_time is not None:
            firing["scheduledTime"] = scenario.scheduled_time
        return stack.state_machines[BATCH_WORKFLOW], json.dumps(firing)
    if scenario.batch:
        # A manual batch, with the nightly concurrency unless the scenario sets its own.
        concurrency = scenario.max_concurrency or int(stack.parameters["NightlyMaxConcurrency"])
        batch_input: dict[str, Any] = {"tasks": batch, "maxConcurrency": concurrency}
        if scenario.firing is not None:
            batch_input["firing"] = scenario.firing
        return stack.state_machines[BATCH_WORKFLOW], json.dumps(batch_input)
    if scenario.trigger == "batch":
        # A batch started by hand with exactly this input (for bad-input scenarios).
        return stack.state_machines[BATCH_WORKFLOW], json.dumps(scenario.raw_input)
    if scenario.has_raw_input:
        return stack.state_machines[WORKFLOW], json.dumps(scenario.raw_input)
    return stack.state_machines[WORKFLOW], json.dumps({"taskArn": task_arn, **scenario.extra_input})


def _retry_failures(
    aws: LocalAws, sfn: Any, stack: DeployedStack, scenario: Scenario, run: str, real_timeout: float
) -> str:
    """A person retries the run's failed files: a SyncWorkflow run of `{"retryFailuresOf": run}`, to its end."""
    retry = sfn.start_execution(
        stateMachineArn=stack.state_machines[WORKFLOW],
        name=f"{scenario.name}-retry-failures",
        input=json.dumps({"retryFailuresOf": run}),
    )["executionArn"]
    aws.clock.run_until(
        lambda: str(sfn.describe_execution(executionArn=retry)["status"]) != "RUNNING", real_timeout=real_timeout
    )
    return str(retry)


def _batch_parameters(scenario: Scenario, batch: list[dict[str, Any]]) -> dict[str, str]:
    """A scheduled batch runs the scenario's tasks as the template's NightlyTasks."""
    parameters = {"NightlyTasks": json.dumps(batch)}
    if scenario.max_concurrency is not None:
        parameters["NightlyMaxConcurrency"] = str(scenario.max_concurrency)
    return parameters


def _seed_history(scenario: Scenario, stack: DeployedStack, task_arn: str, now: datetime) -> None:
    """The task's earlier runs (the scenario's `history`), written as Report Run writes them."""
    if not scenario.history:
        return
    ledger = DynamoDbLedger(stack.tables["RunLedger"], boto3.client("dynamodb", region_name=REGION))
    for number, seed in enumerate(scenario.history, start=1):
        ended = now - timedelta(days=seed.days_ago)
        ledger.record_run(
            RunHistoryEntry(
                workflow_execution=f"arn:aws:states:{REGION}:{ACCOUNT_ID}:execution:SyncWorkflow:earlier-run-{number}",
                started_at=ended - timedelta(hours=1),
                ended_at=ended,
                status=seed.status,
                error="" if seed.status == "SUCCEEDED" else "DataSync.ExecutionError",
                reason="An earlier run (scenario history).",
                task_arn=task_arn,
                attempts=1,
                rates=PhaseRates.from_dict(seed.rates),
            )
        )


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
        first_arn: str | None = None
        arns: list[str] = []
        elsewhere: set[tuple[str, str]] = set()  # the (Region, account) places the stack reaches
        agents = create_agents(scenario.agents)
        for item in scenario.batch:
            item_arn = create_task_for(item.task, locations, agents)
            first_arn = first_arn or item_arn
            arns.append(item_arn)
            place = (_region_of(item_arn), _account_of(item_arn))
            aws.datasync_in(*place).script_task(item_arn, item.executions)
            own = item.task.datasync_schedule
            if own is not None and own.disabled_by_service_reason is not None:
                # DataSync disabled the task's own schedule before the scenario starts (data, not decided here).
                aws.datasync_in(*place).disable_schedule_by_service(
                    item_arn, own.disabled_by_service_reason, aws.clock.now()
                )
            if place != (REGION, ACCOUNT_ID):
                elsewhere.add(place)
                # A member stack in the task's Region and account forwards its events to the
                # stack's bus, unless the scenario leaves that place without one.
                if scenario.forwarders is None or place in scenario.forwarders:
                    aws.forwarded.add(place)
            if item.listed:
                batch.append({"taskArn": item_arn, **item.extra_input})
        if scenario.schedule is not None:
            # The schedules file deployed with the stack: the scenario's schedule, its listed tasks.
            aws.schedules = {"schedules": [{**scenario.schedule, "tasks": batch}]}
        if scenario.schedules:
            # A schedules file of several schedules, each listing scenario tasks by name.
            requests = {
                item.task.name: {"taskArn": arn, **item.extra_input}
                for item, arn in zip(scenario.batch, arns, strict=True)
            }
            aws.schedules = {
                "schedules": [
                    {**schedule, "tasks": [requests[task] for task in schedule.get("tasks", [])]}
                    for schedule in scenario.schedules
                ]
            }
        task_arn = batch[0]["taskArn"] if batch else (first_arn or create_task(scenario))
        scripts = ([scenario.already_running] if scenario.already_running else []) + scenario.executions
        if scripts:
            aws.datasync.script_task(task_arn, scripts)
        parameters = dict(scenario.parameters)
        # The stack is set up for every Region and member account its tasks live in.
        if other_regions := sorted({region for region, _ in elsewhere} - {REGION}):
            parameters.setdefault("TaskRegions", ",".join(other_regions))
        if members := sorted({account for _, account in elsewhere} - {ACCOUNT_ID}):
            parameters.setdefault("MemberAccounts", ",".join(members))
        parameters.setdefault("SlackWebhookSecretArn", _webhook_secret(webhook.url))
        if scenario.trigger == "schedule":
            for name, value in (_batch_parameters(scenario, batch) if batch else {"DataSyncTaskArn": task_arn}).items():
                parameters.setdefault(name, value)
        stack = aws.deploy(parameters, template)
        _seed_history(scenario, stack, task_arn, aws.clock.now())

        sfn = boto3.client("stepfunctions", region_name=REGION)
        if scenario.already_running:
            boto3.client("datasync", region_name=REGION).start_task_execution(TaskArn=task_arn)
        for agent, status in scenario.agents.items():
            if status == "OFFLINE":
                aws.datasync.set_agent_status(agents[agent], "OFFLINE", aws.clock.now())
        for agent, at in scenario.agents_back_online.items():
            # Someone restarted the agent's VM: DataSync hears from it again and it is ONLINE.
            aws.datasync.set_agent_status(agents[agent], "ONLINE", aws.clock.now() + timedelta(seconds=at))
        health_checks = _run_health_checks(aws, scenario)
        aws.clock.advance(scenario.start_delay_seconds - (scenario.health_checks[-1] if scenario.health_checks else 0))
        aws.datasync.lost_start_responses = scenario.lost_start_responses
        aws.datasync.identical_start_while_busy = scenario.identical_start_while_busy
        started_at = aws.clock.now()
        # A fault's window (`afterSeconds`, `forSeconds`) is counted from here.
        injector.elapsed = lambda: (aws.clock.now() - started_at).total_seconds()
        if scenario.delete_task_at_seconds is not None:
            aws.datasync.delete_task_at(task_arn, started_at + timedelta(seconds=scenario.delete_task_at_seconds))
        if scenario.firings:
            # One firing of each: what EventBridge Scheduler sends each schedule's target, started
            # one after the other (the summary is the first's; the others are its other runs).
            execution_arn, *other_runs = [
                sfn.start_execution(
                    stateMachineArn=stack.state_machines[BATCH_WORKFLOW],
                    name=f"{scenario.name}-{schedule_name}-{number}",
                    input=json.dumps({"schedule": schedule_name, "scheduledTime": scheduled_time}),
                )["executionArn"]
                for number, (schedule_name, scheduled_time) in enumerate(scenario.firings, start=1)
            ]
        else:
            machine, workflow_input = _workflow_start(scenario, stack, task_arn, batch)
            execution_arn, *other_runs = [
                sfn.start_execution(
                    stateMachineArn=machine, name=f"{scenario.name}-run-{number}", input=workflow_input
                )["executionArn"]
                for number in range(1, scenario.concurrent_starts + 1)
            ]

        def finished() -> bool:
            if scenario.firings and any(
                sfn.describe_execution(executionArn=arn)["status"] == "RUNNING" for arn in other_runs
            ):
                return False
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
        if scenario.retry_failures_after:
            other_runs.append(_retry_failures(aws, sfn, stack, scenario, execution_arn, real_timeout))
        # After the run (and its late events): what the Health Check says about the firings that followed.
        later_checks = _run_health_checks_after(aws, scenario, started_at)
        summary = summarise(scenario, sfn, execution_arn, aws, started_at, ended_at, time.monotonic() - real_start)
        summary.slack_messages = [{"status": post.reply.status, "payload": post.payload} for post in webhook.posts]
        summary.queue_messages = queue_messages(stack)
        summary.faults_injected = [call.to_dict() for call in injector.injected]
        summary.other_runs = [other_run(sfn, arn) for arn in other_runs]
        summary.bus_events = list(aws.put_events.events)
        summary.health_checks = health_checks + later_checks
        return summary


def _run_health_checks(aws: LocalAws, scenario: Scenario) -> list[dict[str, Any]]:
    """The stack's Health Check at each of the scenario's moments, as its own schedule invokes it:
    what each published (or its error)."""
    results: list[dict[str, Any]] = []
    start = aws.clock.now()
    for at in scenario.health_checks:
        aws.clock.advance((start + timedelta(seconds=at) - aws.clock.now()).total_seconds())
        results.append(_health_check(aws))
    return results


def _health_check(aws: LocalAws) -> dict[str, Any]:
    """One Health Check, as its own schedule invokes it now: what it published (or its error)."""
    result, error = aws.router.invoke("HealthCheckFunction", {})
    return {
        "at": aws.clock.now().isoformat(),
        **({"published": result["published"]} if error is None else {"error": error}),
    }


def _run_health_checks_after(aws: LocalAws, scenario: Scenario, started_at: datetime) -> list[dict[str, Any]]:
    """The Health Check at each of the scenario's moments after the run (`healthChecksAfterRun`,
    counted from the workflow's start), once its runs ended and their late events came."""
    results: list[dict[str, Any]] = []
    for at in scenario.health_checks_after_run:
        wait = (started_at + timedelta(seconds=at) - aws.clock.now()).total_seconds()
        if wait < 0:
            raise ScenarioError(
                f"scenario {scenario.name}: healthChecksAfterRun: {at:g} s is before the runs and their late "
                f"events ended ({(aws.clock.now() - started_at).total_seconds():.0f} s after the workflow's start)"
            )
        aws.clock.advance(wait)
        results.append(_health_check(aws))
    return results


def _region_of(arn: str) -> str:
    return arn.split(":")[3]


def _account_of(arn: str) -> str:
    return arn.split(":")[4]


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


def stop_running(sfn: Any, stack: DeployedStack) -> None:
    """Stops every RUNNING execution of the stack's state machines (their threads must not outlive the mock)."""
    for machine in stack.state_machines.values():
        with suppress(Exception):
            for page in sfn.get_paginator("list_executions").paginate(stateMachineArn=machine, statusFilter="RUNNING"):
                for execution in page["executions"]:
                    sfn.stop_execution(executionArn=execution["executionArn"], error="Emulator.Aborted")
