"""Plan Next Attempt: records the attempt and decides whether to retry, and which files."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import PlanNextAttemptSettings
from datasync_scheduler.workflow import plan_next_attempt
from datasync_scheduler.workflow.state.sync import PlanNextAttemptInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


@step_handler(PlanNextAttemptInput, logger, tracer, execution_arn=lambda step: step.task_execution.execution_arn)
def handler(step: PlanNextAttemptInput, context: LambdaContext) -> dict[str, Any]:
    settings = wiring.settings(PlanNextAttemptSettings)
    plan = plan_next_attempt.plan_next_attempt(step, wiring.ports(settings), wiring.retry_ports(settings), settings)
    logger.info("Next attempt planned", extra={"decision": plan.decision, "scope": plan.scope})
    return plan.to_state()
