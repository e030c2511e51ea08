"""Preflight: each task a schedule resolves to, looked at through DataSync before the window, and
what will fail or make its run worse (`domain/schedule_health.py` decides).

One DescribeTask per task (the same call a run's analysis makes, so a task in another Region or
account follows the DataSync port it is given). A task DataSync cannot describe for another reason
than its absence is reported as not checked, never as healthy.
"""

from __future__ import annotations

from collections.abc import Iterable

from datasync_scheduler.domain.schedule_health import Finding, look_of, preflight_findings
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler.ports import ApiCallFailed, DataSyncPort, TaskNotFound


def preflight(task_arns: Iterable[str], datasync: DataSyncPort) -> list[Finding]:
    """Every finding of every task, task by task in the order given; empty when all are healthy."""
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
        findings.extend(preflight_findings(look_of(task_arn, facts)))
    return findings
