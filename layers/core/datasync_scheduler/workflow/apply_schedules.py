"""Apply Schedules: makes the stack's schedule group hold exactly the schedules of the shipped file.

Run by CloudFormation (a custom resource) at every deploy whose schedules file changed: schedules
the file adds are created, those it changes are updated (every field: UpdateSchedule keeps none),
those it no longer names are deleted. Repeating it changes nothing more: the plan it follows is
computed from what the group holds now (`domain/schedule_group.py`). When the stack is deleted,
every schedule of the group is deleted.

Each change is made only while there is time to answer CloudFormation afterwards: a custom
resource that never answers holds the stack for an hour (docs/aws-facts.md#custom-resources).
"""

from __future__ import annotations

from collections.abc import Callable

from datasync_scheduler.domain.schedule_group import SchedulePlan, ScheduleTarget, desired_schedules, plan
from datasync_scheduler.domain.schedules import SchedulesFile
from datasync_scheduler.ports import ScheduleGroupPort

# Seconds of Lambda time a change may start within: one Scheduler call (retries included) and the
# answer to CloudFormation fit in it.
TIME_PER_CHANGE = 15.0


class OutOfTime(RuntimeError):
    """The function's time ran out before every change was made; a deploy again finishes them."""


def apply_schedules(
    schedules: SchedulesFile,
    group: ScheduleGroupPort,
    target: ScheduleTarget,
    seconds_left: Callable[[], float],
) -> SchedulePlan:
    desired = desired_schedules(schedules, target)
    the_plan = plan(desired, group.deployed())
    done = 0
    total = len(the_plan.add) + len(the_plan.change) + len(the_plan.remove)

    def before_change() -> None:
        if seconds_left() < TIME_PER_CHANGE:
            raise OutOfTime(
                f"made {done} of {total} schedule changes before the function's time ran out; "
                "deploy again to make the rest (each deploy starts from what the group holds)"
            )

    # Additions and changes first: a deploy cut short leaves the new schedules in place, never
    # a group emptier than both the old file and the new one.
    for name in the_plan.add:
        before_change()
        group.create(desired[name])
        done += 1
    for change in the_plan.change:
        before_change()
        group.update(desired[change.name])
        done += 1
    for name in the_plan.remove:
        before_change()
        group.delete(name)
        done += 1
    return the_plan


def remove_schedules(group: ScheduleGroupPort, seconds_left: Callable[[], float]) -> tuple[str, ...]:
    """Deletes every schedule of the group (the stack is being deleted, or the group replaced)."""
    removed: list[str] = []
    for name in sorted(group.deployed()):
        if seconds_left() < TIME_PER_CHANGE:
            raise OutOfTime(f"deleted {len(removed)} schedules before the function's time ran out")
        group.delete(name)
        removed.append(name)
    return tuple(removed)
