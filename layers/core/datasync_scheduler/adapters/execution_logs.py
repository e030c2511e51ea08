"""One execution's DataSync log events from CloudWatch Logs.

FilterLogEvents is bounded by the execution's time window and asks the server to keep only lines
that can matter; the parser stays correct when the server ignores the pattern (moto does) or a
page is empty while `nextToken` says more remain. Throttling (CloudWatch Logs' request rate is
shared by the whole account) is waited out by botocore's standard retry mode, configured where the
client is built (`aws_clients.config`); what still fails after its attempts is an outage.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import client, port_error
from datasync_scheduler.ports import LogGroupMissing as LogGroupMissing  # part of the port; named here too

# Basic mode: the lines that open or continue a verification group, and per-file errors and
# warnings. Hash lines carry no path, so they are asked for by their own words.
BASIC_FILTER = (
    '?"[ERROR]" ?"[WARN]" ?"Verification failed" ?"srcMeta:" ?"srcHash:" ?"dstMeta:" ?"dstHash:" ?"Deferred error"'
)
# Enhanced mode: JSON events that carry an error code.
ENHANCED_FILTER = "{ $.ErrorCode = * }"


class ExecutionLogs:
    def __init__(self, logs_client: Any | None = None) -> None:
        """`logs_client` is in the task's Region and account (aws_clients.TaskClients.about)."""
        self._client = logs_client or client("logs")

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
        # Paged here, not by botocore's paginator: the paginator fails when a page repeats the
        # previous page's token, which FilterLogEvents has been seen to do on empty pages
        # (docs/aws-facts.md#cloudwatch-logs-paging).
        while True:
            page = self._page(params)
            for event in page.get("events", []):
                yield str(event.get("message", "")), str(event.get("logStreamName", ""))
            token = page.get("nextToken")
            if not token:
                return
            params["nextToken"] = token  # an empty page with a token means: keep going

    def _page(self, params: dict[str, Any]) -> dict[str, Any]:
        try:
            return dict(self._client.filter_log_events(**params))
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
                raise LogGroupMissing(params["logGroupName"]) from error
            # Throttling past botocore's attempts is ServiceThrottled, a server error
            # ServiceUnreachable: Analyze Run then fails and the workflow waits the outage out.
            raise port_error(error, "CloudWatch Logs") from error
