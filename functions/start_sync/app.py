"""Start Sync: starts (or adopts) one attempt's DataSync execution, at most once per attempt.

Two guards, for two different failures: Powertools Idempotency (keyed on the workflow execution
and the attempt) makes a duplicate invocation return the first one's result instead of calling
DataSync again; the execution's tags let a retry after a lost response or a crashed invocation
find and adopt the execution that did start.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import StartSyncSettings
from datasync_scheduler.workflow import start_sync
from datasync_scheduler.workflow.state.sync import StartSyncInput, TaskExecutionState

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)
# A run lasts at most days; a record older than that protects nothing.
idempotency = IdempotencyConfig(expires_after_seconds=7 * 24 * 3600)
# Built at import, as Powertools' idempotent_function needs it: the settings are read then.
persistence = DynamoDBPersistenceLayer(table_name=wiring.settings(StartSyncSettings).idempotency_table)


@idempotent_function(  # type: ignore[untyped-decorator]
    data_keyword_argument="attempt_key", config=idempotency, persistence_store=persistence
)
def start_attempt(attempt_key: dict[str, Any], step: StartSyncInput) -> dict[str, Any]:
    settings = wiring.settings(StartSyncSettings)
    return start_sync.start_sync(
        step.request,
        attempt_key["workflowExecution"],
        wiring.ports(settings),
        settings,
        attempt=attempt_key["attempt"],
        scope=step.attempts.scope,
    ).to_state()


@step_handler(StartSyncInput, logger, tracer)
def handler(step: StartSyncInput, context: LambdaContext) -> dict[str, Any]:
    idempotency.register_lambda_context(context)
    execution = TaskExecutionState.model_validate(
        start_attempt(
            attempt_key={"workflowExecution": step.workflow_execution, "attempt": step.attempts.attempt},
            step=step,
        )
    )
    logger.append_keys(executionArn=execution.execution_arn)
    logger.info("DataSync execution started", extra={"adopted": execution.adopted})
    return execution.to_state()
