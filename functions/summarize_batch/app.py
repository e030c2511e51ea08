"""Summarize Batch: counts per outcome, one line per task, the verdict and the batch's one message.

It also publishes how many of the batch's tasks succeeded and failed (`run_metrics.batch_metrics`).
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import batch_steps, wiring
from datasync_scheduler.adapters.cloudwatch_metrics import publish
from datasync_scheduler.adapters.datasync import DataSync
from datasync_scheduler.adapters.workflow_runs import WorkflowRuns
from datasync_scheduler.run_metrics import batch_metrics

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="batchExecution", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = batch_steps.summarize_batch_step(
        event["state"],
        event.get("batchExecution"),
        DataSync().task_name,
        wiring.notification_settings(),
        sync_workflow=event.get("syncWorkflow"),
        described_run=WorkflowRuns().described,
    )
    result = summary["result"]
    publish(batch_metrics(result), metrics)
    logger.info("Batch summarised", extra={"verdict": result["verdict"], "counts": result["counts"]})
    return summary
