"""A retry of an earlier run's failed files, asked for by a person or another system.

The same rule as the automatic retry (`retry_policy.fixable_by_path`, `retry_scope`): only the files
whose category a rerun of exactly those paths can fix, named by a manifest or an Includes filter;
every other failed file is listed as not retried, with its category. Whether there is anything to
retry at all is decided here, before anything starts, from the earlier run's line of run history
and its last task execution's failure report; each refusal names the field (`retryFailuresOf`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from datasync_scheduler.domain.retry_policy import RetrySettings, fixable_by_path
from datasync_scheduler.domain.retry_scope import FailedPath, failed_paths
from datasync_scheduler.domain.run_history import RunHistoryEntry
from datasync_scheduler.domain.sync_request import InvalidSyncRequest

FIELD = "retryFailuresOf"


def failure_report_key(execution_arn: str) -> str:
    """Where Analyze Run writes a task execution's failure report, in the failure report bucket:
    `failure-reports/<task id>/<execution id>.jsonl` (an execution ARN is `<task ARN>/execution/<id>`)."""
    task_id = execution_arn.split("/")[1]
    return f"failure-reports/{task_id}/{execution_arn.rsplit('/', 1)[-1]}.jsonl"


@dataclass(frozen=True)
class FailuresToRetry:
    """What a retry of the earlier run's failures transfers, and what it leaves alone."""

    run: str  # the earlier run (its workflow execution ARN)
    execution_arn: str  # the earlier run's last task execution, whose failure report this reads
    categories: tuple[str, ...]
    failed: list[FailedPath]
    # Failed files not retried, by category: permanent ones, and files gone from the source (a
    # manifest cannot name a missing file; the next full run settles them).
    not_retried: Mapping[str, int] = field(default_factory=dict)

    @property
    def reason(self) -> str:
        retried = f"retrying only the {len(self.failed)} file(s) with {', '.join(self.categories)} of run {self.run}"
        if not self.not_retried:
            return retried
        left = ", ".join(f"{category} ({count})" for category, count in sorted(self.not_retried.items()))
        return f"{retried}; not retried: {left}"


def report_expired(entry: RunHistoryEntry, retention_days: int, now: datetime) -> bool:
    """Whether the run's failure report is past the bucket's lifecycle expiration. S3 removes an
    expired object asynchronously, so it may still be readable for a while after
    (docs/aws-facts.md#a-runs-input-and-failure-report): the age decides, so that a retry is refused the
    same way whether S3 has removed the report yet or not."""
    return now >= entry.ended_at + timedelta(days=retention_days)


def failures_to_retry(
    run: str,
    entry: RunHistoryEntry | None,
    report: Iterable[Mapping[str, Any]] | None,
    settings: RetrySettings,
    *,
    retention_days: int,
    now: datetime,
) -> FailuresToRetry:
    """The earlier run's failed files a retry transfers, or `InvalidSyncRequest` naming why not.

    `entry` is the run's line of history (None: no such run was reported); `report` the items of its
    last task execution's failure report (None: there is no such object)."""
    if entry is None:
        raise InvalidSyncRequest(f"{FIELD}: no run {run} in the run history (a run that has not ended has none)")
    if entry.execution_arn is None:
        raise InvalidSyncRequest(f"{FIELD}: run {run} started no task execution, so it has no failure report")
    if entry.status == "SUCCEEDED" and not entry.failures:
        raise InvalidSyncRequest(f"{FIELD}: run {run} succeeded with no failed file; nothing to retry")
    if report_expired(entry, retention_days, now):
        raise InvalidSyncRequest(
            f"{FIELD}: the failure report of run {run} has expired (failure reports are kept {retention_days} days)"
        )
    if report is None:
        raise InvalidSyncRequest(
            f"{FIELD}: run {run} has no failure report for its last task execution {entry.execution_arn}"
            " (no file failed in it, the report could not be written, or S3 has expired it)"
        )
    items = list(report)
    counts: dict[str, int] = {}
    for item in items:
        category = str(item.get("category", ""))
        counts[category] = counts.get(category, 0) + 1
    categories = fixable_by_path(counts, settings)
    failed = failed_paths(items, categories)
    not_retried = {category: count for category, count in counts.items() if category not in categories}
    if not failed:
        found = ", ".join(f"{category} ({count})" for category, count in sorted(counts.items())) or "none"
        raise InvalidSyncRequest(
            f"{FIELD}: run {run} had no failed file a retry can fix (failures by category: {found})"
        )
    return FailuresToRetry(run, entry.execution_arn, categories, failed, not_retried)
