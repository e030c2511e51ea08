"""Check Sync: looks at the execution when no terminal event came in time, and once after one
came; applies the phase watchdog and the stall watchdog, and confirms DataSync's announced end."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.adapters.cloudwatch_metrics import publish
from datasync_scheduler.adapters.run_metrics import stall_metrics
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import CheckSyncSettings
from datasync_scheduler.workflow import check_sync
from datasync_scheduler.workflow.state.sync import CheckSyncInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)
metrics = Metrics()


@step_handler(CheckSyncInput, logger, tracer, execution_arn=lambda step: step.task_execution.execution_arn)
def handler(step: CheckSyncInput, context: LambdaContext) -> dict[str, Any]:
    settings = wiring.settings(CheckSyncSettings)
    checked = check_sync.check_sync(
        step.task_execution,
        wiring.ports(settings),
        settings,
        step.started_at,
        step.workflow_execution,
        run_deadline_seconds=step.request.runDeadlineSeconds if step.request is not None else None,
    )
    if check_sync.newly_stalled(step.task_execution, checked):
        # Once per stall, for the execution-stalled alarm; a check that saw none publishes nothing.
        publish(stall_metrics(), metrics)
        metrics.flush_metrics()
    execution = checked.to_state()
    logger.info("Checked the execution", extra=execution)
    return execution
