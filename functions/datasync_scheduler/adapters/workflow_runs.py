"""Reads how a SyncWorkflow execution ended, from Step Functions (DescribeExecution)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import client


class WorkflowRuns:
    def __init__(self, sfn_client: Any | None = None) -> None:
        self._client = sfn_client or client("stepfunctions")

    def described(self, execution_arn: str) -> dict[str, str] | None:
        """`{executionArn, status, error, cause}`, or None when no such execution was ever started."""
        try:
            described = self._client.describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return None
            raise
        return {key: str(described.get(key) or "") for key in ("executionArn", "status", "error", "cause")}
