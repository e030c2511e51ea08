"""Validate Sync Request: rejects a bad input, naming each field, before any DataSync call.

Gets `ValidateSyncRequestInput` (the run's input as it came); returns the run's initial
`SyncState`: the validated request, when the run began, the plan for the first attempt, and every
other field null (datasync_scheduler.workflow.state.sync). An accepted request puts the run's
"Sync Run Started" event on the stack's event bus (datasync_scheduler.workflow.events).
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import ValidateSyncRequestSettings
from datasync_scheduler.domain.run_result import iso
from datasync_scheduler.domain.sync_request import parse_sync_request
from datasync_scheduler.workflow import events, validate_sync_request
from datasync_scheduler.workflow.state.sync import SyncState, ValidateSyncRequestInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


@step_handler(ValidateSyncRequestInput, logger, tracer)
def handler(step: ValidateSyncRequestInput, context: LambdaContext) -> dict[str, Any]:
    # InvalidSyncRequest propagates: its class name is the error the state machine catches.
    # The stack's partition, Region and account are the function's own; a task in a Region or account
    # the stack is not set up for (its TaskRegions, MemberAccounts) is refused.
    settings = wiring.settings(ValidateSyncRequestSettings)
    request = parse_sync_request(step.input, home=settings.home(context.invoked_function_arn))
    started_at = iso(utc_now())
    # The run's start on the bus, before the state is returned: best effort, never failing the run.
    events.emit(
        wiring.event_bus(settings),
        events.RunStarted(
            workflow_execution=step.workflow_execution,
            task_arn=request.taskArn,
            started_at=started_at,
            includes=events.bounded(request.includes),
            excludes=events.bounded(request.excludes),
            firing=events.firing_of(request.firing),
        ),
        resources=[request.taskArn],
    )
    return SyncState(
        request=request,
        attempts=validate_sync_request.first_attempt(),
        # When the run began: its overall deadline counts from here, across attempts.
        started_at=started_at,
    ).to_state()
