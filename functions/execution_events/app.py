"""Execution events: records each DataSync state change and resumes the workflow on the end."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.parser import event_parser
from aws_lambda_powertools.utilities.parser.models import EventBridgeModel
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, Field

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.settings import ExecutionEventsSettings
from datasync_scheduler.workflow import await_sync_end

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


class ExecutionState(BaseModel):
    State: str


class ExecutionStateChange(EventBridgeModel):  # type: ignore[misc]
    """`DataSync Task Execution State Change`: the execution ARN is the only resource."""

    resources: list[str] = Field(min_length=1)
    detail: ExecutionState


# The event names no workflow execution (only the run ledger knows it): its correlation id is the
# event's own id, and `executionArn` on every line joins it to the workflow's lines.
@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE, clear_state=True)
@tracer.capture_lambda_handler
@event_parser(model=ExecutionStateChange)
def handler(event: ExecutionStateChange, context: LambdaContext) -> dict[str, Any]:
    execution_arn = event.resources[0]
    logger.append_keys(executionArn=execution_arn)
    outcome = await_sync_end.record_event(
        execution_arn, event.detail.State, event.time, wiring.ports(wiring.settings(ExecutionEventsSettings))
    )
    logger.info("Execution state change", extra=outcome)
    return outcome
