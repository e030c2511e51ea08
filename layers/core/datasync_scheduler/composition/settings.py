"""Configuration from the Lambda environment (the template is its single source)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from datasync_scheduler.domain.retry_policy import RetrySettings
from datasync_scheduler.domain.watchdog import DEFAULT_LIMITS, DEFAULT_STALL_MINUTES, PhaseLimits, StallLimit


class ConfigurationError(RuntimeError):
    pass


@dataclass(frozen=True)
class Settings:
    ledger_table: str
    fallback_seconds: int
    phase_limits: PhaseLimits
    failure_report_bucket: str = ""
    retry: RetrySettings = field(default_factory=RetrySettings)
    manifest_role_arn: str = ""
    # The longest a whole run (every attempt) may take; 0 = no deadline.
    run_deadline_seconds: int = 0
    # What a start does when another execution holds the task: queue (DataSync's FIFO), wait, fail.
    when_task_busy: str = "queue"
    # The stall watchdog: always on (no configuration leaves an execution unwatched forever).
    stall: StallLimit = field(default_factory=StallLimit)

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if environ is None else environ
        table = env.get("RUN_LEDGER_TABLE", "")
        if not table:
            raise ConfigurationError("RUN_LEDGER_TABLE is not set: the function cannot find the run ledger")
        fallback_text = env.get("FALLBACK_INTERVAL_SECONDS", "900")
        if not fallback_text.isdigit() or not 60 <= int(fallback_text) <= 86_400:
            raise ConfigurationError(f"FALLBACK_INTERVAL_SECONDS={fallback_text!r}: expected 60 to 86400 seconds")
        try:
            limits = PhaseLimits.parse(env.get("PHASE_TIME_LIMITS", DEFAULT_LIMITS))
        except ValueError as error:
            raise ConfigurationError(f"PHASE_TIME_LIMITS: {error}") from None
        return cls(
            ledger_table=table,
            fallback_seconds=int(fallback_text),
            phase_limits=limits,
            failure_report_bucket=env.get("FAILURE_REPORT_BUCKET", ""),
            retry=_retry_settings(env),
            manifest_role_arn=env.get("MANIFEST_ACCESS_ROLE_ARN", ""),
            run_deadline_seconds=_whole_seconds(env, "RUN_DEADLINE_SECONDS", "0"),
            when_task_busy=_one_of(env, "WHEN_TASK_BUSY", "queue", ("queue", "wait", "fail")),
            stall=_stall_limit(env),
        )


@dataclass(frozen=True)
class NotificationSettings:
    # A run that simply succeeded: "note" sends a short message, "silent" sends none.
    on_success: str = "note"
    # Also publish an AWS Chatbot custom notification (to HTTPS subscribers, which Chatbot is).
    chatbot: bool = False
    # Where the functions that publish a message themselves publish it.
    topic_arn: str = ""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> NotificationSettings:
        env = os.environ if environ is None else environ
        return cls(
            on_success=_one_of(env, "SUCCESS_NOTIFICATION", "note", ("note", "silent")),
            chatbot=_one_of(env, "CHATBOT_NOTIFICATIONS", "disabled", ("enabled", "disabled")) == "enabled",
            topic_arn=env.get("NOTIFICATION_TOPIC_ARN", ""),
        )


def _one_of(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = env.get(name, default)
    if value not in allowed:
        raise ConfigurationError(f"{name}={value!r}: expected one of {', '.join(allowed)}")
    return value


def _whole_seconds(env: Mapping[str, str], name: str, default: str) -> int:
    text = env.get(name, default)
    if not text.isdigit():
        raise ConfigurationError(f"{name}={text!r}: expected a whole number of seconds")
    return int(text)


# The template's StallMinutes bounds (MinValue/MaxValue): at least 10 minutes, at most a week.
STALL_MINUTES_RANGE = (10, 10_080)


def _stall_limit(env: Mapping[str, str]) -> StallLimit:
    text = env.get("STALL_MINUTES", str(DEFAULT_STALL_MINUTES))
    low, high = STALL_MINUTES_RANGE
    if not text.isdigit() or not low <= int(text) <= high:
        raise ConfigurationError(f"STALL_MINUTES={text!r}: expected {low} to {high} minutes")
    action = _one_of(env, "STALL_ACTION", "cancel", ("cancel", "report"))
    return StallLimit(seconds=int(text) * 60, action="cancel" if action == "cancel" else "report")


def _retry_settings(env: Mapping[str, str]) -> RetrySettings:
    attempts, backoff = env.get("MAX_ATTEMPTS", "3"), env.get("RETRY_BACKOFF_SECONDS", "900")
    if not attempts.isdigit() or not 1 <= int(attempts) <= 10:
        raise ConfigurationError(f"MAX_ATTEMPTS={attempts!r}: expected 1 to 10")
    if not backoff.isdigit():
        raise ConfigurationError(f"RETRY_BACKOFF_SECONDS={backoff!r}: expected a whole number of seconds")
    quiet = env.get("SOURCE_IS_QUIET", "true").lower()
    if quiet not in ("true", "false"):
        raise ConfigurationError(f"SOURCE_IS_QUIET={quiet!r}: expected true or false")
    return RetrySettings(max_attempts=int(attempts), backoff_seconds=int(backoff), source_quiet=quiet == "true")
