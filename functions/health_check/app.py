"""Health Check: run by the stack every few minutes (its own EventBridge Scheduler schedule in
template.yaml), for every named schedule: preflight before its next firing, and its missed firings,
each reported once on the notification topic (`workflow/health_check.py`).

The event is Scheduler's (nothing in it is read): the check is a function of the schedules file,
the time, DataSync and the run ledger.
"""

from typing import Any

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.composition.settings import HealthCheckSettings
from datasync_scheduler.workflow.health_check import HealthPorts, health_check

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    settings = wiring.settings(HealthCheckSettings)
    # Where the stack runs and what else it reaches: tasks are described and found where they live.
    home = settings.home(context.invoked_function_arn)
    ports = HealthPorts(
        book=wiring.schedule_book(settings),
        datasync=wiring.datasync(settings),
        logs_for=wiring.log_sources(settings),
        tagged=wiring.tagged_tasks(settings),
        arrivals=wiring.firing_arrivals(settings),
        notices=wiring.health_notices(settings),
        topic=wiring.health_topic(settings),
    )
    result = health_check(ports, home, utc_now(), chatbot=settings.chatbot)
    logger.info("Health checked", extra=result.to_json())
    return result.to_json()
