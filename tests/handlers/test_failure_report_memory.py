"""A failure report far larger than a part is uploaded holding about one part in memory, whatever its
size: the failures stream from their source through s3transfer to S3, never held whole.

S3 is botocore's Stubber here, not moto: moto keeps every part it receives in memory, which would
be counted as the upload's own."""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from typing import Any

import boto3
from botocore.stub import ANY, Stubber

from datasync_scheduler.adapters.failure_report import S3FailureReport
from datasync_scheduler.adapters.s3_lines import LineStream
from datasync_scheduler.domain.failures import FileFailure

MIB = 1024 * 1024
PART = 5 * MIB
REPORT = 48 * MIB


def failures(total_bytes: int) -> Iterator[FileFailure]:
    """Failures with long paths, made one at a time, about `total_bytes` as the report's lines."""
    written = index = 0
    while written < total_bytes:
        path = f"/projects/run-{index:08d}/" + "deep/" * 180 + "file.dat"
        written += len(path) + 80
        index += 1
        yield FileFailure(path, "transient_error", "ERROR", {"detail": "Connection reset by peer"})


def part_size(params: dict[str, Any]) -> int:
    body = params["Body"]
    size = len(body.read())
    body.seek(0)
    return size


def stubbed_s3(parts: int) -> tuple[Any, Stubber, list[int]]:
    """An S3 client that answers one multipart upload of `parts` parts, and the size of each part sent."""
    s3 = boto3.client("s3", region_name="us-east-1", aws_access_key_id="k", aws_secret_access_key="s")
    stubber = Stubber(s3)
    stubber.add_response("create_multipart_upload", {"UploadId": "upload-1"}, None)
    for number in range(1, parts + 1):
        stubber.add_response("upload_part", {"ETag": f'"etag-{number}"'}, None)
    stubber.add_response(
        "complete_multipart_upload",
        {},
        {"Bucket": "reports", "Key": ANY, "UploadId": "upload-1", "MultipartUpload": ANY},
    )
    sizes: list[int] = []
    s3.meta.events.register("before-parameter-build.s3.UploadPart", lambda params, **_: sizes.append(part_size(params)))
    return s3, stubber, sizes


def test_a_report_of_48_mib_is_uploaded_in_parts_holding_about_one_part() -> None:
    parts = -(-int(REPORT * 1.02) // PART)  # the report is a little over REPORT: its last line passes it
    s3, stubber, sizes = stubbed_s3(parts)
    report = S3FailureReport("reports", "failure-reports/task-1/exec-1.jsonl", s3, part_size=PART)
    with stubber:
        tracemalloc.start()
        try:
            location = report.store(failures(REPORT))
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        stubber.assert_no_pending_responses()
    assert location == "s3://reports/failure-reports/task-1/exec-1.jsonl"
    assert sum(sizes) > REPORT and all(size == PART for size in sizes[:-1])
    # A part being read, a part being sent (s3transfer's copy of it), and the stream's one line.
    assert peak < 3 * PART, f"peak {peak / MIB:.1f} MiB for a {sum(sizes) / MIB:.0f} MiB report"


def test_the_stream_answers_exactly_the_bytes_asked_for_and_buffers_at_most_one_read_and_a_line() -> None:
    lines = [f"{index:05d}".encode() * (index % 7 + 1) + b"\n" for index in range(5_000)]
    stream = LineStream(iter(lines))
    read: list[bytes] = []
    while chunk := stream.read(1_000):
        read.append(chunk)
    assert all(len(chunk) == 1_000 for chunk in read[:-1]) and 0 < len(read[-1]) <= 1_000
    assert b"".join(read) == b"".join(lines)
    assert stream.peak_buffered < 1_000 + max(map(len, lines))
