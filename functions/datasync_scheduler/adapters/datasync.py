"""DataSync through boto3."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import client
from datasync_scheduler.domain.analysis import TaskFacts
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.sync_request import SyncRequest


class StartRefused(Exception):
    """DataSync rejected the start (bad task, bad options, busy task without queueing): permanent."""


class DataSyncThrottled(Exception):
    """DataSync throttled the start; nothing was started, so the workflow retries it."""


class DataSync:
    def __init__(self, datasync_client: Any | None = None) -> None:
        self._client = datasync_client or client("datasync")

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
        if scope and scope.get("kind") == "manifest":
            manifest = scope["manifest"]
            params["ManifestConfig"] = {
                "Action": "TRANSFER",
                "Format": "CSV",
                "Source": {
                    "S3": {
                        "ManifestObjectPath": manifest["key"],
                        "BucketAccessRoleArn": manifest["roleArn"],
                        "S3BucketArn": f"arn:aws:s3:::{manifest['bucket']}",
                    }
                },
            }
        try:
            return str(self._client.start_task_execution(**params)["TaskExecutionArn"])
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            message = error.response.get("Error", {}).get("Message", str(error))
            if code == "InvalidRequestException":
                raise StartRefused(message) from error
            if code == "ThrottlingException":
                raise DataSyncThrottled(message) from error
            raise

    def describe(self, execution_arn: str) -> ExecutionSnapshot:
        return ExecutionSnapshot.from_api(self._client.describe_task_execution(TaskExecutionArn=execution_arn))

    def cancel(self, execution_arn: str) -> None:
        self._client.cancel_task_execution(TaskExecutionArn=execution_arn)

    def task(self, task_arn: str) -> TaskFacts:
        return TaskFacts.from_api(self._client.describe_task(TaskArn=task_arn))

    def task_name(self, task_arn: str) -> str | None:
        try:
            return self.task(task_arn).name
        except ClientError:
            return None  # a name is only decoration for the message
