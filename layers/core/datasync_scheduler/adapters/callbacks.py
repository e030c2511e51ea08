"""Resumes a workflow waiting on a Step Functions task token."""

from __future__ import annotations

import json
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import client

# The waiting task is gone: it timed out (the fallback check took over) or was already resumed.
# docs/aws-facts.md#the-run-ledger-and-task-tokens
_STALE_TOKEN_ERRORS = frozenset({"TaskTimedOut", "InvalidToken", "TaskDoesNotExist"})


class StepFunctionsCallbacks:
    def __init__(self, sfn_client: Any | None = None) -> None:
        self._client = sfn_client or client("stepfunctions")

    def resume(self, token: str, output: Any) -> bool:
        try:
            self._client.send_task_success(taskToken=token, output=json.dumps(output))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in _STALE_TOKEN_ERRORS:
                return False
            raise
        return True
