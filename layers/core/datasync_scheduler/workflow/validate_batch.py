"""Validate Batch: the batch's input checked before anything starts, each task's run named.

What it receives and returns is `workflow/state/batch.py`.
"""

from __future__ import annotations

from datasync_scheduler.domain.batch import child_execution_name, parse_batch_request
from datasync_scheduler.domain.per_task_messages import firing_for_each_run
from datasync_scheduler.domain.sync_request import StackHome
from datasync_scheduler.workflow.state.batch import ValidateBatchInput, ValidateBatchOutput, ValidatedBatch


def validate_batch(event: ValidateBatchInput, home: StackHome) -> ValidateBatchOutput:
    """Each task's run name, in the tasks' order, and the concurrency limit.

    Raises InvalidBatchRequest (the state machine ends the batch with its message). The requests are
    not returned: the Map reads them from the batch's input, as given (already validated here, and
    validated again by the SyncWorkflow, whose input admits no other fields).
    """
    batch = parse_batch_request(event.input, home=home)
    names = [child_execution_name(event.batch_name, event.batch_execution, index) for index in range(len(batch.tasks))]
    firing = batch.firing
    run_request_fields = (
        {
            "firing": firing_for_each_run(firing, len(batch.tasks)).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
        }
        if firing is not None
        else {}
    )
    return ValidateBatchOutput(
        batch=ValidatedBatch(
            names=names,
            max_concurrency=batch.max_concurrency,
            firing=firing,
            run_request_fields=run_request_fields,
        )
    )
