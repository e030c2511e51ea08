"""Whether to run a task again after an attempt, and how much of it.

A pure function of the attempt's outcome, what the analysis found, the attempt number and the
configuration. Permanent causes (permissions, configuration, metadata DataSync cannot reproduce)
are never retried: a rerun would fail the same way and hide the real problem behind a retry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from datasync_scheduler.domain.attribution import file_list_doubt
from datasync_scheduler.domain.failures import RETRY_CLASS

Action = Literal["done", "retry_all", "retry_files", "give_up"]

# Execution-level error codes and texts whose cause a rerun does not change; sources, and the words no
# source confirms: docs/aws-facts.md#what-a-retry-can-fix
_PERMANENT_ERROR_WORDS = (
    "AccessDenied",
    "FsS3HeadBucketFailed",
    "kms:",
    "Permission denied",
    "Permissions denied",
    "x40016",
    "Kerberos",
    "SyncTaskErrorLocationNotAdded",
    "ManifestFileDoesNotExist",
    "InvalidRequest",
    "Cannot allocate memory",
    "NoMem",
)
# Execution-level causes that pass by themselves. They only name the cause of a retry that an unknown
# cause gets as well (docs/aws-facts.md#what-a-retry-can-fix).
_TRANSIENT_ERROR_WORDS = (
    "Connection reset by peer",
    "Host is down",
    "EniNotFound",
    "Throttl",
    "InternalException",
    "Timed out",
)
# Failures a targeted rerun of the same paths can fix. A file that vanished from the source cannot
# be copied again by name (DataSync rejects a manifest naming a missing file); the next full run
# settles it instead.
_FIXABLE_BY_PATH = frozenset({"checksum_mismatch", "missing_at_destination", "read_error", "transient_error"})
_SETTLED_BY_FULL_RUN = frozenset({"not_at_source", "source_vanished"})


@dataclass(frozen=True)
class RetrySettings:
    max_attempts: int = 3
    backoff_seconds: int = 900
    backoff_rate: float = 2.0
    # A source that keeps changing during the run makes content mismatches recur: retrying them is
    # only worth it when the source is expected to be quiet (e.g. outside business hours).
    source_quiet: bool = True


@dataclass(frozen=True)
class RetryDecision:
    action: Action
    reason: str
    wait_seconds: int = 0
    # Failure categories whose files the next attempt retries (for retry_files).
    categories: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "reason": self.reason,
            "waitSeconds": self.wait_seconds,
            "categories": list(self.categories),
        }


@dataclass(frozen=True)
class AttemptOutcome:
    """What one attempt ended with, as the workflow knows it."""

    status: str  # DataSync's final status (SUCCESS, ERROR) or CANCELLING when the cancel never ended
    error_code: str | None = None
    error_detail: str | None = None
    watchdog_phase: str | None = None  # the phase the watchdog cancelled, if it did
    abandoned: bool = False
    # The run stopped watching an execution still going (its looks or time ran out): it runs on.
    left_running: bool = False
    # DataSync's event said the execution ended; DescribeTaskExecution never agreed.
    unconfirmed: bool = False


def fixable_by_path(categories: Iterable[str], settings: RetrySettings) -> tuple[str, ...]:
    """The failure categories, of `categories`, whose files a rerun of exactly those paths can fix:
    the automatic retry's rule, and a retry of an earlier run's failures by hand."""
    fixable = tuple(c for c in categories if c in _FIXABLE_BY_PATH)
    if not settings.source_quiet:
        fixable = tuple(c for c in fixable if c != "checksum_mismatch")
    return fixable


def backoff(settings: RetrySettings, attempt: int) -> int:
    """Seconds to wait before attempt `attempt + 1` (attempt counts from 1)."""
    return int(settings.backoff_seconds * settings.backoff_rate ** (attempt - 1))


def _mentions(text: str, words: tuple[str, ...]) -> bool:
    return any(word.lower() in text.lower() for word in words)


def decide_retry(
    outcome: AttemptOutcome,
    failures: Mapping[str, Any] | None,
    attempt: int,
    settings: RetrySettings,
    seconds_to_deadline: float | None = None,
) -> RetryDecision:
    """What to do after attempt number `attempt` (from 1); `seconds_to_deadline` is what is left of
    the run's overall deadline, if it has one."""
    if outcome.status == "SUCCESS":
        return RetryDecision("done", "DataSync completed the execution successfully.")
    if outcome.left_running:
        return RetryDecision("give_up", "the execution was left running; a new attempt would queue behind it")
    if outcome.abandoned:
        return RetryDecision("give_up", "the cancel never completed; a new attempt would queue behind it")
    if outcome.unconfirmed:
        return RetryDecision(
            "give_up", "DataSync never confirmed the end its event announced; a new attempt would queue behind it"
        )
    error_text = " ".join(part for part in (outcome.error_code, outcome.error_detail) if part)
    if _mentions(error_text, _PERMANENT_ERROR_WORDS):
        return RetryDecision("give_up", f"a permanent cause: {error_text} (a rerun fails the same way)")

    by_category: Mapping[str, int] = (failures or {}).get("byCategory", {}) if failures else {}
    # An unattributed failure names no file, so it decides nothing here: the execution's own error
    # does (below), as when no file failed.
    permanent = sorted(
        c
        for c in by_category
        if RETRY_CLASS.get(c) == "permanent" and c != "unattributed"  # type: ignore[call-overload]
    )
    fixable = fixable_by_path(by_category, settings)
    settled = tuple(c for c in by_category if c in _SETTLED_BY_FULL_RUN)

    if attempt >= settings.max_attempts:
        return RetryDecision("give_up", f"attempt {attempt} of {settings.max_attempts}: no attempts left")
    wait = backoff(settings, attempt)
    if seconds_to_deadline is not None and seconds_to_deadline <= wait:
        return RetryDecision("give_up", "the run's deadline leaves no time for another attempt")
    if outcome.watchdog_phase:
        return RetryDecision(
            "retry_all", f"the watchdog cancelled it in {outcome.watchdog_phase}; trying again later", wait
        )
    if permanent and not fixable and not settled:
        return RetryDecision("give_up", f"only permanent failures ({', '.join(permanent)}); a rerun fails the same way")
    doubt = file_list_doubt(dict(failures)) if failures else None
    if fixable and doubt:
        # A retry by file list copies exactly the files listed: from a list that may name another
        # execution's files, or that misses some of this one's, it would copy the wrong files or leave
        # failed ones behind and report them fixed. The whole task copies whatever still differs.
        # docs/aws-facts.md#attribution-and-datasyncs-own-counters
        return RetryDecision("retry_all", f"retrying the whole task, not by file list: {doubt}", wait)
    report_error = (failures or {}).get("reportError")
    if fixable and report_error:
        # A retry by file list reads the complete list from its report, which was never written.
        said = f"{report_error.get('where')} failed with {report_error.get('error')}"
        return RetryDecision(
            "retry_all",
            f"retrying the whole task, not by file list: the list of failed files was not written ({said})",
            wait,
        )
    if fixable:
        note = f"; not retried: {', '.join(permanent)} (permanent)" if permanent else ""
        return RetryDecision("retry_files", f"retrying only the files with {', '.join(fixable)}{note}", wait, fixable)
    if settled:
        return RetryDecision(
            "retry_all", f"files changed at the source ({', '.join(settled)}); a full run settles them", wait
        )
    if by_category and not settings.source_quiet:
        return RetryDecision("give_up", "the source is not quiet: content mismatches would recur")
    if _mentions(error_text, _TRANSIENT_ERROR_WORDS):
        return RetryDecision("retry_all", f"a passing cause: {error_text}", wait)
    return RetryDecision("retry_all", f"the cause is unknown ({error_text or 'no error code'}); trying once more", wait)
