"""Builds the settings and adapters once per Lambda container, on first use (not at import)."""

from __future__ import annotations

from functools import cache

from datasync_scheduler.adapters.aws_clients import forget_clients
from datasync_scheduler.adapters.callbacks import StepFunctionsCallbacks
from datasync_scheduler.adapters.datasync import DataSync
from datasync_scheduler.adapters.execution_logs import ExecutionLogs
from datasync_scheduler.adapters.failure_report import S3FailureReport, read_failure_report
from datasync_scheduler.adapters.ledger import DynamoDbLedger
from datasync_scheduler.adapters.notification_topic import SnsTopic
from datasync_scheduler.adapters.published_messages import PublishedMessages
from datasync_scheduler.adapters.s3_lines import S3LineUpload
from datasync_scheduler.adapters.task_lease import DynamoDbTaskLease
from datasync_scheduler.adapters.task_reports import TaskReports
from datasync_scheduler.composition.settings import ConfigurationError, NotificationSettings, Settings
from datasync_scheduler.ports import AnalysisPorts, Ports, RetryPorts, TopicPort


@cache
def settings() -> Settings:
    return Settings.from_environment()


@cache
def notification_settings() -> NotificationSettings:
    return NotificationSettings.from_environment()


@cache
def topic() -> TopicPort:
    topic_arn = notification_settings().topic_arn
    if not topic_arn:
        raise ConfigurationError("NOTIFICATION_TOPIC_ARN is not set: the message has nowhere to go")
    return SnsTopic(topic_arn)


@cache
def published_messages() -> PublishedMessages:
    """The marks of published messages, kept in the run ledger's table."""
    return PublishedMessages(settings().ledger_table)


@cache
def ports() -> Ports:
    return Ports(
        datasync=DataSync(),
        ledger=DynamoDbLedger(settings().ledger_table),
        callbacks=StepFunctionsCallbacks(),
        lease=DynamoDbTaskLease(settings().ledger_table),
    )


@cache
def analysis_ports() -> AnalysisPorts:
    bucket = settings().failure_report_bucket
    if not bucket:
        raise ConfigurationError("FAILURE_REPORT_BUCKET is not set: the analysis has nowhere to write its report")
    return AnalysisPorts(
        logs=ExecutionLogs(),
        reports=TaskReports(),
        sink_for=lambda key: S3FailureReport(bucket, key),
    )


@cache
def retry_ports() -> RetryPorts:
    bucket = settings().failure_report_bucket
    if not bucket:
        raise ConfigurationError("FAILURE_REPORT_BUCKET is not set: retries have nowhere to write manifests")
    return RetryPorts(
        failures=read_failure_report,
        manifest_upload=lambda key: S3LineUpload(bucket, key, "text/csv"),
        manifest_bucket=bucket,
        manifest_role_arn=settings().manifest_role_arn,
    )


def forget_settings() -> None:
    """Forgets settings and the adapters built from them (the environment is another function's)."""
    settings.cache_clear()
    notification_settings.cache_clear()
    topic.cache_clear()
    published_messages.cache_clear()
    ports.cache_clear()
    analysis_ports.cache_clear()
    retry_ports.cache_clear()


def reset() -> None:
    """Forgets settings, adapters and clients (tests and the emulator change the environment)."""
    forget_settings()
    forget_clients()
