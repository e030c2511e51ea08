"""Validate Batch: rejects a bad batch before any task starts, naming each bad item by index and field.

Gets `ValidateBatchInput` (the batch's input as it came: its tasks, or a named schedule's firing;
its ARN and name); returns `ValidateBatchOutput`: how many tasks, the concurrency limit, where the
Map's items were written, the firing (`datasync_scheduler.workflow.state.batch`).
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import ValidateBatchSettings
from datasync_scheduler.workflow import events, validate_batch
from datasync_scheduler.workflow.state.batch import ValidateBatchInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


@step_handler(ValidateBatchInput, logger, tracer, correlation_id_path="batchExecution")
def handler(batch: ValidateBatchInput, context: LambdaContext) -> dict[str, Any]:
    # InvalidBatchRequest propagates: its class name is the error the state machine's message names.
    # The stack's partition, Region and account are the function's own; a task in a Region or account
    # the stack is not set up for (its TaskRegions, MemberAccounts) is refused.
    settings = wiring.settings(ValidateBatchSettings)
    home = settings.home(context.invoked_function_arn)
    output = validate_batch.validate_batch(
        batch,
        home,
        wiring.batch_objects(settings.failure_report_bucket),
        wiring.schedule_book(settings),
        wiring.tagged_tasks(settings),
        wiring.firing_arrivals(settings),
    )
    # The batch's start (a named schedule's firing, when it has one) on the bus, best effort.
    events.emit(
        wiring.event_bus(settings),
        events.BatchStarted(
            batch_execution=batch.batch_execution,
            tasks=output.batch.tasks,
            max_concurrency=output.batch.max_concurrency,
            firing=events.firing_of(output.batch.firing),
        ),
        resources=[batch.batch_execution],
    )
    return output.to_state()
