"""Await Sync End: parks the task token, then checks once whether the execution already ended."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import AwaitSyncEndSettings
from datasync_scheduler.workflow import await_sync_end
from datasync_scheduler.workflow.state.sync import AwaitSyncEndInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


@step_handler(AwaitSyncEndInput, logger, tracer, execution_arn=lambda step: step.execution_arn)
def handler(step: AwaitSyncEndInput, context: LambdaContext) -> dict[str, Any]:
    outcome = await_sync_end.await_end(
        step.token, step.execution_arn, wiring.ports(wiring.settings(AwaitSyncEndSettings))
    ).to_state()
    logger.info("Waiting for the execution to end", extra=outcome)
    return outcome
