"""Report Run: the run's result and verdict, and its one message, whichever way the run ended.

The message is rendered and published here, so its renderings never travel in the workflow's
state. It is published at most once per run: once SNS took it, its mark (SNS's MessageId, keyed
on the workflow execution) goes into the run ledger, so a Report Run retried after publishing (a
timeout, a later failure) returns the same MessageId instead of a second message, and the state
machine skips its plain fallback message when the mark is there
(`adapters.published_messages`, docs/aws-facts.md#one-message-per-run). A publish SNS does not
take after the client's retries is caught: the result carries `notificationError` and the
verdict stands. A run of a named schedule's firing publishes its own message only as the schedule's
`perTaskMessages` says (`messages/digest.py`), with the schedule's `route` attribute.

It also publishes the run's metrics (`datasync_scheduler.adapters.run_metrics`), once per run: this is the
one step every run passes through exactly once, whatever its outcome.
"""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.adapters.cloudwatch_metrics import publish
from datasync_scheduler.adapters.notification_topic import NotPublished
from datasync_scheduler.adapters.published_messages import publish_once
from datasync_scheduler.adapters.run_metrics import parse_time, run_metrics
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.composition.handler import step_handler
from datasync_scheduler.composition.settings import ReportRunSettings
from datasync_scheduler.domain.run_result import iso
from datasync_scheduler.messages.message import run_message
from datasync_scheduler.workflow import events, report_run
from datasync_scheduler.workflow.publish import run_publication
from datasync_scheduler.workflow.state.sync import CaughtError, ReportRunInput, ReportRunOutput, RunResult

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)
metrics = Metrics()


@step_handler(
    ReportRunInput,
    logger,
    tracer,
    execution_arn=lambda step: step.task_execution.execution_arn if step.task_execution is not None else None,
    metrics=metrics,
)
def handler(step: ReportRunInput, context: LambdaContext) -> dict[str, Any]:
    settings = wiring.settings(ReportRunSettings)
    report = report_run.report_run(
        step, wiring.ports(settings), history=wiring.run_history(settings), slow_run_factor=settings.slow_run_factor
    )
    result = RunResult.model_validate(report.to_dict())
    firing = step.request.firing if step.request is not None else None
    publication, withheld = run_publication(
        run_message(report), settings, workflow_execution=step.workflow_execution, firing=firing
    )
    # A run of a named schedule's firing whose message its `perTaskMessages` withholds: the digest
    # has its line, and the result says where its message went.
    result.message = withheld
    message_id = None
    if publication["publish"]:
        try:
            message_id = publish_once(
                step.workflow_execution,
                lambda: wiring.topic(settings).publish(
                    subject=publication["subject"],
                    structured=publication["structured"],
                    attributes=publication["attributes"],
                ),
                wiring.published_messages(settings),
                utc_now(),
            )
        except NotPublished as error:
            # The verdict never depends on the message: the state machine counts it for the alarm.
            logger.exception("The run's message was not published")
            result.notification_error = CaughtError(Error=f"SNS.{error.code}", Cause=str(error))
    output = ReportRunOutput(result=result, message_id=message_id).to_state()
    # After the message: the run's end on the bus, best effort (a refused event is logged, the
    # verdict and the message stand).
    events.emit(
        wiring.event_bus(settings),
        events.run_ended(
            output["result"],
            message_id=message_id,
            firing=events.firing_of(firing),
            started_at=step.started_at,
            ended_at=iso(utc_now()),
        ),
        resources=[arn for arn in (result.task_arn, result.execution_arn) if arn],
    )
    publish(
        run_metrics(
            output["result"],
            started_at=parse_time(step.started_at),
            reported_at=utc_now(),
            schedule=firing.schedule if firing is not None else None,
        ),
        metrics,
    )
    logger.info("Run reported", extra={"verdict": output["result"]["verdict"], "messageId": message_id})
    return output
