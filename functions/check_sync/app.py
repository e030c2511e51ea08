"""Check Sync: the fallback when no terminal event came in time; applies the phase watchdog."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps, wiring
from datasync_scheduler.state.sync import CheckSyncInput

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="workflowExecution", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = CheckSyncInput.model_validate(event)
    logger.append_keys(executionArn=step.run.execution_arn)
    run = steps.check_sync(
        step.run, wiring.ports(), wiring.settings(), step.started_at, step.workflow_execution
    ).to_state()
    logger.info("Checked the execution", extra=run)
    return run
