"""Preflight: each task a schedule resolves to, looked at through DataSync before the window, and
what will fail or make its run worse (`domain/schedule_health.py` decides).

One DescribeTask per task (the same call a run's analysis makes, so a task in another Region or
account follows the DataSync port it is given). A task DataSync cannot describe for another reason
than its absence is reported as not checked, never as healthy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta

from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.domain.analysis import log_group_name
from datasync_scheduler.domain.schedule_health import Finding, look_of, preflight_findings
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.ports import ApiCallFailed, DataSyncPort, LogGroupMissing, LogSource, TaskNotFound


def preflight(
    task_arns: Iterable[str],
    datasync: DataSyncPort,
    logs: LogSource | None = None,
    *,
    now: datetime | None = None,
    logs_for: Callable[[str], LogSource] | None = None,
) -> list[Finding]:
    """Every finding of every task, task by task in the order given; empty when all are healthy.
    With `logs`, each task's log group is looked up too (one FilterLogEvents over the last second);
    with `logs_for`, in the log source of the group's own Region and account (its ARN), so that a
    task elsewhere is not said to log to a group that is gone."""
    findings: list[Finding] = []
    for task_arn in task_arns:
        try:
            facts = datasync.task(task_arn)
        except TaskNotFound:
            findings.extend(preflight_findings(look_of(task_arn, None)))
            continue
        except ApiCallFailed as error:
            findings.append(
                Finding(
                    task_arn,
                    "not-checked",
                    False,
                    f"task {one_line(task_arn)} could not be checked: {error.cause.describe()}",
                    "check it by hand before the window",
                )
            )
            continue
        look = look_of(task_arn, facts)
        source = logs_for(facts.log_group_arn) if logs_for and facts.log_group_arn else logs
        if source is not None and facts.log_group_arn:
            look = replace(look, log_group_exists=_log_group_exists(source, facts.log_group_arn, now or utc_now()))
        findings.extend(preflight_findings(look))
    return findings


def _log_group_exists(logs: LogSource, log_group_arn: str, now: datetime) -> bool | None:
    """Whether the task's log group is there: the log port answers LogGroupMissing for a group that
    is not (docs/aws-facts.md#cloudwatch-logs-api). None when it cannot be read: not known, not gone."""
    try:
        next(iter(logs.events(log_group_name(log_group_arn), now - timedelta(seconds=1), now)), None)
    except LogGroupMissing:
        return False
    except ApiCallFailed:
        return None
    return True
