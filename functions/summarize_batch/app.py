"""Summarize Batch: counts per outcome, one line per task, the verdict and the batch's one message."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import batch_steps, wiring
from datasync_scheduler.adapters.datasync import DataSync

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="batchExecution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    summary = batch_steps.summarize_batch_step(
        event["state"], event.get("batchExecution"), DataSync().task_name, wiring.notification_settings()
    )
    logger.info(
        "Batch summarised", extra={"verdict": summary["result"]["verdict"], "counts": summary["result"]["counts"]}
    )
    return summary
