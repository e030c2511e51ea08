"""The complete list of an execution's failed files: JSON Lines in S3, streamed both ways."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable, Iterator
from typing import Any

from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import client
from datasync_scheduler.adapters.s3_lines import PART_SIZE, S3LineUpload, read_lines, split_location
from datasync_scheduler.domain.failures import FileFailure


def failure_line(failure: FileFailure) -> bytes:
    """One failure as a line of the report."""
    return json.dumps(failure.to_dict(), ensure_ascii=False).encode() + b"\n"


class S3FailureReport:
    def __init__(self, bucket: str, key: str, s3_client: Any | None = None, part_size: int = PART_SIZE) -> None:
        self._upload = S3LineUpload(bucket, key, "application/x-ndjson", s3_client, part_size)

    @property
    def location(self) -> str:
        return self._upload.location

    def store(self, failures: Iterable[FileFailure]) -> str | None:
        """Writes every failure as the report and returns its location; without any failure, writes
        nothing and returns None."""
        remaining = iter(failures)
        first = next(remaining, None)
        if first is None:
            return None
        return self._upload.write(map(failure_line, itertools.chain((first,), remaining)))


def read_failure_report(location: str, s3_client: Any | None = None) -> Iterator[dict[str, Any]]:
    for line in read_lines(location, s3_client):
        if line.strip():
            yield json.loads(line)


def read_failure_report_if_any(location: str, s3_client: Any | None = None) -> Iterator[dict[str, Any]] | None:
    """The report's items, or None when there is no such object (NoSuchKey: the caller may list the
    bucket, else S3 answers AccessDenied instead; docs/aws-facts.md#a-runs-input-and-failure-report)."""
    bucket, key = split_location(location)
    try:
        body = (s3_client or client("s3")).get_object(Bucket=bucket, Key=key)["Body"]
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "NoSuchKey":
            return None
        raise
    return (json.loads(line) for line in body.iter_lines() if line.strip())
