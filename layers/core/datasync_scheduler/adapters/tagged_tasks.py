"""DataSync tasks found by tag: ListTasks, then ListTagsForResource for each task, in one Region and account.

DataSync's ListTasks filters only by location and creation time, not by tag, so every task of the
Region is listed and its tags read (docs/aws-facts.md#tasks-found-by-tag). Both calls are
paginated (botocore's paginators) and retried on throttling by the client's standard retry mode
(docs/aws-facts.md#transient-aws-errors). A task deleted between the two calls answers
InvalidRequestException and is left out: it would not run anyway.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import TaskClients, api_call_failed
from datasync_scheduler.domain.where import Where


class DataSyncTaggedTasks:
    def __init__(self, datasync: Any = None, clients: TaskClients | None = None) -> None:
        """Looks in the Region and account asked for (`clients`), or through `datasync` for all."""
        self._clients = clients or TaskClients("datasync", fixed=datasync)

    def tagged(self, key: str, value: str, where: Where) -> list[str]:
        found: list[str] = []
        datasync = self._clients.at(where)
        try:
            for page in datasync.get_paginator("list_tasks").paginate():
                for task in page.get("Tasks", []):
                    task_arn = task.get("TaskArn")
                    if isinstance(task_arn, str) and self._has_tag(datasync, task_arn, key, value):
                        found.append(task_arn)
        except ClientError as error:
            raise api_call_failed(error) from error
        return sorted(set(found))

    def _has_tag(self, datasync: Any, task_arn: str, key: str, value: str) -> bool:
        try:
            pages = datasync.get_paginator("list_tags_for_resource").paginate(ResourceArn=task_arn)
            return any(
                tag.get("Key") == key and tag.get("Value") == value for page in pages for tag in page.get("Tags", [])
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidRequestException":
                return False  # deleted since it was listed (DataSync names no other code for it)
            raise
