"""The stack's EventBridge Scheduler schedule group (the ScheduleGroupPort), through botocore.

ListSchedules pages through the group (botocore's paginator); GetSchedule gives each schedule's
target and retry policy, which ListSchedules leaves out. docs/aws-facts.md#named-schedules
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.domain.schedule_group import DeployedSchedule


class SchedulerGroup:
    def __init__(self, client: Any, group: str) -> None:
        self._client = client
        self._group = group

    def deployed(self) -> dict[str, DeployedSchedule]:
        found: dict[str, DeployedSchedule] = {}
        try:
            summaries = [
                summary
                for page in self._client.get_paginator("list_schedules").paginate(GroupName=self._group)
                for summary in page.get("Schedules", [])
            ]
        except ClientError as error:
            if _not_found(error):  # no such group (yet, or any more): it holds nothing
                return found
            raise
        for summary in summaries:
            name = str(summary["Name"])
            try:
                described = self._client.get_schedule(GroupName=self._group, Name=name)
            except ClientError as error:
                if _not_found(error):  # deleted between the listing and the look
                    continue
                raise
            found[name] = DeployedSchedule.from_get_schedule(described)
        return found

    def create(self, schedule: DeployedSchedule) -> None:
        try:
            self._client.create_schedule(**schedule.request(self._group))
        except ClientError as error:
            # A repeated deploy after a lost answer: the schedule is there, so make it what it must be.
            if error.response.get("Error", {}).get("Code") != "ConflictException":
                raise
            self.update(schedule)

    def update(self, schedule: DeployedSchedule) -> None:
        self._client.update_schedule(**schedule.request(self._group))

    def delete(self, name: str) -> None:
        try:
            self._client.delete_schedule(GroupName=self._group, Name=name)
        except ClientError as error:
            if not _not_found(error):
                raise


def _not_found(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ResourceNotFoundException"
