"""Line-oriented S3 objects written and read as streams, never held whole.

Writing is boto3's managed upload (`upload_fileobj`, s3transfer) reading the lines as a stream that
cannot seek. It reads one part ahead: an object smaller than a part is one PutObject, a larger one
goes in parts of `part_size`, one at a time, so memory stays near one part however many lines there
are. When anything fails after the multipart upload was created, S3's refusal of a part or the
lines' own source raising, s3transfer aborts the upload, so no half-written object is left billed
(docs/aws-facts.md#s3-managed-uploads).
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable, Iterator
from typing import Any

from boto3.s3.transfer import TransferConfig

from datasync_scheduler.adapters.aws_clients import client, named_api_errors

# S3's smallest part is 5 MiB, except the last; s3transfer raises a smaller part size to it.
# 8 MiB is s3transfer's own default: a few dozen parts for the largest failure report a run makes,
# far from S3's 10,000, and two parts' worth of memory is little beside a function's.
PART_SIZE = 8 * 1024 * 1024


def transfer_config(part_size: int = PART_SIZE) -> TransferConfig:
    """One part at a time, in the caller's thread.

    No threads: the lines are often produced while they are read (a failure report streams out of
    the execution's logs), and a part sent in the background would mean parts read ahead, each held
    in memory, and the source's own AWS calls made from s3transfer's threads. The classic transfer
    client, never the CRT one boto3 may pick where awscrt is installed: the behaviour cited in
    docs/aws-facts.md#s3-managed-uploads is s3transfer's. Lambda's runtime brings its own boto3,
    whose version AWS does not fix: a boto3 older than the CRT client has no such setting and only
    the classic client, so the setting is given only where boto3 knows it."""
    classic: dict[str, Any] = {"preferred_transfer_client": "classic"} if _KNOWS_TRANSFER_CLIENTS else {}
    return TransferConfig(multipart_threshold=part_size, multipart_chunksize=part_size, use_threads=False, **classic)


_KNOWS_TRANSFER_CLIENTS = "preferred_transfer_client" in inspect.signature(TransferConfig).parameters


class LineStream:
    """`lines` as a binary stream that cannot seek, for `upload_fileobj`.

    `read(size)` answers exactly `size` bytes until the lines run out, then what is left, then b""
    (a shorter answer before the end would make a part smaller than S3 takes, or the whole rest one
    PutObject: docs/aws-facts.md#s3-managed-uploads). It holds at most one read's bytes plus one line.
    `peak_buffered` is the most it ever held, for the tests of the memory bound."""

    def __init__(self, lines: Iterable[bytes]) -> None:
        self._lines = iter(lines)
        self._buffer = bytearray()
        self.peak_buffered = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def read(self, size: int = -1) -> bytes:
        buffer = self._buffer
        while size < 0 or len(buffer) < size:
            line = next(self._lines, None)
            if line is None:
                break
            buffer += line
        self.peak_buffered = max(self.peak_buffered, len(buffer))
        if size < 0 or size >= len(buffer):
            data = bytes(buffer)
            buffer.clear()
        else:
            data = bytes(memoryview(buffer)[:size])
            del buffer[:size]
        return data


class S3LineUpload:
    def __init__(
        self, bucket: str, key: str, content_type: str, s3_client: Any | None = None, part_size: int = PART_SIZE
    ) -> None:
        self.bucket = bucket
        self.key = key
        self._content_type = content_type
        self._client = s3_client or client("s3")
        self._config = transfer_config(part_size)

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.key}"

    def write(self, lines: Iterable[bytes]) -> str:
        """Writes the object whose content is every line in order (no lines: an empty object) and
        returns its s3:// location. Raises `ApiCallFailed` when S3 refuses it; an exception `lines`
        raises propagates as it is. Either way no multipart upload is left behind."""
        with named_api_errors():
            self._client.upload_fileobj(
                LineStream(lines),
                self.bucket,
                self.key,
                ExtraArgs={"ContentType": self._content_type},
                Config=self._config,
            )
        return self.location


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
