"""Sync workflow step inputs as the state machine builds them (datasync_scheduler.workflow.state.sync)."""

from typing import Any

WORKFLOW = "arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-local-SyncWorkflow:manual-1"


def attempt(number: int) -> dict[str, Any]:
    """`$.attempts` for the attempt about to start."""
    return {"attempt": number, "scope": {"kind": "all"}, "done": [], "retry": number > 1, "waitSeconds": 0}


def start_sync(request: dict[str, Any], number: int = 1) -> dict[str, Any]:
    return {"request": request, "attempts": attempt(number), "workflowExecution": WORKFLOW}


def report_rejected_input(raw: Any, cause: str) -> dict[str, Any]:
    """Report Run's input after Validate Sync Request refused `raw`."""
    return {
        "request": None,
        "startedAt": None,
        "attempts": None,
        "taskExecution": None,
        "analysis": None,
        "analysisError": None,
        "failure": {
            "step": "Validate Sync Request",
            "error": {"Error": "InvalidSyncRequest", "Cause": cause},
            "rejectedInput": raw,
        },
        "workflowExecution": WORKFLOW,
    }
