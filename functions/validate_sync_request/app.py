"""Validate Sync Request: rejects a bad input, naming each field, before any DataSync call.

Gets `{"input": <the run's input>, "workflowExecution": <its ARN>}`; returns them with the
validated `request` and the plan for the first attempt (`next`).
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps
from datasync_scheduler.clock import utc_now
from datasync_scheduler.domain.run_report import iso
from datasync_scheduler.domain.sync_request import parse_sync_request

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="workflowExecution", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # InvalidSyncRequest propagates: its class name is the error the state machine catches.
    request = parse_sync_request(event["input"])
    return {
        **event,
        "request": request.model_dump(exclude_none=True),
        "next": steps.first_attempt(),
        # When the run began: its overall deadline counts from here, across attempts.
        "startedAt": iso(utc_now()),
    }
