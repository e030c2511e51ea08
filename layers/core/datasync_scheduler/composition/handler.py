"""What every workflow step's Lambda handler does around its step, written once.

A step handler gets its state machine's `Parameters` as JSON and returns JSON. Around the step it:
- logs with Powertools' Lambda context, the run's (or batch's) execution ARN as the correlation id,
  and no keys left over from the previous invocation of a warm environment (`clear_state`);
- traces the invocation as `## handler` with X-Ray (Powertools' Tracer);
- validates the input against the step's state contract (`datasync_scheduler.workflow.state`), so a bad
  input fails as pydantic's `ValidationError` before any AWS call;
- adds the task execution's ARN to every line it logs, when the step has one;
- for the steps that publish metrics, flushes them at the end (with the cold start metric).

Each handler module keeps its own `Logger` and `Tracer` (passed in), for its own log lines.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel

Input = TypeVar("Input", bound=BaseModel)
Handler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]


def step_handler(
    model: type[Input],
    logger: Logger,
    tracer: Tracer,
    *,
    correlation_id_path: str = "workflowExecution",
    execution_arn: Callable[[Input], str | None] | None = None,
    metrics: Metrics | None = None,
) -> Callable[[Callable[[Input, LambdaContext], dict[str, Any]]], Handler]:
    """Makes `step(validated input, context)` the Lambda handler `handler(event, context)`.

    `correlation_id_path` is where the event holds the run's (or batch's) execution ARN;
    `execution_arn` reads the task execution's ARN from the validated input (None: the step has none
    yet), for the `executionArn` key of every log line; `metrics`, when given, are flushed after
    every invocation, whatever its outcome."""

    def decorate(step: Callable[[Input, LambdaContext], dict[str, Any]]) -> Handler:
        @functools.wraps(step)
        def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
            validated = model.model_validate(event)
            arn = execution_arn(validated) if execution_arn is not None else None
            if arn:
                logger.append_keys(executionArn=arn)
            return step(validated, context)

        measured = handler if metrics is None else metrics.log_metrics(capture_cold_start_metric=True)(handler)
        traced = tracer.capture_lambda_handler(measured)
        logged: Handler = logger.inject_lambda_context(correlation_id_path=correlation_id_path, clear_state=True)(
            traced
        )
        return logged

    return decorate
