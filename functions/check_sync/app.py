"""Check Sync: looks at the execution when no terminal event came in time, and once after one
came; applies the phase watchdog and the stall watchdog, and confirms DataSync's announced end."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps, wiring
from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.adapters.cloudwatch_metrics import publish
from datasync_scheduler.run_metrics import stall_metrics
from datasync_scheduler.state.sync import CheckSyncInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="workflowExecution", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = CheckSyncInput.model_validate(event)
    logger.append_keys(executionArn=step.run.execution_arn)
    checked = steps.check_sync(step.run, wiring.ports(), wiring.settings(), step.started_at, step.workflow_execution)
    if steps.newly_stalled(step.run, checked):
        # Once per stall, for the execution-stalled alarm; a check that saw none publishes nothing.
        publish(stall_metrics(), metrics)
        metrics.flush_metrics()
    run = checked.to_state()
    logger.info("Checked the execution", extra=run)
    return run
