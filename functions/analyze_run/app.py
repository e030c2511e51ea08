"""Analyze Run: which files failed and why, from the task report or the execution's logs."""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import AnalyzeRunSettings
from datasync_scheduler.workflow import analyze_run
from datasync_scheduler.workflow.state.sync import AnalyzeRunInput

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


@step_handler(AnalyzeRunInput, logger, tracer, execution_arn=lambda step: step.task_execution.execution_arn)
def handler(step: AnalyzeRunInput, context: LambdaContext) -> dict[str, Any]:
    settings = wiring.settings(AnalyzeRunSettings)
    summary = analyze_run.analyze_run(
        step.task_execution,
        wiring.datasync(settings),
        # The task's logs and task report are read where the task execution ran.
        wiring.analysis_ports(settings, step.task_execution.execution_arn),
    )
    logger.info(
        "Execution analysed",
        extra={key: summary[key] for key in ("available", "source", "totalFailures", "byCategory", "report")},
    )
    return summary
