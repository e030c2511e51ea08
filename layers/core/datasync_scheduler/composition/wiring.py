"""Builds the settings and adapters once per Lambda container, on first use (not at import)."""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, TypeVar, cast

from datasync_scheduler.adapters.aws_clients import forget_clients
from datasync_scheduler.composition.settings import (
    AnalyzeRunSettings,
    EnvironmentSettings,
    EventSettings,
    HealthCheckSettings,
    LedgerSettings,
    MessageSettings,
    PlanNextAttemptSettings,
    PortsSettings,
    ReachSettings,
    RetryFailuresSettings,
    ScheduleBookSettings,
)
from datasync_scheduler.domain.where import Where

if TYPE_CHECKING:
    from datasync_scheduler.adapters.datasync import DataSync
    from datasync_scheduler.adapters.published_messages import PublishedMessages
    from datasync_scheduler.ports import (
        AnalysisPorts,
        BatchObjects,
        EventBusPort,
        FiringArrivals,
        HealthNotices,
        LogSource,
        Ports,
        RetryFailuresPorts,
        RetryPorts,
        RunHistory,
        ScheduleBook,
        ScheduleGroupPort,
        TaggedTasks,
        TopicPort,
    )

# Each builder imports its own adapters: a handler's cold start loads the adapters its step uses
# (Check Sync: no log reader, no S3 upload), not every step's.

S = TypeVar("S", bound=EnvironmentSettings)

# Each handler names the settings it builds (`settings(CheckSyncSettings)`): one class per function,
# declaring every variable that function reads (datasync_scheduler.composition.settings).
_settings: dict[type[EnvironmentSettings], EnvironmentSettings] = {}


def settings(kind: type[S]) -> S:
    """The function's settings, read from its environment once per container."""
    built = _settings.get(kind)
    if built is None:
        built = _settings[kind] = kind.from_environment()
    return cast(S, built)


# The adapters are cached on what they are built from, so a function builds each once.
def topic(settings: MessageSettings) -> TopicPort:
    return _topic(settings.topic_arn)


@cache
def _topic(topic_arn: str) -> TopicPort:
    from datasync_scheduler.adapters.notification_topic import SnsTopic

    return SnsTopic(topic_arn)


def event_bus(settings: EventSettings) -> EventBusPort:
    return _event_bus(settings.event_bus)


@cache
def _event_bus(bus_name: str) -> EventBusPort:
    from datasync_scheduler.adapters.event_bus import EventBridgeBus

    return EventBridgeBus(bus_name)


def published_messages(settings: MessageSettings) -> PublishedMessages:
    """The marks of published messages, kept in the run ledger's table."""
    return _published_messages(settings.ledger_table)


@cache
def _published_messages(ledger_table: str) -> PublishedMessages:
    from datasync_scheduler.adapters.published_messages import PublishedMessages

    return PublishedMessages(ledger_table)


def ports(settings: PortsSettings) -> Ports:
    return _ports(settings.ledger_table, settings.members, settings.member_role_name)


@cache
def _ports(ledger_table: str, members: frozenset[str], role_name: str) -> Ports:
    from datasync_scheduler.adapters.callbacks import StepFunctionsCallbacks
    from datasync_scheduler.adapters.ledger import DynamoDbLedger
    from datasync_scheduler.adapters.task_lease import DynamoDbTaskLease
    from datasync_scheduler.ports import Ports

    return Ports(
        datasync=_datasync(members, role_name),
        ledger=DynamoDbLedger(ledger_table),
        callbacks=StepFunctionsCallbacks(),
        lease=DynamoDbTaskLease(ledger_table),
    )


def datasync(settings: ReachSettings) -> DataSync:
    """DataSync where each task lives: its Region, and its account through the member role."""
    return _datasync(settings.members, settings.member_role_name)


def run_history(settings: LedgerSettings) -> RunHistory:
    """The run history Report Run reads a task's recent runs from: the run ledger's."""
    return _run_history(settings.ledger_table)


@cache
def _run_history(ledger_table: str) -> RunHistory:
    from datasync_scheduler.adapters.ledger import DynamoDbLedger

    return DynamoDbLedger(ledger_table)


@cache
def _datasync(members: frozenset[str], role_name: str) -> DataSync:
    from datasync_scheduler.adapters.aws_clients import TaskClients
    from datasync_scheduler.adapters.datasync import DataSync

    return DataSync(clients=TaskClients("datasync", members, role_name))


def analysis_ports(settings: AnalyzeRunSettings, execution_arn: str) -> AnalysisPorts:
    """The logs and task reports read in the task's Region and account; the failure report written home."""
    return _analysis_ports(
        settings.failure_report_bucket, Where.of_arn(execution_arn), settings.members, settings.member_role_name
    )


@cache
def _analysis_ports(bucket: str, where: Where, members: frozenset[str], role_name: str) -> AnalysisPorts:
    from datasync_scheduler.adapters.aws_clients import TaskClients
    from datasync_scheduler.adapters.execution_logs import ExecutionLogs
    from datasync_scheduler.adapters.failure_report import S3FailureReport
    from datasync_scheduler.adapters.task_reports import TaskReports
    from datasync_scheduler.ports import AnalysisPorts

    return AnalysisPorts(
        logs=ExecutionLogs(TaskClients("logs", members, role_name).at(where)),
        reports=TaskReports(TaskClients("s3", members, role_name).at(where)),
        sink_for=lambda key: S3FailureReport(bucket, key),
    )


def retry_ports(settings: PlanNextAttemptSettings) -> RetryPorts:
    return _retry_ports(settings.failure_report_bucket, settings.manifest_role_arn)


@cache
def _retry_ports(bucket: str, manifest_role_arn: str) -> RetryPorts:
    from datasync_scheduler.adapters.aws_clients import client
    from datasync_scheduler.adapters.failure_report import read_failure_report
    from datasync_scheduler.adapters.s3_lines import S3LineUpload
    from datasync_scheduler.ports import RetryPorts

    # The manifest's bucket is the stack's, in the function's Region; its role is in the stack's
    # account (its ARN: `arn:<partition>:iam::<account>:role/<name>`).
    _, partition, _, _, account, _ = manifest_role_arn.split(":", 5)
    home = Where(partition, str(client("s3").meta.region_name), account)

    return RetryPorts(
        failures=read_failure_report,
        manifest_upload=lambda key: S3LineUpload(bucket, key, "text/csv"),
        manifest_bucket=bucket,
        manifest_role_arn=manifest_role_arn,
        manifest_place=home,
    )


def retry_failures_ports(settings: RetryFailuresSettings) -> RetryFailuresPorts:
    return _retry_failures_ports(
        settings.ledger_table,
        settings.failure_report_bucket,
        settings.manifest_role_arn,
        settings.members,
        settings.member_role_name,
    )


@cache
def _retry_failures_ports(
    ledger_table: str, bucket: str, manifest_role_arn: str, members: frozenset[str], member_role_name: str
) -> RetryFailuresPorts:
    from datasync_scheduler.adapters.failure_report import read_failure_report_if_any
    from datasync_scheduler.adapters.ledger import DynamoDbLedger
    from datasync_scheduler.adapters.workflow_runs import WorkflowRuns
    from datasync_scheduler.ports import RetryFailuresPorts

    return RetryFailuresPorts(
        runs=DynamoDbLedger(ledger_table),
        run_input=WorkflowRuns().input_of,
        failure_report=read_failure_report_if_any,
        retry=_retry_ports(bucket, manifest_role_arn),
        datasync=_datasync(members, member_role_name),
    )


def batch_objects(bucket: str) -> BatchObjects:
    return _batch_objects(bucket)


@cache
def _batch_objects(bucket: str) -> BatchObjects:
    from datasync_scheduler.adapters.batch_objects import S3BatchObjects

    return S3BatchObjects(bucket)


def tagged_tasks(settings: ReachSettings) -> TaggedTasks:
    return _tagged_tasks(settings.members, settings.member_role_name)


def firing_arrivals(settings: LedgerSettings) -> FiringArrivals:
    """Each firing's arrival, kept in the run ledger's table."""
    return _firing_arrivals(settings.ledger_table)


@cache
def _firing_arrivals(ledger_table: str) -> FiringArrivals:
    from datasync_scheduler.adapters.firing_arrivals import DynamoDbFiringArrivals

    return DynamoDbFiringArrivals(ledger_table)


@cache
def _tagged_tasks(members: frozenset[str], role_name: str) -> TaggedTasks:
    from datasync_scheduler.adapters.aws_clients import TaskClients
    from datasync_scheduler.adapters.tagged_tasks import DataSyncTaggedTasks

    return DataSyncTaggedTasks(clients=TaskClients("datasync", members, role_name))


def schedule_book(settings: ScheduleBookSettings) -> ScheduleBook:
    return _schedule_book(settings.schedules_file)


@cache
def _schedule_book(path: str) -> ScheduleBook:
    from pathlib import Path

    from datasync_scheduler.adapters.schedule_book import FileScheduleBook

    return FileScheduleBook(Path(path))


def schedule_group(group: str) -> ScheduleGroupPort:
    from datasync_scheduler.adapters.aws_clients import client
    from datasync_scheduler.adapters.schedule_group import SchedulerGroup

    return SchedulerGroup(client("scheduler"), group)


def log_sources(settings: ReachSettings) -> Callable[[str], LogSource]:
    """The log source in the Region and account of a log group (its ARN): a task's log group is
    looked at where the task writes it."""
    return lambda log_group_arn: _log_source(Where.of_arn(log_group_arn), settings.members, settings.member_role_name)


@cache
def _log_source(where: Where, members: frozenset[str], role_name: str) -> LogSource:
    from datasync_scheduler.adapters.aws_clients import TaskClients
    from datasync_scheduler.adapters.execution_logs import ExecutionLogs

    return ExecutionLogs(TaskClients("logs", members, role_name).at(where))


def health_notices(settings: LedgerSettings) -> HealthNotices:
    return _health_notices(settings.ledger_table)


@cache
def _health_notices(ledger_table: str) -> HealthNotices:
    from datasync_scheduler.adapters.health_notices import DynamoDbHealthNotices

    return DynamoDbHealthNotices(ledger_table)


def health_topic(settings: HealthCheckSettings) -> TopicPort:
    return _topic(settings.topic_arn)


def forget_settings() -> None:
    """Forgets settings and the adapters built from them (the environment is another function's)."""
    _settings.clear()
    built_once = (_topic, _published_messages, _ports, _datasync, _analysis_ports, _retry_ports, _schedule_book)
    for built in (
        *built_once,
        _batch_objects,
        _firing_arrivals,
        _tagged_tasks,
        _event_bus,
        _run_history,
        _log_source,
        _health_notices,
    ):
        built.cache_clear()


def reset() -> None:
    """Forgets settings, adapters and clients (tests and the emulator change the environment)."""
    forget_settings()
    forget_clients()
