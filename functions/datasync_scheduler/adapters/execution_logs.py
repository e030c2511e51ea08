"""One execution's DataSync log events from CloudWatch Logs.

FilterLogEvents is bounded by the execution's time window and asks the server to keep only lines
that can matter; the parser stays correct when the server ignores the pattern (moto does) or a
page is empty while `nextToken` says more remain. CloudWatch Logs allows 5 requests per second per
account and Region, shared with everyone: throttling is waited out, not failed on.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import client, port_error

# Basic mode: the lines that open or continue a verification group, and per-file errors and
# warnings. Hash lines carry no path, so they are asked for by their own words.
BASIC_FILTER = (
    '?"[ERROR]" ?"[WARN]" ?"Verification failed" ?"srcMeta:" ?"srcHash:" ?"dstMeta:" ?"dstHash:" ?"Deferred error"'
)
# Enhanced mode: JSON events that carry an error code.
ENHANCED_FILTER = "{ $.ErrorCode = * }"
MAX_ATTEMPTS = 8


class LogGroupMissing(Exception):
    """The log group does not exist (never created, deleted, or in another Region)."""


class ExecutionLogs:
    def __init__(self, logs_client: Any | None = None, sleep: Callable[[float], None] = time.sleep) -> None:
        self._client = logs_client or client("logs")
        self._sleep = sleep
        self.requests = 0

    def events(
        self, log_group: str, start: datetime, end: datetime, filter_pattern: str | None = None
    ) -> Iterator[tuple[str, str]]:
        """(message, stream name) of every event in the window, page by page, in the server's order."""
        params: dict[str, Any] = {
            "logGroupName": log_group,
            "startTime": int(start.timestamp() * 1000),
            "endTime": int(end.timestamp() * 1000),
        }
        if filter_pattern:
            params["filterPattern"] = filter_pattern
        while True:
            page = self._page(params)
            for event in page.get("events", []):
                yield str(event.get("message", "")), str(event.get("logStreamName", ""))
            token = page.get("nextToken")
            if not token:
                return
            params["nextToken"] = token  # an empty page with a token means: keep going

    def _page(self, params: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(MAX_ATTEMPTS):
            self.requests += 1
            try:
                return dict(self._client.filter_log_events(**params))
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code")
                if code == "ResourceNotFoundException":
                    raise LogGroupMissing(params["logGroupName"]) from error
                if code not in ("ThrottlingException", "LimitExceededException") or attempt == MAX_ATTEMPTS - 1:
                    # Throttling past these tries, or a server error, is ServiceUnreachable: Analyze
                    # Run then fails and the workflow waits the outage out (its Retry).
                    raise port_error(error, "CloudWatch Logs") from error
                # Full jitter: callers throttled together should not retry together.
                self._sleep(random.uniform(0, min(20.0, 0.25 * 2**attempt)))  # noqa: S311 - not cryptography
        raise AssertionError("unreachable")
