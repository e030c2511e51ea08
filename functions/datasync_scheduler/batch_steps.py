"""The BatchWorkflow's two steps: validate the batch before anything starts, and summarise it.

The runs themselves are started and awaited by the state machine (`states:startExecution.sync:2`),
one SyncWorkflow execution per task; these steps only decide and describe (the one AWS call, for
the names of failed tasks, comes in as a function).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from datasync_scheduler.domain.batch import (
    child_execution_arn,
    child_execution_name,
    parse_batch_request,
    rejected_batch,
    summarize_batch,
    task_outcome,
)
from datasync_scheduler.domain.message import batch_message
from datasync_scheduler.settings import NotificationSettings
from datasync_scheduler.steps import caught_error_message, publication_of


def validate_batch(raw: object, batch_execution: str, batch_name: str) -> dict[str, Any]:
    """`{"tasks": [{index, name, request}], "maxConcurrency"}`: what the Map runs, one item per task.

    Each child is started with the task's request exactly as given (already validated here, and
    validated again by the SyncWorkflow, whose input admits no other fields).
    """
    batch = parse_batch_request(raw)  # raises InvalidBatchRequest: the state machine catches it by name
    assert isinstance(raw, dict)  # parse_batch_request accepts nothing else
    return {
        "tasks": [
            {"index": index, "name": child_execution_name(batch_name, batch_execution, index), "request": item}
            for index, item in enumerate(raw["tasks"])
        ],
        "maxConcurrency": batch.max_concurrency,
    }


def summarize_batch_step(
    state: dict[str, Any],
    batch_execution: str | None,
    task_name: Callable[[str], str | None],
    notifications: NotificationSettings | None = None,
    *,
    sync_workflow: str | None = None,
    described_run: Callable[[str], Mapping[str, Any] | None] = lambda arn: None,
) -> dict[str, Any]:
    """The batch result and its one notification, whether the batch ran or was rejected.

    A failed task's item carries only its error's name (its cause is unbounded): the run's status, error
    and cause are read from Step Functions (`described_run`), by the name the batch gave the run.
    """
    if "inputError" in state:
        summary = rejected_batch(caught_error_message(state["inputError"]), batch_execution=batch_execution)
    else:
        items = [_with_description(item, sync_workflow, described_run) for item in state.get("results") or []]
        # A failed run has no output to name its task: ask DataSync (the name only decorates the message).
        unnamed = sorted({o.task_arn for o in map(task_outcome, items) if not o.task_name and o.task_arn})
        names = {arn: name for arn in unnamed if (name := task_name(arn))}
        options: dict[str, Any] = {
            "max_concurrency": state.get("maxConcurrency"),
            "batch_execution": batch_execution,
            "task_names": names,
        }
        summary = summarize_batch(items, **options)
    return {"result": summary.to_dict(), "notification": publication_of(batch_message(summary), notifications)}


def _with_description(
    item: dict[str, Any], sync_workflow: str | None, described_run: Callable[[str], Mapping[str, Any] | None]
) -> dict[str, Any]:
    if "run" in item or not sync_workflow or not isinstance(item.get("name"), str):
        return item
    described = described_run(child_execution_arn(sync_workflow, item["name"]))
    return {**item, "described": described} if described else item
