"""DataSync task reports in S3: the detailed report files of one execution, one JSON file at a time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from datasync_scheduler.adapters.aws_clients import client, named_api_errors


class TaskReports:
    def __init__(self, s3_client: Any | None = None) -> None:
        """`s3_client` is in the task's Region and account (aws_clients.TaskClients.about)."""
        self._client = s3_client or client("s3")

    def detailed_documents(self, bucket: str, prefix: str) -> Iterator[Any]:
        """Each detailed report file under `prefix`, one execution's folder (large reports are split)."""
        for key in self._report_keys(bucket, prefix):
            with named_api_errors():
                body = self._client.get_object(Bucket=bucket, Key=key)["Body"]
            yield json.load(body)  # each file is at most 5 MB

    def has_detailed(self, bucket: str, prefix: str) -> bool:
        """Whether `prefix` holds a report file at all (the listing stops at the first one)."""
        return next(self._report_keys(bucket, prefix), None) is not None

    def _report_keys(self, bucket: str, prefix: str) -> Iterator[str]:
        pages = iter(self._client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix))
        while True:
            with named_api_errors():
                page = next(pages, None)
            if page is None:
                return
            yield from (str(item["Key"]) for item in page.get("Contents", []) if str(item["Key"]).endswith(".json"))
