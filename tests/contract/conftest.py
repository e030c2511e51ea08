"""One suite, two implementations: every contract test runs against the fake of `tests/fakes.py` and
against the real adapter (DynamoDB, S3, Step Functions and CloudWatch Logs on moto; DataSync on the
emulator's DataSync, which serves boto3's real API).

The fake half is marked `unit` and runs in `make unit`; the real half runs in `make test`. A
fixture yields a small "world": the port, plus the test-only moves each implementation makes its
own way (create a task, let an execution end, read an object back).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import boto3
import moto.logs.models
import pytest
from moto import mock_aws

from datasync_scheduler.adapters.aws_clients import forget_clients
from datasync_scheduler.adapters.callbacks import StepFunctionsCallbacks
from datasync_scheduler.adapters.datasync import DataSync
from datasync_scheduler.adapters.event_bus import EventBridgeBus
from datasync_scheduler.adapters.execution_logs import ExecutionLogs
from datasync_scheduler.adapters.failure_report import S3FailureReport, read_failure_report
from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.adapters.notification_topic import SnsTopic
from datasync_scheduler.adapters.s3_lines import S3LineUpload, split_location
from datasync_scheduler.adapters.task_lease import DynamoDbTaskLease
from datasync_scheduler.adapters.task_reports import TaskReports
from datasync_scheduler.domain import phases
from datasync_scheduler.ports import (
    CallbackPort,
    DataSyncPort,
    EventBusPort,
    FailureSink,
    LedgerPort,
    LineUpload,
    LogSource,
    ReportSource,
    RunHistory,
    TaskLeasePort,
    TopicPort,
)
from emulator import aws_hooks
from emulator.clock import VirtualClock
from emulator.datasync import DataSyncEmulator
from emulator.datasync_script import ExecutionScript, Phase
from emulator.event_bus import PutEventsBus
from emulator.sns_rules import sns_as_documented
from emulator.template import load_template
from tests.fakes import (
    FakeBucket,
    FakeCallbacks,
    FakeDataSync,
    FakeEventBus,
    FakeLedger,
    FakeLogs,
    FakeTaskLease,
    FakeTaskReports,
    FakeTopic,
)

REGION = "us-east-1"
ACCOUNT = "123456789012"
TEMPLATE = Path(__file__).resolve().parents[2] / "template.yaml"

FAKE = pytest.param("fake", marks=pytest.mark.unit)
REAL = "real"


# -- the ledger ---------------------------------------------------------------------------------------------


class Ledger(LedgerPort, RunHistory, Protocol):
    """The ledger's two faces: what the steps write and read, and the operator's history."""


def create_ledger_table(name: str = "run-ledger") -> str:
    """The RunLedger table as template.yaml defines it: its keys and both history indexes."""
    properties = load_template(TEMPLATE)["Resources"]["RunLedger"]["Properties"]
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=properties["KeySchema"],
        AttributeDefinitions=properties["AttributeDefinitions"],
        GlobalSecondaryIndexes=properties["GlobalSecondaryIndexes"],
    )
    return name


@pytest.fixture(params=[FAKE, REAL])
def ledger(request: pytest.FixtureRequest) -> Iterator[Ledger]:
    if request.param == "fake":
        yield FakeLedger()
        return
    with mock_aws():
        yield DynamoDbLedger(create_ledger_table(), boto3.client("dynamodb", region_name=REGION))


@pytest.fixture(params=[FAKE, REAL])
def task_lease(request: pytest.FixtureRequest) -> Iterator[TaskLeasePort]:
    """The lease, in the ledger's table as the template defines it (its item beside the records)."""
    if request.param == "fake":
        yield FakeTaskLease()
        return
    with mock_aws():
        yield DynamoDbTaskLease(create_ledger_table(), boto3.client("dynamodb", region_name=REGION))


# -- DataSync ---------------------------------------------------------------------------------------------


class DataSyncWorld(Protocol):
    port: DataSyncPort

    def new_task(
        self, name: str | None = "nightly-archive", *, queueing: bool = True, includes: str | None = None
    ) -> str: ...
    def launch(self, execution_arn: str) -> None:
        """Lets the execution leave QUEUED (it starts when nothing else of its task runs)."""

    def end(self, execution_arn: str) -> None:
        """Lets the execution run to its end (SUCCESS, or ERROR after a cancel)."""

    def delete_task(self, task_arn: str) -> None:
        """Someone deletes the task (DataSync's DeleteTask), whatever its executions are doing."""

    def includes_of(self, execution_arn: str) -> str | None: ...
    def manifest_of(self, execution_arn: str) -> dict[str, Any] | None: ...


@dataclass
class FakeDataSyncWorld:
    port: FakeDataSync

    def new_task(
        self, name: str | None = "nightly-archive", *, queueing: bool = True, includes: str | None = None
    ) -> str:
        return self.port.add_task(name, queueing=queueing, includes=includes)

    def launch(self, execution_arn: str) -> None:
        self.port.advance(execution_arn, "LAUNCHING")

    def end(self, execution_arn: str) -> None:
        self.port.finish(execution_arn)

    def delete_task(self, task_arn: str) -> None:
        del self.port.tasks[task_arn]

    def includes_of(self, execution_arn: str) -> str | None:
        return self.port.executions[execution_arn].includes

    def manifest_of(self, execution_arn: str) -> dict[str, Any] | None:
        return self.port.executions[execution_arn].manifest


# Long enough phases that an execution stays where a test put it until the test moves the clock.
_SLOW = ExecutionScript(phases=(Phase("LAUNCHING", 60), Phase("PREPARING", 60), Phase("TRANSFERRING", 600)))


@dataclass
class EmulatedDataSyncWorld:
    port: DataSync
    client: Any
    clock: VirtualClock
    emulator: DataSyncEmulator

    def _location(self, bucket: str) -> str:
        return str(
            self.client.create_location_s3(
                S3BucketArn=f"arn:aws:s3:::{bucket}",
                S3Config={"BucketAccessRoleArn": f"arn:aws:iam::{ACCOUNT}:role/datasync"},
            )["LocationArn"]
        )

    def new_task(
        self, name: str | None = "nightly-archive", *, queueing: bool = True, includes: str | None = None
    ) -> str:
        params: dict[str, Any] = {
            "SourceLocationArn": self._location("source"),
            "DestinationLocationArn": self._location("destination"),
            "Options": {"TaskQueueing": "ENABLED" if queueing else "DISABLED"},
        }
        if name:
            params["Name"] = name
        if includes:
            params["Includes"] = [{"FilterType": "SIMPLE_PATTERN", "Value": includes}]
        arn = str(self.client.create_task(**params)["TaskArn"])
        self.emulator.script_task(arn, [_SLOW])
        return arn

    def _run_until(self, execution_arn: str, reached: Any) -> None:
        for _ in range(100):
            if reached(self.port.describe(execution_arn).status):
                return
            due = self.emulator.next_change_at()
            assert due is not None, f"{execution_arn} is stuck"
            self.clock.advance(max(0.0, (due - self.clock.now()).total_seconds()))
        raise AssertionError(f"{execution_arn} never got there")

    def launch(self, execution_arn: str) -> None:
        self._run_until(execution_arn, lambda status: status != "QUEUED")

    def end(self, execution_arn: str) -> None:
        self._run_until(execution_arn, phases.is_terminal)

    def delete_task(self, task_arn: str) -> None:
        self.client.delete_task(TaskArn=task_arn)

    def _start_params(self, execution_arn: str) -> Any:
        (record,) = [item for item in self.emulator.executions() if item.arn == execution_arn]
        return record.start_params

    def includes_of(self, execution_arn: str) -> str | None:
        rules = self._start_params(execution_arn).get("Includes")
        if rules is None:  # the execution runs with the task's own filter
            task = self.client.describe_task(TaskArn=execution_arn.split("/execution/")[0])
            rules = task.get("Includes")
        return str(rules[0]["Value"]) if rules else None

    def manifest_of(self, execution_arn: str) -> dict[str, Any] | None:
        config = self._start_params(execution_arn).get("ManifestConfig")
        if not config:
            return None
        source = config["Source"]["S3"]
        return {
            "bucket": source["S3BucketArn"].split(":::", 1)[1],
            "key": source["ManifestObjectPath"],
            "roleArn": source["BucketAccessRoleArn"],
        }


@pytest.fixture(params=[FAKE, REAL])
def datasync(request: pytest.FixtureRequest) -> Iterator[DataSyncWorld]:
    if request.param == "fake":
        yield FakeDataSyncWorld(FakeDataSync())
        return
    clock = VirtualClock()
    emulator = DataSyncEmulator(clock)
    clock.attach(emulator)
    aws_hooks.serve("datasync", emulator.handle)
    try:
        with mock_aws():
            client = boto3.client("datasync", region_name=REGION)
            yield EmulatedDataSyncWorld(DataSync(client), client, clock, emulator)
    finally:
        aws_hooks.stop("datasync")


# -- Step Functions callbacks -------------------------------------------------------------------------------


class CallbackWorld(Protocol):
    port: CallbackPort

    def waiting_task(self) -> str:
        """A task that waits for its token (`.waitForTaskToken`); returns the token."""

    def output_of(self, token: str) -> Any:
        """What the task waiting on `token` was completed with."""


@dataclass
class FakeCallbackWorld:
    port: FakeCallbacks
    issued: int = 0

    def waiting_task(self) -> str:
        self.issued += 1
        return self.port.issue(f"token-{self.issued}")

    def output_of(self, token: str) -> Any:
        (output,) = [output for used, output in self.port.resumed if used == token]
        return output


@dataclass
class StepFunctionsWorld:
    """A one-state machine on moto's interpreter that sends its task token to an SQS queue and waits."""

    port: StepFunctionsCallbacks
    sfn: Any
    sqs: Any
    queue_url: str
    state_machine_arn: str
    executions: dict[str, str]

    @classmethod
    def create(cls) -> StepFunctionsWorld:
        sfn, sqs = boto3.client("stepfunctions", region_name=REGION), boto3.client("sqs", region_name=REGION)
        queue_url = sqs.create_queue(QueueName="task-tokens")["QueueUrl"]
        definition = {
            "StartAt": "Await End",
            "States": {
                "Await End": {
                    "Type": "Task",
                    "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                    "Parameters": {"QueueUrl": queue_url, "MessageBody": {"token.$": "$$.Task.Token"}},
                    "End": True,
                }
            },
        }
        machine = sfn.create_state_machine(
            name="await-end", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/workflow"
        )["stateMachineArn"]
        return cls(StepFunctionsCallbacks(sfn), sfn, sqs, queue_url, machine, {})

    def waiting_task(self) -> str:
        execution = self.sfn.start_execution(
            stateMachineArn=self.state_machine_arn, name=f"run-{len(self.executions) + 1}"
        )["executionArn"]
        # Long polling: the interpreter's thread sends the token when it enters the state.
        messages = self.sqs.receive_message(QueueUrl=self.queue_url, WaitTimeSeconds=20).get("Messages", [])
        assert messages, "the waiting task never sent its token"
        self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=messages[0]["ReceiptHandle"])
        token = str(json.loads(messages[0]["Body"])["token"])
        self.executions[token] = execution
        return token

    def output_of(self, token: str) -> Any:
        execution = self.executions[token]
        deadline = datetime.now() + timedelta(seconds=20)
        while datetime.now() < deadline:
            described = self.sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                assert described["status"] == "SUCCEEDED", described
                # moto's interpreter gives a string output back bare, where Step Functions gives JSON.
                output = described["output"]
                try:
                    return json.loads(output)
                except json.JSONDecodeError:
                    return output
            time.sleep(0.01)  # the interpreter's thread finishes the execution: give it the core
        raise AssertionError(f"{execution} did not end after its task was completed")


@pytest.fixture(params=[FAKE, REAL])
def callbacks(request: pytest.FixtureRequest) -> Iterator[CallbackWorld]:
    if request.param == "fake":
        yield FakeCallbackWorld(FakeCallbacks())
        return
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        yield StepFunctionsWorld.create()


# -- S3 and CloudWatch Logs ---------------------------------------------------------------------------------


class ObjectWorld(Protocol):
    def upload(self, key: str) -> LineUpload: ...
    def failure_sink(self, key: str) -> FailureSink: ...
    def read(self, location: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def unfinished_uploads(self) -> list[str]: ...
    def read_failures(self, location: str) -> Iterator[dict[str, Any]]: ...

    @property
    def reports(self) -> ReportSource: ...
    def put_report(self, key: str, document: Any) -> None: ...


BUCKET = "failure-reports"
# The smallest part S3 accepts: an upload this large goes in parts.
PART_SIZE = 5 * 1024 * 1024


@dataclass
class FakeObjectWorld:
    bucket: FakeBucket
    task_reports: FakeTaskReports

    def upload(self, key: str) -> LineUpload:
        return self.bucket.line_upload(key)

    def failure_sink(self, key: str) -> FailureSink:
        return self.bucket.failure_sink(key)

    def read(self, location: str) -> bytes:
        return self.bucket.objects[split_location(location)[1]]

    def exists(self, key: str) -> bool:
        return key in self.bucket.objects

    def unfinished_uploads(self) -> list[str]:
        return []  # the fake keeps nothing until the whole object is written

    def read_failures(self, location: str) -> Iterator[dict[str, Any]]:
        return self.bucket.read_failures(location)

    @property
    def reports(self) -> ReportSource:
        return self.task_reports

    def put_report(self, key: str, document: Any) -> None:
        self.task_reports.put(BUCKET, key, document)


@dataclass
class S3World:
    s3: Any

    def upload(self, key: str) -> LineUpload:
        return S3LineUpload(BUCKET, key, "text/csv", self.s3, part_size=PART_SIZE)

    def failure_sink(self, key: str) -> FailureSink:
        return S3FailureReport(BUCKET, key, self.s3, part_size=PART_SIZE)

    def read(self, location: str) -> bytes:
        bucket, key = split_location(location)
        return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def exists(self, key: str) -> bool:
        return bool(self.s3.list_objects_v2(Bucket=BUCKET, Prefix=key).get("KeyCount"))

    def unfinished_uploads(self) -> list[str]:
        """Multipart uploads created and neither completed nor aborted (S3 bills their parts)."""
        return [upload["Key"] for upload in self.s3.list_multipart_uploads(Bucket=BUCKET).get("Uploads", [])]

    def read_failures(self, location: str) -> Iterator[dict[str, Any]]:
        return read_failure_report(location, self.s3)

    @property
    def reports(self) -> ReportSource:
        return TaskReports(self.s3)

    def put_report(self, key: str, document: Any) -> None:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(document).encode())


@pytest.fixture(params=[FAKE, REAL])
def objects(request: pytest.FixtureRequest) -> Iterator[ObjectWorld]:
    if request.param == "fake":
        yield FakeObjectWorld(FakeBucket(BUCKET), FakeTaskReports())
        return
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket=BUCKET)
        yield S3World(s3)


class LogWorld(Protocol):
    source: LogSource

    def put(self, group: str, stream: str, at: datetime, *messages: str) -> None: ...


@dataclass
class FakeLogWorld:
    source: FakeLogs

    def put(self, group: str, stream: str, at: datetime, *messages: str) -> None:
        self.source.put(group, stream, at, *messages)


@dataclass
class CloudWatchLogsWorld:
    source: ExecutionLogs
    logs: Any

    def put(self, group: str, stream: str, at: datetime, *messages: str) -> None:
        with suppress(self.logs.exceptions.ResourceAlreadyExistsException):
            self.logs.create_log_group(logGroupName=group)
        with suppress(self.logs.exceptions.ResourceAlreadyExistsException):
            self.logs.create_log_stream(logGroupName=group, logStreamName=stream)
        stamp = int(at.timestamp() * 1000)
        self.logs.put_log_events(
            logGroupName=group,
            logStreamName=stream,
            logEvents=[{"timestamp": stamp, "message": message} for message in messages],
        )


@pytest.fixture(params=[FAKE, REAL])
def logs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[LogWorld]:
    if request.param == "fake":
        yield FakeLogWorld(FakeLogs())
        return
    # moto keeps only events within 14 days before and 2 hours after its clock: give it the tests' day.
    monkeypatch.setattr(moto.logs.models, "utcnow", lambda: LOG_DAY.replace(tzinfo=None))
    with mock_aws():
        client = boto3.client("logs", region_name=REGION)
        yield CloudWatchLogsWorld(ExecutionLogs(client), client)


LOG_DAY = datetime.fromisoformat("2026-11-22T02:00:00+00:00")


# -- SNS --------------------------------------------------------------------------------------------------


class TopicWorld(Protocol):
    port: TopicPort

    def received(self) -> list[tuple[str, str, dict[str, str]]]:
        """What an SQS subscriber of the topic got: (subject, message, attributes as name -> value)."""


@dataclass
class FakeTopicWorld:
    port: FakeTopic

    def received(self) -> list[tuple[str, str, dict[str, str]]]:
        return [
            (
                message.subject,
                message.renderings.get("sqs", message.renderings["default"]),
                {name: value["StringValue"] for name, value in message.attributes.items()},
            )
            for message in self.port.published
        ]


@dataclass
class SnsWorld:
    """The topic on moto (with SNS's documented refusals), an SQS queue subscribed to it."""

    port: SnsTopic
    sqs: Any
    queue_url: str

    def received(self) -> list[tuple[str, str, dict[str, str]]]:
        got = []
        while messages := self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10).get("Messages"):
            for message in messages:
                envelope = json.loads(message["Body"])
                attributes = {name: value["Value"] for name, value in envelope.get("MessageAttributes", {}).items()}
                got.append((envelope.get("Subject"), envelope["Message"], attributes))
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return got


@pytest.fixture(params=[FAKE, REAL])
def topic(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[TopicWorld]:
    if request.param == "fake":
        yield FakeTopicWorld(FakeTopic())
        return
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)  # the adapter builds its client from the environment
    with mock_aws(), sns_as_documented():
        sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
        topic_arn = sns.create_topic(Name="notifications")["TopicArn"]
        queue_url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
        yield SnsWorld(SnsTopic(topic_arn), sqs, queue_url)


# -- The event bus (the scheduler's own events) ---------------------------------------------------------


class EventBusWorld(Protocol):
    port: EventBusPort

    def received(self) -> list[tuple[str, str, dict[str, Any]]]:
        """What a rule on the bus got: (source, detail type, detail)."""


@dataclass
class FakeEventBusWorld:
    port: FakeEventBus

    def received(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(event["source"], event["detail-type"], event["detail"]) for event in self.port.events]


@dataclass
class EmulatedEventBusWorld:
    """EventBridgeBus on the emulator's PutEvents (which refuses what EventBridge documents)."""

    port: EventBridgeBus
    bus: PutEventsBus

    def received(self) -> list[tuple[str, str, dict[str, Any]]]:
        return [(event["source"], event["detail-type"], event["detail"]) for event in self.bus.events]


@pytest.fixture(params=[FAKE, REAL])
def event_bus(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[EventBusWorld]:
    if request.param == "fake":
        yield FakeEventBusWorld(FakeEventBus())
        return
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)  # the adapter builds its client from the environment
    bus = PutEventsBus(VirtualClock(), account_id="123456789012", region=REGION, buses=frozenset({"default"}))
    aws_hooks.serve("eventbridge", bus.handle)
    forget_clients()
    try:
        with mock_aws():
            yield EmulatedEventBusWorld(EventBridgeBus("default"), bus)
    finally:
        aws_hooks.stop("eventbridge")
        forget_clients()
