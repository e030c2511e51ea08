"""Reads how a SyncWorkflow execution ended, and the input it was started with, from Step Functions
(DescribeExecution)."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from datasync_scheduler.adapters.aws_clients import client, transient_errors_named


class WorkflowRuns:
    def __init__(self, sfn_client: Any | None = None) -> None:
        self._client = sfn_client or client("stepfunctions")

    def described(self, execution_arn: str) -> dict[str, str] | None:
        """`{executionArn, status, error, cause}`, or None when it cannot be read.

        None also when no such execution was ever started. The description only adds the run's cause to
        the batch's message, which names the error without it: a failing read must not cost the batch
        its message.
        """
        try:
            described = self._client.describe_execution(executionArn=execution_arn)
        except (ClientError, BotoCoreError):
            return None
        return {key: str(described.get(key) or "") for key in ("executionArn", "status", "error", "cause")}

    def input_of(self, execution_arn: str) -> Any | None:
        """The JSON input the execution was started with; None when Step Functions does not know the
        execution (ExecutionDoesNotExist: never started, or past the history's retention;
        docs/aws-facts.md#a-runs-input-and-failure-report). An error that passes raises
        `ServiceUnreachable`; any other, `ClientError`."""
        try:
            with transient_errors_named("Step Functions", "DescribeExecution"):
                described = self._client.describe_execution(executionArn=execution_arn)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ExecutionDoesNotExist":
                return None
            raise
        return json.loads(described.get("input") or "null")
