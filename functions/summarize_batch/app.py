"""Summarize Batch: counts per outcome, one line per task, the verdict, and the batch's one message.

Gets `SummarizeBatchInput` (`$.batch` and the names it needs to find each run); returns
`SummarizeBatchOutput` (`datasync_scheduler.workflow.state.batch`). It publishes the message itself, at
most once per batch however often Step Functions retries it (its mark in the run ledger, keyed on
the batch execution, which the state machine also reads before its plain fallback message:
`adapters.published_messages`, docs/aws-facts.md#one-message-per-run), and how many of the
batch's tasks succeeded and failed (`run_metrics.batch_metrics`). For a named schedule's firing it
writes every task's line to the failure report bucket (`digests/`), which the digest links.
"""

from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.adapters.cloudwatch_metrics import publish
from datasync_scheduler.adapters.datasync import DataSync
from datasync_scheduler.adapters.published_messages import publish_once
from datasync_scheduler.adapters.run_metrics import batch_metrics
from datasync_scheduler.adapters.s3_lines import S3LineUpload
from datasync_scheduler.adapters.workflow_runs import WorkflowRuns
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import SummarizeBatchSettings
from datasync_scheduler.workflow import events, summarize_batch
from datasync_scheduler.workflow.state.batch import SummarizeBatchInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)
metrics = Metrics()


class OncePerBatch:
    """The notification topic, publishing at most one message for `batch_execution`."""

    def __init__(self, batch_execution: str, settings: SummarizeBatchSettings) -> None:
        self.batch_execution = batch_execution
        self.settings = settings

    def publish(self, *, subject: str, structured: str, attributes: Mapping[str, Mapping[str, str]]) -> str:
        return publish_once(
            self.batch_execution,
            lambda: wiring.topic(self.settings).publish(subject=subject, structured=structured, attributes=attributes),
            wiring.published_messages(self.settings),
            utc_now(),
        )


@step_handler(SummarizeBatchInput, logger, tracer, correlation_id_path="batchExecution", metrics=metrics)
def handler(request: SummarizeBatchInput, context: LambdaContext) -> dict[str, Any]:
    settings = wiring.settings(SummarizeBatchSettings)
    output = summarize_batch.summarize_batch_step(
        request,
        DataSync().task_name,
        OncePerBatch(request.batch_execution, settings),
        settings,
        described_run=WorkflowRuns().described,
        objects=wiring.batch_objects(settings.failure_report_bucket),
        full_list=lambda key: S3LineUpload(settings.failure_report_bucket, key, "application/x-ndjson"),
    )
    result = output.result
    # After the message: the batch's end on the bus, best effort (the verdict and message stand).
    events.emit(
        wiring.event_bus(settings),
        events.batch_ended(
            batch_execution=request.batch_execution,
            status=result.verdict.status,
            error=result.verdict.error,
            reason=result.verdict.reason,
            counts=result.counts.to_state(),
            firing=events.firing_of(request.batch.firing),
            message_id=result.message_id,
        ),
        resources=[request.batch_execution],
    )
    publish(batch_metrics(result.to_state()), metrics)
    logger.info(
        "Batch summarised",
        extra={
            "verdict": result.verdict.to_state(),
            "counts": result.counts.to_state(),
            "messageId": result.message_id,
        },
    )
    return output.to_state()
