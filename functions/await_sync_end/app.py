"""Await Sync End: parks the task token, then checks once whether the execution already ended."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps, wiring

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="workflowExecution", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(executionArn=event["executionArn"])
    outcome = steps.await_end(str(event["token"]), str(event["executionArn"]), wiring.ports())
    logger.info("Waiting for the execution to end", extra=outcome)
    return outcome
