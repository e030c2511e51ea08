"""Execution events: records each DataSync state change and resumes the workflow on the end."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from datasync_scheduler import steps, wiring

logger = Logger()


class ExecutionState(BaseModel):
    State: str


class ExecutionStateChange(EventBridgeModel):  # type: ignore[misc]
    """`DataSync Task Execution State Change`: the execution ARN is the only resource."""

    resources: list[str] = Field(min_length=1)
    detail: ExecutionState


@logger.inject_lambda_context
@event_parser(model=ExecutionStateChange)
def handler(event: ExecutionStateChange, context: LambdaContext) -> dict[str, Any]:
    execution_arn = event.resources[0]
    outcome = steps.record_event(execution_arn, event.detail.State, event.time, wiring.ports())
    logger.info("Execution state change", extra=outcome)
    return outcome
