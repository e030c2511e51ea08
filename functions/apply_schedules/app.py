"""Apply Schedules: the custom resource that makes the stack's schedule group match schedules.yaml.

CloudFormation calls it at every deploy whose schedules layer changed (the resource's
`SchedulesLayer` property is the layer's version ARN) and when the stack is deleted. Its
properties name the group and what every schedule targets. Every request is answered, FAILED with
the sentence naming the schedule and field when the file is wrong
(`composition/custom_resource.py`, `workflow/apply_schedules.py`).
"""

from aws_lambda_powertools import Logger, Tracer
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict, Field

from datasync_scheduler.adapters.aws_clients import TRACED_LIBRARIES
from datasync_scheduler.composition import wiring
from datasync_scheduler.composition.custom_resource import CustomResourceRequest, custom_resource_handler
from datasync_scheduler.composition.settings import ApplySchedulesSettings
from datasync_scheduler.domain.schedule_group import ScheduleTarget
from datasync_scheduler.workflow.apply_schedules import apply_schedules, remove_schedules

logger = Logger()
tracer = Tracer(patch_modules=TRACED_LIBRARIES)

# What answering CloudFormation takes, kept back from the function's time.
ANSWER_SECONDS = 20.0


class ScheduleGroupProperties(BaseModel):
    """The custom resource's properties (template.yaml `ApplySchedules`)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    group_name: str = Field(alias="GroupName", min_length=1)
    batch_workflow_arn: str = Field(alias="BatchWorkflowArn", default="")
    role_arn: str = Field(alias="RoleArn", default="")
    dead_letter_arn: str = Field(alias="DeadLetterArn", default="")

    @property
    def target(self) -> ScheduleTarget:
        return ScheduleTarget(self.batch_workflow_arn, self.role_arn, self.dead_letter_arn)


@logger.inject_lambda_context(clear_state=True)
@tracer.capture_lambda_handler
@custom_resource_handler(logger, physical_id=lambda request: request.ResourceProperties.get("GroupName"))
def handler(request: CustomResourceRequest, context: LambdaContext) -> tuple[str, dict[str, str]]:
    def seconds_left() -> float:
        return context.get_remaining_time_in_millis() / 1000 - ANSWER_SECONDS

    if request.RequestType == "Delete":
        # Also after a Create or Update that failed half-way: what it made is in the group.
        group = ScheduleGroupProperties.model_validate(request.ResourceProperties).group_name
        removed = remove_schedules(wiring.schedule_group(group), seconds_left)
        logger.info("schedules deleted", extra={"group": group, "deleted": list(removed)})
        return group, {}
    properties = ScheduleGroupProperties.model_validate(request.ResourceProperties)
    # A file that is not valid raises InvalidSchedules, naming the schedule and the field: the
    # deploy fails with that sentence, and nothing in the group has changed.
    schedules = wiring.schedule_book(wiring.settings(ApplySchedulesSettings)).schedules()
    plan = apply_schedules(schedules, wiring.schedule_group(properties.group_name), properties.target, seconds_left)
    logger.info("schedules applied", extra={"group": properties.group_name, "plan": plan.to_json()})
    summary = f"{len(plan.add)} added, {len(plan.change)} changed, {len(plan.remove)} removed"
    return properties.group_name, {"Summary": summary, "Schedules": str(len(schedules.schedules))}
