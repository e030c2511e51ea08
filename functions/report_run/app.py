"""Report Run: the run's result, verdict and notification, whichever way the run ended.

It also publishes the run's metrics (`datasync_scheduler.run_metrics`), once per run: this is the
one step every run passes through exactly once, whatever its outcome.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler import steps, wiring
from datasync_scheduler.adapters.cloudwatch_metrics import publish
from datasync_scheduler.clock import utc_now
from datasync_scheduler.run_metrics import parse_time, run_metrics

logger = Logger()
tracer = Tracer()
metrics = Metrics()


@logger.inject_lambda_context(correlation_id_path="workflowExecution", clear_state=True)
@tracer.capture_lambda_handler
@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    state = event["state"]
    if execution_arn := (state.get("run") or {}).get("executionArn"):
        logger.append_keys(executionArn=execution_arn)
    report = steps.report_run(state, event.get("workflowExecution"), wiring.ports(), wiring.notification_settings())
    result = report["result"]
    publish(run_metrics(result, started_at=parse_time(state.get("startedAt")), reported_at=utc_now()), metrics)
    logger.info("Run reported", extra={"verdict": result["verdict"]})
    return report
