"""One attempt as the run result lists it, why its failed files are unknown when they are, and the
scope a retry of failed files runs with."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from datasync_scheduler.domain.causes import Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.retry_policy import RetryDecision
from datasync_scheduler.domain.retry_scope import FailedPath, RetryScope, manifest_lines
from datasync_scheduler.ports import RetryPorts
from datasync_scheduler.workflow.state.sync import (
    CaughtError,
)


def analysis_of(analysis: dict[str, Any] | None, execution_arn: str) -> dict[str, Any] | None:
    """The analysis in the state, if it is this execution's (a failed analysis leaves an older one)."""
    if isinstance(analysis, dict) and analysis.get("executionArn", execution_arn) == execution_arn:
        return analysis
    return None


def analysis_step_cause(caught: CaughtError) -> Cause:
    """Analyze Run's own failure, by the Lambda's error type when it reports one, else Step Functions' name."""
    lambda_error = caught.lambda_error()
    name = lambda_error.errorType if lambda_error is not None and lambda_error.errorType else caught.Error
    return Cause.of("Analyze Run", name, caught.message())


def unknown_because(failures: dict[str, Any] | None, analysis_error: CaughtError | None) -> Cause | None:
    """Why this attempt's failed files are unknown, when a step or an AWS call is the reason."""
    if failures is None:
        return analysis_step_cause(analysis_error) if analysis_error is not None else None
    return Cause.from_dict(failures.get("cause"))


def scope_state(chosen: RetryScope, failed: Sequence[FailedPath], retry_ports: RetryPorts, key: str) -> dict[str, Any]:
    """`$.attempts.scope` for an attempt of only the `failed` paths: an Includes filter, or a
    manifest written to `key` in the failure report bucket, or the whole task."""
    scope: dict[str, Any] = {"kind": chosen.kind, "paths": chosen.paths, "reason": chosen.reason}
    if chosen.kind == "includes":
        scope["includes"] = chosen.includes
        if chosen.excludes:
            scope["excludes"] = chosen.excludes
    elif chosen.kind == "manifest":
        lines = manifest_lines(item.path for item in failed)
        retry_ports.manifest_upload(key).write(line.encode() for line in lines)
        scope["manifest"] = {
            "bucket": retry_ports.manifest_bucket,
            "key": key,
            "roleArn": retry_ports.manifest_role_arn,
        }
    return scope


_FILTER_KEYS = frozenset({"includes", "excludes"})  # up to 100 KiB each: the state carries them, summaries not


def attempt_summary(
    attempt: int,
    scope: dict[str, Any] | None,
    snapshot: ExecutionSnapshot,
    failures: dict[str, Any] | None,
    decision: RetryDecision | None,
    unknown_because: Cause | None = None,
) -> dict[str, Any]:
    """One attempt as the run result lists it (bounded: counts, not paths, and a bounded cause)."""
    summary = {
        "attempt": attempt,
        "executionArn": snapshot.execution_arn,
        "status": snapshot.status,
        # What this attempt copied (a retry copies only what the one before missed): the run's
        # history adds them up without asking DataSync again.
        "bytesTransferred": snapshot.bytes_transferred,
        "filesTransferred": snapshot.files_transferred,
        "scope": {key: value for key, value in (scope or {"kind": "all"}).items() if key not in _FILTER_KEYS},
        "failures": (failures or {}).get("byCategory", {}),
        "decision": decision.to_dict() if decision else None,
    }
    if unknown_because is not None:  # which step or AWS call kept this attempt's failed files unknown
        summary["unknownBecause"] = unknown_because.to_dict()
    return summary
