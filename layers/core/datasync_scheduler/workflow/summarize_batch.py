"""Summarize Batch: the batch's one summary and message, from its runs' results.

The runs themselves are started and awaited by the state machine (`states:startExecution.sync:2`),
one SyncWorkflow execution per task; this step only describes and publishes the batch's one
message. What it receives and returns is `workflow/state/batch.py`; the AWS calls come in as
functions and ports.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from pydantic import TypeAdapter

from datasync_scheduler.adapters.notification_topic import NotPublished
from datasync_scheduler.composition.settings import MessageSettings
from datasync_scheduler.domain.batch import (
    BatchSummary,
    TaskOutcome,
    child_execution_arn,
    child_execution_name,
    failed_outcome,
    map_run_failed,
    rejected_batch,
    skipped_batch,
    summarize_batch,
    unvalidated_batch,
)
from datasync_scheduler.domain.per_task_messages import IN_THE_TASKS_OWN_MESSAGE, digest_needed
from datasync_scheduler.domain.schedules import Firing
from datasync_scheduler.messages.digest import digest_message, full_list_key, full_list_lines
from datasync_scheduler.messages.message import batch_message
from datasync_scheduler.ports import ApiCallFailed, BatchObjects, LineUpload, TopicPort
from datasync_scheduler.workflow.publish import publication_of
from datasync_scheduler.workflow.state.batch import (
    BatchResult,
    MapRunResults,
    SummarizeBatchInput,
    SummarizeBatchOutput,
    TaskItem,
    TaskRunNotSucceeded,
    TaskRunResult,
    TaskRunSucceeded,
)
from datasync_scheduler.workflow.state.sync import CaughtError

_logger = logging.getLogger(__name__)
# How much of SNS's refusal the result keeps: enough to name it, bounded like the rest of the state.
NOTIFICATION_ERROR_LIMIT = 1000


def summarize_batch_step(
    event: SummarizeBatchInput,
    task_name: Callable[[str], str | None],
    topic: TopicPort,
    notifications: MessageSettings,
    *,
    described_run: Callable[[str], Mapping[str, Any] | None] = lambda arn: None,
    objects: BatchObjects | None = None,
    full_list: Callable[[str], LineUpload] | None = None,
) -> SummarizeBatchOutput:
    """The batch's result, with its one message published, whether the batch ran or was not started.

    A failed task's result carries only its error's name (its cause is unbounded): the run's status,
    error and cause are read from Step Functions (`described_run`), by the name the batch gave the run.
    A message SNS does not take is kept as `notificationError`: the verdict never depends on it.

    A batch of a named schedule's firing (`batch.firing`) publishes the firing's digest instead, with
    the schedule's `route` attribute; a firing of one task publishes nothing here, as its run sent the
    firing's one message (domain/per_task_messages.py).
    """
    summary = _summary(event, task_name, described_run, objects)
    firing = event.batch.firing
    withheld: str | None = None
    publication: dict[str, Any] = {"publish": False}
    if firing is not None and summary.outcomes and not digest_needed(summary):
        withheld = IN_THE_TASKS_OWN_MESSAGE
    elif firing is not None and summary.outcomes:
        location, unwritten = _write_full_list(summary, firing, event.batch_execution, full_list)
        digest = digest_message(summary, firing, full_list=location, full_list_error=unwritten)
        publication = publication_of(digest, notifications, workflow_execution=event.batch_execution, firing=firing)
    else:
        publication = publication_of(
            batch_message(summary), notifications, workflow_execution=event.batch_execution, firing=firing
        )
    message_id: str | None = None
    notification_error: CaughtError | None = None
    if publication["publish"]:
        try:
            message_id = topic.publish(
                subject=publication["subject"],
                structured=publication["structured"],
                attributes=publication["attributes"],
            )
        except NotPublished as error:
            _logger.warning("The batch's message was not published; the verdict stands", exc_info=True)
            notification_error = CaughtError(Error=f"SNS.{error.code}", Cause=str(error)[:NOTIFICATION_ERROR_LIMIT])
    result = _result(summary, message_id, notification_error)
    result.message = withheld
    return SummarizeBatchOutput(result=result)


def _write_full_list(
    summary: BatchSummary, firing: Firing, batch_execution: str, full_list: Callable[[str], LineUpload] | None
) -> tuple[str | None, str | None]:
    """Every task's line of the firing to S3, for the digest to link: its location, or why it is not
    there. Best effort: the digest goes out either way, and says so."""
    if full_list is None:
        return None, None
    try:
        return full_list(full_list_key(firing, batch_execution)).write(full_list_lines(summary)), None
    except ApiCallFailed as failed:
        _logger.warning("The firing's full list was not written; the digest says so", exc_info=True)
        return None, failed.cause.describe()


def _summary(
    event: SummarizeBatchInput,
    task_name: Callable[[str], str | None],
    described_run: Callable[[str], Mapping[str, Any] | None],
    objects: BatchObjects | None,
) -> BatchSummary:
    batch = event.batch
    if batch.skipped is not None:
        return skipped_batch(batch.skipped, batch_execution=event.batch_execution)
    if batch.run_error is not None:
        caught = batch.run_error
        return map_run_failed(caught.Error, caught.message(), tasks=batch.tasks, batch_execution=event.batch_execution)
    if batch.not_started is not None:
        caught = batch.not_started
        if caught.Error == "InvalidBatchRequest":
            return rejected_batch(caught.message(), batch_execution=event.batch_execution)
        lambda_error = caught.lambda_error()
        request = f" (request {lambda_error.requestId})" if lambda_error and lambda_error.requestId else ""
        return unvalidated_batch(caught.Error, caught.message() + request, batch_execution=event.batch_execution)
    outcomes = _outcomes(event, described_run, objects)
    # A failed run has no output to name its task: ask DataSync (the name only decorates the message).
    unnamed = sorted({o.task_arn for o in outcomes if not o.task_name and o.task_arn})
    names = {arn: name for arn in unnamed if (name := task_name(arn))}
    return summarize_batch(
        outcomes, max_concurrency=batch.max_concurrency, batch_execution=event.batch_execution, task_names=names
    )


def _outcomes(
    event: SummarizeBatchInput,
    described_run: Callable[[str], Mapping[str, Any] | None],
    objects: BatchObjects | None,
) -> list[TaskOutcome]:
    batch = event.batch
    names = batch.names or []

    def run_name(index: int) -> str:
        # A batch begun on the former definition sent its runs' names; otherwise they follow from the batch's.
        if names:
            return names[index] if index < len(names) else ""
        return child_execution_name(event.batch_name, event.batch_execution, index)

    outcomes = []
    for result in _results(batch.results, batch.map_run, objects):
        index = result.index
        name = run_name(index)
        execution_arn = child_execution_arn(event.sync_workflow, name) if name else None
        if isinstance(result, TaskRunSucceeded):
            outcomes.append(
                TaskOutcome(
                    index=index,
                    task_arn=result.task_arn,
                    status="SUCCEEDED",
                    execution_arn=execution_arn,
                    task_name=result.task_name,
                    files_transferred=result.files_transferred,
                    bytes_transferred=result.bytes_transferred,
                    attempts=result.attempts,
                )
            )
        else:
            assert isinstance(result, TaskRunNotSucceeded)
            described = described_run(execution_arn) if execution_arn else None
            outcomes.append(failed_outcome(index, result.task_arn, result.error, described, execution_arn))
    return outcomes


_RESULT: TypeAdapter[TaskRunSucceeded | TaskRunNotSucceeded] = TypeAdapter(TaskRunResult)


def _results(
    inline: list[TaskRunSucceeded | TaskRunNotSucceeded] | None,
    map_run: MapRunResults | None,
    objects: BatchObjects | None,
) -> Iterator[TaskRunSucceeded | TaskRunNotSucceeded]:
    """Each task's result: from the state (a batch begun on the former definition), or from the Map
    run's results in S3, one result file at a time (docs/aws-facts.md#distributed-map).

    Every item's processor catches its own errors and ends with its result, so its child execution
    succeeds and its output is the result. A child that failed or was stopped all the same (its
    FAILED or PENDING file) has no output: its task is reported by its input, with its error."""
    if inline is not None:
        yield from inline
        return
    if map_run is None:
        return
    assert objects is not None, "a Map run's results are read from S3"
    details = map_run.ResultWriterDetails
    manifest = objects.get_json(details.Bucket, details.Key)
    bucket = str(manifest.get("DestinationBucket") or details.Bucket)
    files: Mapping[str, list[Mapping[str, Any]]] = manifest.get("ResultFiles") or {}
    for status in ("SUCCEEDED", "FAILED", "PENDING"):
        for result_file in files.get(status) or []:
            for child in objects.get_json(bucket, str(result_file["Key"])):
                yield _child_result(child)


def _child_result(child: Mapping[str, Any]) -> TaskRunSucceeded | TaskRunNotSucceeded:
    if child.get("Status") == "SUCCEEDED" and child.get("Output"):
        return _RESULT.validate_python(json.loads(str(child["Output"])))
    item = TaskItem.model_validate(json.loads(str(child.get("Input") or "{}")))
    task_arn = str(item.request.get("taskArn") or "")[:150]
    error = str(child.get("Error") or f"Batch.Task{str(child.get('Status') or 'NotRun').title()}")[:256]
    return TaskRunNotSucceeded(succeeded=False, index=item.index, task_arn=task_arn, error=error)


def _result(summary: BatchSummary, message_id: str | None, notification_error: CaughtError | None) -> BatchResult:
    result = BatchResult.model_validate({**summary.to_dict(), "messageId": message_id})
    result.notification_error = notification_error
    return result
