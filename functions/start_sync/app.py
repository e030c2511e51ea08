"""Start Sync: starts the DataSync execution, tagged with the workflow execution."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps, wiring
from datasync_scheduler.domain.sync_request import SyncRequest

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="workflowExecution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = SyncRequest.model_validate(event["request"])
    attempt = event.get("next") or steps.first_attempt()
    run = steps.start_sync(
        request,
        str(event["workflowExecution"]),
        wiring.ports(),
        wiring.settings(),
        attempt=int(attempt["attempt"]),
        scope=attempt.get("scope"),
    )
    logger.info("DataSync execution started", extra={"execution_arn": run["executionArn"]})
    return run
