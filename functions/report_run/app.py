"""Report Run: the run's result, verdict and notification, whichever way the run ended."""

from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps, wiring

logger = Logger()


@logger.inject_lambda_context(correlation_id_path="workflowExecution")
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = steps.report_run(
        event["state"], event.get("workflowExecution"), wiring.ports(), wiring.notification_settings()
    )
    logger.info("Run reported", extra={"verdict": report["result"]["verdict"]})
    return report
