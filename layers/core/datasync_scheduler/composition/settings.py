"""What each function reads from its Lambda environment: one settings class per function.

A function's settings class declares every variable the function's code reads, and nothing else:
the template sets exactly those for it (tests/template/test_function_environments.py holds both
sides to that). The template's Parameters are the one source of every default and range: here
each variable is required, and one that is missing or malformed stops the function with a
`ConfigurationError` naming it. What is checked here is the form the code needs (a whole number,
one of the values the code acts on); the ranges are CloudFormation's to enforce (MinValue,
MaxValue, AllowedPattern), and tests/template checks that both sides agree.

Only this module reads the process environment, and only the handlers choose which settings they
build (`wiring.settings(StartSyncSettings)`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, ValidationError

from datasync_scheduler.domain.retry_policy import RetrySettings
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.domain.watchdog import PhaseLimits, StallLimit


class ConfigurationError(RuntimeError):
    pass


def variable(name: str) -> Any:
    """A field read from the environment variable `name` (required: the template holds the default)."""
    return Field(alias=name)


# A name or ARN the template fills in: present and not empty.
Named = Annotated[str, StringConstraints(min_length=1, strip_whitespace=True)]


def _digits(text: object) -> object:
    if isinstance(text, str) and not text.isdigit():
        raise ValueError("expected a whole number")
    return text


# A count of seconds, minutes or attempts, written as CloudFormation writes a Number: digits.
WholeNumber = Annotated[int, BeforeValidator(_digits)]


def _phase_limits(text: object) -> object:
    return PhaseLimits.parse(text) if isinstance(text, str) else text


class EnvironmentSettings(BaseModel):
    """Settings read from the environment: each field names its variable (`variable(...)`)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, arbitrary_types_allowed=True, extra="forbid")

    @classmethod
    def variables(cls) -> frozenset[str]:
        """Every environment variable a function building these settings reads."""
        return frozenset(str(field.alias) for field in cls.model_fields.values())

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Self:
        env = os.environ if environ is None else environ
        missing = sorted(name for name in cls.variables() if name not in env)
        if missing:
            raise ConfigurationError(
                f"{', '.join(missing)} not set: the template sets every variable of {cls.__name__} for its function"
            )
        values = {name: env[name] for name in cls.variables()}
        try:
            return cls.model_validate(values)
        except ValidationError as error:
            first = error.errors()[0]
            name = str(first["loc"][0])
            raise ConfigurationError(f"{name}={values.get(name)!r}: {first['msg']}") from None


# --- What several functions share ------------------------------------------------------------


class LedgerSettings(EnvironmentSettings):
    # The run ledger: executions' phases, task tokens, task leases, message marks, run history.
    ledger_table: Named = variable("RUN_LEDGER_TABLE")


class ReachSettings(EnvironmentSettings):
    """The Regions and accounts the stack calls DataSync in besides its own (docs/regions.md): its
    TaskRegions and MemberAccounts parameters, comma-separated (empty: home only), and the role
    each member stack creates."""

    task_regions: str = variable("TASK_REGIONS")
    member_accounts: str = variable("MEMBER_ACCOUNTS")
    member_role_name: str = variable("MEMBER_ROLE_NAME")

    def home(self, function_arn: str) -> StackHome:
        """Where the stack runs (the function's own ARN) and what else it reaches; a malformed
        parameter raises ConfigurationError naming it."""
        try:
            return StackHome.of_function(
                function_arn,
                regions=self.task_regions,
                accounts=self.member_accounts,
                member_role_name=self.member_role_name,
            )
        except ValueError as error:
            raise ConfigurationError(str(error)) from None

    @property
    def members(self) -> frozenset[str]:
        return frozenset(item.strip() for item in self.member_accounts.split(",") if item.strip())


class PortsSettings(LedgerSettings, ReachSettings):
    """The functions that build the workflow's ports: the run ledger, and DataSync where each task lives."""


class WaitSettings(EnvironmentSettings):
    # How long the workflow waits for DataSync's end event before it looks itself.
    fallback_seconds: WholeNumber = variable("FALLBACK_INTERVAL_SECONDS")
    phase_limits: Annotated[PhaseLimits, BeforeValidator(_phase_limits)] = variable("PHASE_TIME_LIMITS")


class RunDeadlineSettings(EnvironmentSettings):
    # The longest a whole run (every attempt) may take; 0 = no deadline.
    run_deadline_seconds: WholeNumber = variable("RUN_DEADLINE_SECONDS")


class AttemptsSettings(EnvironmentSettings):
    max_attempts: WholeNumber = variable("MAX_ATTEMPTS")


class IdempotencySettings(EnvironmentSettings):
    # Powertools Idempotency's records (a start per attempt, a Slack post per message).
    idempotency_table: Named = variable("IDEMPOTENCY_TABLE")


class MessageSettings(LedgerSettings):
    """The functions that publish a run's or batch's one message (its mark goes in the ledger)."""

    # A run that simply succeeded: "note" sends a short message, "silent" sends none.
    on_success: Literal["note", "silent"] = variable("SUCCESS_NOTIFICATION")
    # Also publish an AWS Chatbot custom notification (to HTTPS subscribers, which Chatbot is).
    chatbot_notifications: Literal["enabled", "disabled"] = variable("CHATBOT_NOTIFICATIONS")
    topic_arn: Named = variable("NOTIFICATION_TOPIC_ARN")

    @property
    def chatbot(self) -> bool:
        return self.chatbot_notifications == "enabled"


class EventSettings(EnvironmentSettings):
    # The bus the run's and batch's events go to: its name or ARN ("default": the account's own).
    event_bus: Named = variable("EVENT_BUS_NAME")


# --- One class per function --------------------------------------------------------------------


class StartSyncSettings(PortsSettings, WaitSettings, IdempotencySettings):
    # What a start does when another execution holds the task: queue (DataSync's FIFO), wait, fail.
    when_task_busy: Literal["queue", "wait", "fail"] = variable("WHEN_TASK_BUSY")


class AwaitSyncEndSettings(PortsSettings):
    pass


class ExecutionEventsSettings(PortsSettings):
    pass


class CheckSyncSettings(PortsSettings, WaitSettings, RunDeadlineSettings, AttemptsSettings):
    # The stall watchdog, always on: minutes the counters may stand still, and what it does then.
    stall_minutes: WholeNumber = variable("STALL_MINUTES")
    stall_action: Literal["cancel", "report"] = variable("STALL_ACTION")

    @property
    def stall(self) -> StallLimit:
        return StallLimit(seconds=self.stall_minutes * 60, action=self.stall_action)


class AnalyzeRunSettings(ReachSettings):
    failure_report_bucket: Named = variable("FAILURE_REPORT_BUCKET")


class PlanNextAttemptSettings(PortsSettings, RunDeadlineSettings, AttemptsSettings):
    # Failure reports are read from, and retry manifests written to, this bucket.
    failure_report_bucket: Named = variable("FAILURE_REPORT_BUCKET")
    # The role DataSync assumes to read a retry manifest.
    manifest_role_arn: Named = variable("MANIFEST_ACCESS_ROLE_ARN")
    backoff_seconds: WholeNumber = variable("RETRY_BACKOFF_SECONDS")
    source_is_quiet: Literal["true", "false"] = variable("SOURCE_IS_QUIET")

    @property
    def retry(self) -> RetrySettings:
        return RetrySettings(
            max_attempts=self.max_attempts,
            backoff_seconds=self.backoff_seconds,
            source_quiet=self.source_is_quiet == "true",
        )


class ValidateSyncRequestSettings(EventSettings, ReachSettings):
    pass


class RetryFailuresSettings(LedgerSettings, ReachSettings):
    """What Validate Sync Request reads only for a run that retries an earlier run's failures
    (`retryFailuresOf`): the run history, the failure reports and how long they are kept, the
    manifest's role, and the retry policy's own rule on content changes."""

    failure_report_bucket: Named = variable("FAILURE_REPORT_BUCKET")
    failure_report_retention_days: WholeNumber = variable("FAILURE_REPORT_RETENTION_DAYS")
    manifest_role_arn: Named = variable("MANIFEST_ACCESS_ROLE_ARN")
    source_is_quiet: Literal["true", "false"] = variable("SOURCE_IS_QUIET")

    @property
    def retry(self) -> RetrySettings:
        return RetrySettings(source_quiet=self.source_is_quiet == "true")


class ReportRunSettings(MessageSettings, EventSettings, PortsSettings):
    # A run more than this many times slower than its task's usual speed in a phase is warned about.
    slow_run_factor: float = variable("SLOW_RUN_FACTOR")


class SummarizeBatchSettings(MessageSettings, EventSettings):
    # The Map run's results are read from this bucket (its ResultWriter writes them there), and a
    # named schedule's firing writes every task's line here (`digests/`), for its digest to link.
    failure_report_bucket: Named = variable("FAILURE_REPORT_BUCKET")


class ScheduleBookSettings(EnvironmentSettings):
    # Where the schedules file shipped with the stack is: in the schedules layer, under /opt.
    schedules_file: Named = variable("SCHEDULES_FILE")


class NotifySlackSettings(IdempotencySettings, ScheduleBookSettings):
    # The Secrets Manager secret holding the incoming webhook's URL (read at run time, never logged);
    # a named schedule's own (`messages.slackWebhookSecretArn`, in the schedules file) replaces it
    # for that schedule's messages.
    webhook_secret_arn: Named = variable("SLACK_WEBHOOK_SECRET_ARN")


class ApplySchedulesSettings(ScheduleBookSettings):
    pass


class ValidateBatchSettings(ScheduleBookSettings, EventSettings, LedgerSettings, ReachSettings):
    # Each firing's arrival is recorded in the run ledger (for the health check's missed firings).
    # The Map's items are written under `batches/` of this bucket (a lifecycle rule expires them).
    failure_report_bucket: Named = variable("FAILURE_REPORT_BUCKET")


class HealthCheckSettings(LedgerSettings, ScheduleBookSettings, ReachSettings):
    # Tasks are described, and tagged ones found, where each lives (the stack's reach).
    # The notification topic the preflight and missed-firing messages go to (a notice's mark is in
    # the ledger), with a Chatbot rendering when the stack's others have one.
    chatbot_notifications: Literal["enabled", "disabled"] = variable("CHATBOT_NOTIFICATIONS")
    topic_arn: Named = variable("NOTIFICATION_TOPIC_ARN")

    @property
    def chatbot(self) -> bool:
        return self.chatbot_notifications == "enabled"
