"""Validate Batch: the batch's input checked before anything starts, each task's run named.

A batch starts either with its tasks (`{"tasks", "maxConcurrency"}`) or as a named schedule's
firing (`{"schedule", "scheduledTime"}`): then the schedule is read from the deployed schedules
file, a skip date starts nothing, and the schedule's listed tasks are joined by every DataSync task
tagged for it, looked up now (a task tagged today runs tonight) in each of the schedule's Regions and
every account the stack reaches. Either way the tasks become the
Distributed Map's items, written to S3, so the state carries only where they are.

What it receives and returns is `workflow/state/batch.py`.
"""

from __future__ import annotations

from datetime import datetime

from aws_lambda_powertools import Logger

from datasync_scheduler.composition.clock import utc_now
from datasync_scheduler.domain.batch import (
    BatchRequest,
    InvalidBatchRequest,
    batch_items,
    firing_batch,
    is_firing,
    parse_batch_request,
    parse_firing_input,
    skipped_on,
)
from datasync_scheduler.domain.schedules import SCHEDULE_TAG_KEY, InvalidSchedules, Schedule
from datasync_scheduler.domain.sync_request import StackHome, field_name
from datasync_scheduler.ports import ApiCallFailed, BatchObjects, FiringArrivals, ScheduleBook, TaggedTasks
from datasync_scheduler.workflow.state.batch import S3Object, ValidateBatchInput, ValidateBatchOutput, ValidatedBatch

# Where a batch's items go in the failure-report bucket (a lifecycle rule expires them).
ITEMS_PREFIX = "batches"

logger = Logger(child=True)


def items_key(batch_name: str) -> str:
    """`batches/<batch execution name>/items.json`: one per batch, so a retried step rewrites its own."""
    return f"{ITEMS_PREFIX}/{batch_name}/items.json"


def validate_batch(
    event: ValidateBatchInput,
    home: StackHome,
    objects: BatchObjects,
    schedule_book: ScheduleBook | None = None,
    tagged_tasks: TaggedTasks | None = None,
    arrivals: FiringArrivals | None = None,
) -> ValidateBatchOutput:
    """The batch's tasks as the Map's items in S3, their count and the concurrency limit.

    Raises InvalidBatchRequest naming the problem (the state machine ends the batch with its
    message): a bad input, an unknown schedule, a broken schedules file, a bad listed or tagged task.
    """
    if is_firing(event.input):
        assert isinstance(event.input, dict)
        return _firing(event, home, objects, schedule_book, tagged_tasks, arrivals)
    return _stored(event, parse_batch_request(event.input, home=home), objects)


def _firing(
    event: ValidateBatchInput,
    home: StackHome,
    objects: BatchObjects,
    schedule_book: ScheduleBook | None,
    tagged_tasks: TaggedTasks | None,
    arrivals: FiringArrivals | None,
) -> ValidateBatchOutput:
    assert isinstance(event.input, dict)
    firing = parse_firing_input(event.input)
    if schedule_book is None or tagged_tasks is None:
        raise InvalidBatchRequest("Invalid batch request: this stack has no schedules file to fire from")
    try:
        book = schedule_book.schedules()
    except InvalidSchedules as error:
        raise InvalidBatchRequest(
            f"Invalid batch request: schedule {field_name(firing.schedule)} cannot fire: the schedules file is "
            f"not valid: {error}"
        ) from None
    schedule = book.schedule(firing.schedule)
    if schedule is None:
        known = ", ".join(field_name(s.name) for s in book.schedules[:10]) or "none"
        raise InvalidBatchRequest(
            f"Invalid batch request: schedule: no schedule named {field_name(firing.schedule)} in the "
            f"deployed schedules file (it has: {known})"
        )
    if arrivals is not None and firing.scheduled_time is not None:
        _record_arrival(arrivals, schedule.name, firing.scheduled_time, event.batch_execution)
    state_firing = schedule.firing(firing.scheduled_time)
    if (day := skipped_on(schedule, firing.scheduled_time)) is not None:
        reason = (
            f"Skipped: {day.isoformat()} is a skip date of schedule {field_name(schedule.name)} "
            f"(in {schedule.timezone}); no task was started."
        )
        return ValidateBatchOutput(
            batch=ValidatedBatch(tasks=0, max_concurrency=schedule.max_concurrency, firing=state_firing, skipped=reason)
        )
    batch = firing_batch(schedule, firing, tagged_for(schedule, home, tagged_tasks), home=home)
    return _stored(event, batch, objects)


def tagged_for(schedule: Schedule, home: StackHome, tagged_tasks: TaggedTasks) -> list[str]:
    """Every task tagged for the schedule now, where its firing looks for them: each of its Regions
    (the stack's own when it lists none), in every account the stack reaches; none when it does not
    select by tag. What a firing runs and what `datasync-scheduler schedules` shows both come from here.

    Raises InvalidBatchRequest naming the schedule when it looks where the stack cannot, and
    `ApiCallFailed` when DataSync refuses the listing."""
    reach = home.reach
    regions = schedule.regions or [home.region]
    unreached = [region for region in regions if region not in reach.all_regions]
    if unreached:
        raise InvalidBatchRequest(
            f"Invalid batch request: schedule {field_name(schedule.name)}: regions: the stack is set up for "
            f"{', '.join(reach.all_regions)}, not {', '.join(unreached)}: deploy member/template.yaml in each and "
            "add it to the stack's TaskRegions parameter"
        )
    if not schedule.select_by_tag:
        return []
    return [
        arn for place in reach.places(regions) for arn in tagged_tasks.tagged(SCHEDULE_TAG_KEY, schedule.name, place)
    ]


def _record_arrival(arrivals: FiringArrivals, schedule: str, scheduled_time: datetime, batch: str) -> None:
    """The firing's arrival, for the health check that reports missed firings. Best effort: a record
    that cannot be written must not keep the firing's tasks from running; the worst it causes is a
    firing reported missed that did run (its batch is in the log line below and in the history)."""
    try:
        first = arrivals.record(schedule, scheduled_time, batch, arrived_at=utc_now())
    except ApiCallFailed:
        logger.exception("The firing's arrival could not be recorded", extra={"schedule": schedule})
        return
    if not first:
        # Scheduler delivers at least once (docs/aws-facts.md#schedule-health): this batch is a repeat.
        logger.warning("This firing arrived before", extra={"schedule": schedule, "scheduledTime": str(scheduled_time)})


def _stored(event: ValidateBatchInput, batch: BatchRequest, objects: BatchObjects) -> ValidateBatchOutput:
    items = batch_items(batch, event.batch_name, event.batch_execution)
    bucket, key = objects.put_json(items_key(event.batch_name), items)
    return ValidateBatchOutput(
        batch=ValidatedBatch(
            tasks=len(items),
            max_concurrency=batch.max_concurrency,
            items=S3Object(bucket=bucket, key=key),
            firing=batch.firing,
        )
    )
