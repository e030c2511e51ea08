"""Check Sync: the fallback when no terminal event came in time; applies the phase watchdog."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps, wiring

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="workflowExecution", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    logger.append_keys(executionArn=event["run"]["executionArn"])
    run = steps.check_sync(event["run"], wiring.ports(), wiring.settings(), event.get("startedAt"))
    logger.info("Checked the execution", extra=run)
    return run
