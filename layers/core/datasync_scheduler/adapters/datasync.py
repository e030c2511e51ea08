"""DataSync through boto3."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import TaskClients, api_call_failed, transient_errors_named
from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.sync_request import SyncRequest
from datasync_scheduler.ports import ApiCallFailed, ExecutionNotFound, StartRefused, TaskNotFound

SERVICE = "DataSync"
# DataSync's answer for a task or task execution it does not know; the API reference documents
# no other error for a well-formed ARN it once gave out (docs/aws-facts.md#deleted-tasks).
NOT_FOUND = "InvalidRequestException"


class DataSyncThrottled(Exception):
    """DataSync throttled the start; nothing was started, so the workflow retries it."""


class DataSyncUnavailable(Exception):
    """The start failed in a way that may have started an execution (an internal error, a lost
    response). The workflow retries it; the retry adopts an execution that did start."""


# Executions whose tags are looked at when a start is retried; a retry comes seconds later, while
# the execution it may have started is still among the task's unfinished ones.
ADOPTION_LOOKUPS = 50


class DataSync:
    def __init__(self, datasync_client: Any | None = None, clients: TaskClients | None = None) -> None:
        """Each call goes to the Region and account of the task it is about (`clients`), or to
        `datasync_client` for every call when one is given."""
        self._clients = clients or TaskClients("datasync", fixed=datasync_client)

    def start(self, request: SyncRequest, tags: dict[str, str], scope: dict[str, Any] | None = None) -> str:
        """Starts the task; `scope` narrows a retry to a manifest (`manifest`) or an Includes filter."""
        params: dict[str, Any] = {
            "TaskArn": request.taskArn,
            "Tags": [{"Key": key, "Value": value} for key, value in tags.items()],
        }
        if overrides := request.overrides.as_api():
            params["OverrideOptions"] = overrides
        if request.includes:
            params["Includes"] = [{"FilterType": "SIMPLE_PATTERN", "Value": request.includes}]
        if request.excludes:
            params["Excludes"] = [{"FilterType": "SIMPLE_PATTERN", "Value": request.excludes}]
        if scope and scope.get("kind") == "includes":
            params["Includes"] = [{"FilterType": "SIMPLE_PATTERN", "Value": scope["includes"]}]
            if scope.get("excludes"):
                # The first attempt's exclude filter, stated again: see RetryScope.excludes.
                params["Excludes"] = [{"FilterType": "SIMPLE_PATTERN", "Value": scope["excludes"]}]
        if scope and scope.get("kind") == "manifest":
            manifest = scope["manifest"]
            params["ManifestConfig"] = {
                "Action": "TRANSFER",
                "Format": "CSV",
                "Source": {
                    "S3": {
                        "ManifestObjectPath": manifest["key"],
                        "BucketAccessRoleArn": manifest["roleArn"],
                        # The bucket is in the task's partition (aws, aws-cn, aws-us-gov, ...).
                        # docs/aws-facts.md#step-functions-and-cloudformation-names
                        "S3BucketArn": f"arn:{partition_of(request.taskArn)}:s3:::{manifest['bucket']}",
                    }
                },
            }
        try:
            return str(self._clients.about(request.taskArn).start_task_execution(**params)["TaskExecutionArn"])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message", str(error))
            if code == "InvalidRequestException":
                raise StartRefused(message) from error
            if code == "ThrottlingException":
                raise DataSyncThrottled(message) from error
            if code == "InternalException":
                raise DataSyncUnavailable(message) from error
            raise

    def find_started(self, task_arn: str, tags: dict[str, str]) -> str | None:
        """An unfinished execution of the task that carries all of `tags` (one this workflow started)."""
        wanted = set(tags.items())
        looked = 0
        try:
            with transient_errors_named(SERVICE, "ListTaskExecutions"):
                pages = list(
                    self._clients.about(task_arn).get_paginator("list_task_executions").paginate(TaskArn=task_arn)
                )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "InvalidRequestException":
                # The task does not exist (or is not ours to list): the start would be refused too.
                raise StartRefused(error.response["Error"].get("Message", str(error))) from error
            raise
        for page in pages:
            for item in page.get("TaskExecutions", []):
                if item.get("Status") in ("SUCCESS", "ERROR"):
                    continue
                looked += 1
                if looked > ADOPTION_LOOKUPS:
                    return None
                arn = str(item["TaskExecutionArn"])
                with transient_errors_named(SERVICE, "ListTagsForResource"):
                    found = self._clients.about(arn).list_tags_for_resource(ResourceArn=arn).get("Tags", [])
                if wanted <= {(tag["Key"], tag.get("Value", "")) for tag in found}:
                    return arn
        return None

    def describe(self, execution_arn: str) -> ExecutionSnapshot:
        try:
            with transient_errors_named(SERVICE, "DescribeTaskExecution"):
                response = self._clients.about(execution_arn).describe_task_execution(TaskExecutionArn=execution_arn)
        except ClientError as error:
            if _code(error) == NOT_FOUND:
                raise ExecutionNotFound(api_call_failed(error).cause) from error
            raise
        return ExecutionSnapshot.from_api(response)

    def cancel(self, execution_arn: str) -> None:
        with transient_errors_named(SERVICE, "CancelTaskExecution"):
            self._clients.about(execution_arn).cancel_task_execution(TaskExecutionArn=execution_arn)

    def task(self, task_arn: str) -> TaskFacts:
        try:
            with transient_errors_named(SERVICE, "DescribeTask"):
                response = self._clients.about(task_arn).describe_task(TaskArn=task_arn)
        except ClientError as error:
            if _code(error) == NOT_FOUND:
                raise TaskNotFound(api_call_failed(error).cause) from error
            raise api_call_failed(error) from error
        return TaskFacts.from_api(response)

    def task_name(self, task_arn: str) -> str | None:
        try:
            return self.task(task_arn).name
        except ApiCallFailed:
            return None  # a name is only decoration for the message


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def partition_of(arn: str) -> str:
    """An ARN's partition: `arn:<partition>:<service>:…`."""
    return arn.split(":", 2)[1]
