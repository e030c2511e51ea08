"""Line-oriented S3 objects written and read as streams, never held whole.

Parts of a multipart upload are sent as they fill (S3's minimum part is 5 MiB), so memory stays at
one part however many lines there are; an object smaller than one part is a single PutObject.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from datasync_scheduler.adapters.aws_clients import client, named_api_errors

PART_SIZE = 8 * 1024 * 1024


class S3LineUpload:
    def __init__(
        self, bucket: str, key: str, content_type: str, s3_client: Any | None = None, part_size: int = PART_SIZE
    ) -> None:
        self.bucket = bucket
        self.key = key
        self._content_type = content_type
        self._client = s3_client or client("s3")
        self._part_size = part_size
        self._buffer = bytearray()
        self._upload_id: str | None = None
        self._parts: list[dict[str, Any]] = []
        self.lines = 0

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def write_line(self, line: bytes) -> None:
        self._buffer += line
        self.lines += 1
        if len(self._buffer) >= self._part_size:
            with named_api_errors():
                self._send_part()

    def _send_part(self) -> None:
        if self._upload_id is None:
            self._upload_id = self._client.create_multipart_upload(
                Bucket=self.bucket, Key=self.key, ContentType=self._content_type
            )["UploadId"]
        number = len(self._parts) + 1
        response = self._client.upload_part(
            Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, PartNumber=number, Body=bytes(self._buffer)
        )
        self._parts.append({"PartNumber": number, "ETag": response["ETag"]})
        self._buffer.clear()

    def close(self) -> str:
        """Completes the object; returns its s3:// location. Raises `ApiCallFailed` when S3 refuses it."""
        with named_api_errors():
            return self._complete()

    def _complete(self) -> str:
        if self._upload_id is None:
            self._client.put_object(
                Bucket=self.bucket, Key=self.key, Body=bytes(self._buffer), ContentType=self._content_type
            )
        else:
            if self._buffer:
                self._send_part()
            self._client.complete_multipart_upload(
                Bucket=self.bucket, Key=self.key, UploadId=self._upload_id, MultipartUpload={"Parts": self._parts}
            )
        return self.location

    def abort(self) -> None:
        """Leaves no half-written upload behind (they are billed until a lifecycle rule removes them)."""
        if self._upload_id is not None:
            self._client.abort_multipart_upload(Bucket=self.bucket, Key=self.key, UploadId=self._upload_id)
            self._upload_id = None


def split_location(location: str) -> tuple[str, str]:
    """`s3://bucket/key` → (bucket, key)."""
    if not location.startswith("s3://") or "/" not in location[5:]:
        raise ValueError(f"not an s3:// location: {location!r}")
    bucket, key = location[5:].split("/", 1)
    return bucket, key


def read_lines(location: str, s3_client: Any | None = None) -> Iterator[bytes]:
    """The object's lines, streamed."""
    bucket, key = split_location(location)
    body = (s3_client or client("s3")).get_object(Bucket=bucket, Key=key)["Body"]
    yield from body.iter_lines()
