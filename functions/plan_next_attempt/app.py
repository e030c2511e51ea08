"""Plan Next Attempt: records the attempt and decides whether to retry, and which files."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps, wiring
from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.state.sync import PlanNextAttemptInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


@logger.inject_lambda_context(correlation_id_path="workflowExecution", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = PlanNextAttemptInput.model_validate(event)
    logger.append_keys(executionArn=step.run.execution_arn)
    plan = steps.plan_next_attempt(step, wiring.ports(), wiring.retry_ports(), wiring.settings())
    logger.info("Next attempt planned", extra={"decision": plan.decision, "scope": plan.scope})
    return plan.to_state()
