"""Reads how a SyncWorkflow execution ended, from Step Functions (DescribeExecution)."""

from __future__ import annotations

from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from datasync_scheduler.adapters.aws_clients import client


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
