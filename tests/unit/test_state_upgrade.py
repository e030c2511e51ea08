"""A run in flight while the stack is updated keeps going.

Step Functions runs an execution to its end on the definition it started with, while the functions
are replaced at once (docs/aws-facts.md#updating-a-running-workflow): a run started before the update
sends the new steps its state under the names it had, `$.run` for the current task execution and
`$.next` for the attempts (whose list of ended attempts was `attempts`). The steps still read them.
"""

from typing import Any

import pytest
from pydantic import ValidationError

from datasync_scheduler.workflow.state.sync import (
    AnalyzeRunInput,
    CheckSyncInput,
    PlanNextAttemptInput,
    ReportRunInput,
    StartSyncInput,
    SyncState,
)

WORKFLOW = "arn:aws:states:us-east-1:123456789012:execution:datasync-scheduler-SyncWorkflow:nightly-1"
TASK = "arn:aws:datasync:us-east-1:123456789012:task/task-0123456789abcdef0"
EXECUTION = f"{TASK}/execution/exec-0123456789abcdef0"
REQUEST = {"taskArn": TASK}
# `$.run` and `$.next` as the previous definition carried them, after one attempt that failed.
OLD_RUN = {"executionArn": EXECUTION, "status": "ERROR", "timeoutSeconds": 900, "finished": True}
ENDED = {"attempt": 1, "executionArn": EXECUTION, "status": "ERROR", "scope": {"kind": "all"}}
OLD_NEXT = {"attempt": 2, "scope": {"kind": "all"}, "attempts": [ENDED], "retry": True, "waitSeconds": 60}


def step(**fields: Any) -> dict[str, Any]:
    return {"workflowExecution": WORKFLOW, **fields}


def test_a_retried_start_of_a_run_begun_before_the_update_reads_its_attempts() -> None:
    started = StartSyncInput.model_validate(step(request=REQUEST, next=OLD_NEXT))
    assert (started.attempts.attempt, started.attempts.done) == (2, [ENDED])


def test_the_check_and_the_analysis_read_the_task_execution_under_its_old_name() -> None:
    checked = CheckSyncInput.model_validate(step(run=OLD_RUN, startedAt=None))
    analysed = AnalyzeRunInput.model_validate(step(run=OLD_RUN))
    assert checked.task_execution.execution_arn == analysed.task_execution.execution_arn == EXECUTION


def test_the_plan_and_the_report_read_both_old_names() -> None:
    planned = PlanNextAttemptInput.model_validate(
        step(request=REQUEST, startedAt=None, run=OLD_RUN, next=OLD_NEXT, analysis=None)
    )
    reported = ReportRunInput.model_validate(
        step(request=REQUEST, startedAt=None, run=OLD_RUN, next=OLD_NEXT)
        | {"analysis": None, "analysisError": None, "failure": None}
    )
    for given in (planned, reported):
        assert given.task_execution is not None and given.task_execution.status == "ERROR"
        assert given.attempts is not None and given.attempts.done == [ENDED]


def test_what_the_steps_return_uses_the_new_names_only() -> None:
    state = SyncState.model_validate({"request": REQUEST, "startedAt": None, "next": OLD_NEXT, "run": OLD_RUN})
    written = state.to_state()
    assert "run" not in written and "next" not in written
    assert written["taskExecution"]["executionArn"] == EXECUTION
    assert written["attempts"]["done"] == [ENDED]


def test_a_state_naming_a_field_twice_is_refused() -> None:
    """Both names at once is no state any definition writes: it is refused, not silently merged."""
    with pytest.raises(ValidationError):
        CheckSyncInput.model_validate(step(run=OLD_RUN, taskExecution=OLD_RUN, startedAt=None))
