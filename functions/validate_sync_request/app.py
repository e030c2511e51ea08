"""Validate Sync Request: rejects a bad input, naming each field, before any DataSync call.

Gets `ValidateSyncRequestInput` (the run's input as it came); returns the run's initial
`SyncState`: the validated request, when the run began, the plan for the first attempt, and every
other field null (datasync_scheduler.workflow.state.sync). An accepted request puts the run's
"Sync Run Started" event on the stack's event bus (datasync_scheduler.workflow.events). A run that
retries an earlier run's failed files (`retryFailuresOf`) gets that run's request and a first attempt
of only those files (datasync_scheduler.workflow.retry_failures).
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import RetryFailuresSettings, ValidateSyncRequestSettings
from datasync_scheduler.domain.run_result import iso
from datasync_scheduler.domain.sync_request import parse_sync_request
from datasync_scheduler.workflow import events, retry_failures, validate_sync_request
from datasync_scheduler.workflow.state.sync import SyncState, ValidateSyncRequestInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


@step_handler(ValidateSyncRequestInput, logger, tracer)
def handler(step: ValidateSyncRequestInput, context: LambdaContext) -> dict[str, Any]:
    # InvalidSyncRequest propagates: its class name is the error the state machine catches.
    # The stack's partition, Region and account are the function's own; a task in a Region or account
    # the stack is not set up for (its TaskRegions, MemberAccounts) is refused.
    settings = wiring.settings(ValidateSyncRequestSettings)
    home = settings.home(context.invoked_function_arn)
    if retry_failures.is_retry_of_failures(step.input):
        # A retry of an earlier run's failed files: that run's request, and a first attempt of only those.
        retry = wiring.settings(RetryFailuresSettings)
        request, attempts = retry_failures.retry_failures_of(
            retry_failures.earlier_run(step.input),
            step.workflow_execution,
            wiring.retry_failures_ports(retry),
            lambda found: parse_sync_request(found, home=home),
            retry.retry,
            retention_days=retry.failure_report_retention_days,
            now=utc_now(),
        )
    else:
        request, attempts = parse_sync_request(step.input, home=home), validate_sync_request.first_attempt()
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
        attempts=attempts,
        # When the run began: its overall deadline counts from here, across attempts.
        started_at=started_at,
    ).to_state()
