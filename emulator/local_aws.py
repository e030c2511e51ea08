"""The local AWS account: moto, the DataSync emulator, the Lambda router and the event bus on one virtual clock.

`local_aws()` sets the account up for the duration of a block (no network, no credentials): it serves
DataSync and Lambda through `emulator.aws_hooks`, runs moto's Step Functions interpreter on virtual
time with AWS's own casing and errors, and puts the handlers' time, settings and stdout on the
emulator's side. `LocalAws.deploy` creates template.yaml's resources in it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from moto import mock_aws

from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.clock import use_time_source
from datasync_scheduler.composition.settings import ScheduleBookSettings
from datasync_scheduler.domain.schedules import SchedulesFile, parse_schedules
from datasync_scheduler.ports import ScheduleBook
from emulator import aws_hooks, moto_internals
from emulator.clock import VirtualClock
from emulator.custom_resources import send_request
from emulator.datasync import DataSyncEmulator
from emulator.event_bus import EventBus, EventFaults, PutEventsBus
from emulator.function_output import routed_stdout
from emulator.lambda_router import LambdaRouter, restore_environment
from emulator.map_results import map_results_as_documented
from emulator.sns_lambda import SnsLambdaDeliveries, sns_to_lambda
from emulator.sns_rules import sns_as_documented
from emulator.stack import ACCOUNT_ID, REGION, STACK_NAME, DeployedStack, deploy, set_environment, stack_id
from emulator.stepfunctions_errors import states_all_as_on_aws
from emulator.stepfunctions_integrations import aws_cased_stepfunctions_integration
from emulator.stepfunctions_time import on_virtual_time

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = PROJECT_ROOT / "template.yaml"
# The template's state machines, by logical id.
WORKFLOW = "SyncWorkflow"
BATCH_WORKFLOW = "BatchWorkflow"
_FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    # In-process code reaches moto and the hooks: an AWS_ENDPOINT_URL the shell exported (say, for
    # the local server) must not send it to the network. Explicit endpoint_url arguments still count.
    "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true",
}


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    previous = set_environment(values)
    try:
        yield
    finally:
        restore_environment(previous)


@contextmanager
def _quiet_interpreter() -> Iterator[None]:
    # moto's interpreter logs an ERROR for every failed state, caught ones included.
    logger = logging.getLogger("moto.stepfunctions")
    level = logger.level
    logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        logger.setLevel(level)


class LocalAws:
    """The emulated AWS account: moto, the DataSync emulator, the Lambda router and the event bus,
    all on one virtual clock. Use it through `local_aws()`."""

    def __init__(self, faults: EventFaults, clock_start: datetime | None = None) -> None:
        self.clock = VirtualClock(clock_start) if clock_start else VirtualClock()
        self.router = LambdaRouter(self.clock)
        self.bus = EventBus(self.clock, [], self._deliver, faults)
        self.datasync = DataSyncEmulator(
            self.clock,
            region=REGION,
            account_id=ACCOUNT_ID,
            event_sink=self.bus.publish,
            logs_client_factory=lambda: boto3.client("logs", region_name=REGION),
            s3_client_factory=lambda: boto3.client("s3", region_name=REGION),
        )
        self.clock.attach(self.datasync)
        self.clock.attach(self.bus)
        # DataSync in the stack's other Regions, each its own service (created on first call), and
        # the Regions whose DataSync events a member stack forwards to this Region's bus.
        self.datasync_elsewhere: dict[tuple[str, str], DataSyncEmulator] = {}
        self.forwarded: set[tuple[str, str]] = set()
        # The scheduler's own events (PutEvents): the account has its default bus.
        self.put_events = PutEventsBus(self.clock, account_id=ACCOUNT_ID, region=REGION, buses=frozenset({"default"}))
        self._stack: DeployedStack | None = None
        # SNS deliveries to the functions' `SNS` subscriptions (set by local_aws()).
        self.sns_deliveries = SnsLambdaDeliveries()
        # The schedules file deployed with the stack (its parsed content), when a scenario has one.
        self.schedules: Any = None

    def datasync_in(self, region: str, account: str = ACCOUNT_ID) -> DataSyncEmulator:
        """DataSync in `region` of `account`: the home one, or another place's, whose tasks and
        executions are its own."""
        place = (region or REGION, account or ACCOUNT_ID)
        if place == (REGION, ACCOUNT_ID):
            return self.datasync
        if place not in self.datasync_elsewhere:
            emulator = DataSyncEmulator(
                self.clock,
                region=place[0],
                account_id=place[1],
                event_sink=lambda event: self._forward(place, event),
                logs_client_factory=lambda: boto3.client("logs", region_name=place[0]),
                s3_client_factory=lambda: boto3.client("s3", region_name=place[0]),
            )
            self.clock.attach(emulator)
            self.datasync_elsewhere[place] = emulator
        return self.datasync_elsewhere[place]

    def every_datasync(self) -> list[DataSyncEmulator]:
        """DataSync at home, then in every other place a call reached."""
        return [self.datasync, *self.datasync_elsewhere.values()]

    def _forward(self, place: tuple[str, str], event: dict[str, Any]) -> None:
        # DataSync's events stay on their own Region's and account's bus unless a member stack's rule
        # forwards them to the home bus, where they arrive with their own `region` and `account`
        # (docs/regions.md).
        if place in self.forwarded:
            self.bus.publish(event)

    def _deliver(self, target: str, event: dict[str, Any]) -> bool:
        return self.router.invoke(target, event)[1] is None

    @property
    def stack(self) -> DeployedStack:
        if self._stack is None:
            raise RuntimeError("deploy() the template first")
        return self._stack

    def deploy(
        self, parameters: dict[str, str] | None = None, template: Path = TEMPLATE, stack_name: str = STACK_NAME
    ) -> DeployedStack:
        """Creates the template's resources and routes its functions and event rules."""
        overrides = dict(parameters or {})
        # Handler logs are structured JSON for CloudWatch; locally they would bury the summary.
        overrides.setdefault("LogLevel", "WARNING")
        stack = deploy(template, overrides, stack_name)
        for function in stack.functions.values():
            self.router.register(function)
        self.bus.use_rules(stack.rules)
        self._stack = stack
        # As CloudFormation does once their provider exists: a FAILED answer fails the deployment.
        before = len(self.router.invocations)
        for resource in stack.custom_resources:
            answer = send_request(self.router, resource, "Create", stack_id=stack_id(stack_name))
            stack.physical_ids[resource.logical_id] = answer.physical_id
        # What the deployment ran is the deployment's, not part of what a run later does.
        stack.deploy_invocations = self.router.invocations[before:]
        del self.router.invocations[before:]
        return stack

    def fire_schedule(self, group: str, name: str, scheduled_time: datetime) -> str:
        """One firing of a schedule of the group, as EventBridge Scheduler delivers it to a Step
        Functions target: StartExecution of the target with its input, the context attributes
        filled in (docs/aws-facts.md#named-schedules). Returns the execution's ARN."""
        schedule = boto3.client("scheduler", region_name=REGION).get_schedule(GroupName=group, Name=name)
        target = schedule["Target"]
        when = scheduled_time.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        filled = str(target.get("Input", "{}")).replace("<aws.scheduler.scheduled-time>", when)
        filled = filled.replace("<aws.scheduler.schedule-arn>", str(schedule["Arn"]))
        sfn = boto3.client("stepfunctions", region_name=REGION)
        return str(sfn.start_execution(stateMachineArn=target["Arn"], input=filled)["executionArn"])

    def delete_custom_resources(self) -> None:
        """What deleting the stack asks of its custom resources (in reverse order of creation)."""
        stack = self.stack
        for resource in reversed(stack.custom_resources):
            send_request(
                self.router,
                resource,
                "Delete",
                stack_id=stack_id(stack.name),
                physical_id=stack.physical_ids.get(resource.logical_id),
            )


class _DeployedScheduleBook:
    """The schedules file shipped with the emulated stack, checked on each read as the real one is."""

    def __init__(self, raw: Any) -> None:
        self.raw = raw

    def schedules(self) -> SchedulesFile:
        return parse_schedules(self.raw)


@contextmanager
def _deployed_schedules(aws: LocalAws) -> Iterator[None]:
    """The stack's functions read `aws.schedules` as the deployed schedules file, when a scenario
    gives one (its listed tasks are known only once the scenario has created them)."""
    original = wiring.schedule_book

    def schedule_book(settings: ScheduleBookSettings) -> ScheduleBook:
        return _DeployedScheduleBook(aws.schedules) if aws.schedules is not None else original(settings)

    wiring.schedule_book = schedule_book
    try:
        yield
    finally:
        wiring.schedule_book = original  # type: ignore[assignment]


@contextmanager
def local_aws(faults: EventFaults | None = None, clock_start: datetime | None = None) -> Iterator[LocalAws]:
    """An emulated AWS account for the duration of the block (no network, no credentials).

    Virtual time starts at `clock_start` (default: the clock's fixed epoch, so runs repeat exactly)."""
    aws = LocalAws(faults or EventFaults(), clock_start)
    aws.router.on_environment_change = wiring.forget_settings
    aws_hooks.serve("datasync", aws_hooks.Regional(lambda region, account: aws.datasync_in(region, account).handle))
    aws_hooks.serve("lambda", aws.router.handle)
    aws_hooks.serve("eventbridge", aws.put_events.handle)
    use_time_source(aws.clock.now)
    wiring.reset()
    parameters.clear_caches()  # type: ignore[no-untyped-call]  # a new account: no cached secret from another
    try:
        with (
            _environment(_FAKE_CREDENTIALS),
            mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
            on_virtual_time(aws.clock),
            aws_cased_stepfunctions_integration(),
            map_results_as_documented(aws.clock, REGION),
            states_all_as_on_aws(),
            # moto's CloudWatch Logs drops events far from its own clock; DataSync's log lines carry
            # virtual timestamps, so moto must read the same clock.
            moto_internals.logs_clock(aws.clock.now),
            moto_internals.dynamodb_writes_atomic(),
            _quiet_interpreter(),
            sns_as_documented(),
            sns_to_lambda(aws.router, aws.clock.now) as aws.sns_deliveries,
            routed_stdout() as stdout,
            _deployed_schedules(aws),
        ):
            aws.router.stdout = stdout
            yield aws
    finally:
        aws_hooks.stop("datasync")
        aws_hooks.stop("lambda")
        aws_hooks.stop("eventbridge")
        use_time_source(None)
        wiring.reset()
        parameters.clear_caches()  # type: ignore[no-untyped-call]
