"""Validate Batch: rejects a bad batch before any task starts, naming each bad item by index and field.

Gets `{"input": <the batch's input>, "batchExecution": <its ARN>, "batchName": <its name>}`; returns
the Map's items (`{index, name, request}`, one per task) and the concurrency limit.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import batch_steps

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="batchExecution", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # InvalidBatchRequest propagates: its class name is the error the state machine catches.
    return batch_steps.validate_batch(event["input"], event["batchExecution"], event["batchName"])
