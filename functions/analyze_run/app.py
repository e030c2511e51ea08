"""Analyze Run: which files failed and why, from the task report or the execution's logs."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.composition import wiring
from datasync_scheduler.workflow import analyze_run
from datasync_scheduler.workflow.state.sync import AnalyzeRunInput

logger = Logger()
tracer = Tracer()


@logger.inject_lambda_context(correlation_id_path="workflowExecution", clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    step = AnalyzeRunInput.model_validate(event)
    logger.append_keys(executionArn=step.task_execution.execution_arn)
    summary = analyze_run.analyze_run(step.task_execution, wiring.ports(), wiring.analysis_ports())
    logger.info(
        "Execution analysed",
        extra={key: summary[key] for key in ("available", "source", "totalFailures", "byCategory", "report")},
    )
    return summary
