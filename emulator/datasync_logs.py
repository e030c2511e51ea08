"""What the emulated DataSync writes to CloudWatch Logs about a failed file, and how it gets there.

Line formats follow the DataSync User Guide examples in `tests/fixtures/aws/logs/`
(docs/aws-facts.md#datasync-logs), and `tests/emulator/test_datasync_logs.py` holds the lines written
here to those forms. Where the guide shows no example, the choice made here is marked "invented" so
nobody mistakes it for observed behaviour. The task reports (`emulator.datasync_reports`) take their
reasons, error codes and hashes from here, so a report and the log lines of the same execution agree.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from typing import Any

from botocore.exceptions import ClientError

# Found only by verification (written while VERIFYING) or while copying (written while TRANSFERRING).
VERIFICATION_KINDS = frozenset({"checksum", "metadata", "only_at_destination", "destination_vanished"})
TRANSFER_KINDS = frozenset({"source_vanished", "access_denied", "transfer_failed", "read_error", "write_error"})
FAILURE_KINDS = VERIFICATION_KINDS | TRANSFER_KINDS

# "Connection reset by peer" is one of the transient causes the guide names for failed transfers.
DEFAULT_TRANSFER_FAILURE_REASON = "Connection reset by peer"

# Enhanced-mode ErrorCode/ErrorDetail per kind. Documented: FileNotAtSource and MetadataDiffers (with
# their details) and the AccessDenied code. Invented: every other code, and the AccessDenied detail.
_ENHANCED_ERRORS: dict[str, tuple[str, str]] = {
    "only_at_destination": (
        "FileNotAtSource",
        "Verification failed due to file being present at the destination but not at the source",
    ),
    "metadata": ("MetadataDiffers", "Verification failed due to a difference in metadata"),
    "access_denied": ("AccessDenied", "Access denied while reading the source file metadata"),  # detail invented
    "checksum": ("ChecksumDiffers", "Verification failed due to a difference in file content"),  # invented
    "destination_vanished": (  # invented
        "FileNotAtDestination",
        "Verification failed due to file being present at the source but not at the destination",
    ),
    "source_vanished": ("SourceFileNotFound", "Failed to open source file: No such file or directory"),  # invented
    "read_error": (  # invented, code and detail; the Basic line it mirrors is documented
        "SourceReadError",
        "Failed to read metadata for directory at the source: No data available",
    ),
    "write_error": (  # invented, code and detail
        "DestinationWriteError",
        "Failed to write extended attributes at the destination: Operation not supported",
    ),
}

# CloudWatch Logs PutLogEvents limits [LOGS]: events and bytes per call (26 bytes of overhead per
# event), and one call may not span more than 24 hours.
_MAX_EVENTS_PER_CALL = 10_000
_MAX_BYTES_PER_CALL = 1_048_576
_EVENT_OVERHEAD_BYTES = 26
_MAX_SPAN_MS = 24 * 3600 * 1000


@dataclass(frozen=True)
class FailedFile:
    """One file the scripted execution fails on, as DataSync would report it."""

    path: str  # relative to the location root, starting with "/" as Basic-mode lines show it
    kind: str  # one of FAILURE_KINDS
    reason: str | None = None  # only for transfer_failed: the text after "Failed to transfer file PATH: "
    # False: DataSync counts the failure, but no log line names it (a line the analysis never sees).
    logged: bool = True

    def __post_init__(self) -> None:
        if self.kind not in FAILURE_KINDS:
            raise ValueError(f"kind must be one of {sorted(FAILURE_KINDS)}, not {self.kind!r}")
        if not self.path.startswith("/") or self.path == "/":
            raise ValueError(f"path must be a file path starting with '/', not {self.path!r}")
        if self.reason is not None and self.kind != "transfer_failed":
            raise ValueError("reason is only used by kind transfer_failed")

    @property
    def phase(self) -> str:
        """The execution status during which DataSync finds (and logs) this failure."""
        return "VERIFYING" if self.kind in VERIFICATION_KINDS else "TRANSFERRING"


@dataclass
class LogStream:
    """Where one execution's lines go. DataSync creates its streams itself; `created` remembers that."""

    group: str
    name: str
    created: bool = False


def basic_lines(failed: FailedFile) -> list[str]:
    """The Basic-mode (plain text) events for one failed file, in the order DataSync writes them."""
    path = failed.path
    source = FileMetadata.of_source(path)
    source_hash, destination_hash = checksums(failed)
    match failed.kind:
        case "checksum":  # the file changed during the run: other content, size and mtime
            assert source_hash is not None and destination_hash is not None
            changed = replace(source, size=source.size + 1 + int(source_hash[:3], 16), mtime=_later(source.mtime))
            return _verification_group("<>", path, source, source_hash, changed, destination_hash)
        case "metadata":  # same content, other mtime
            assert source_hash is not None and destination_hash is not None
            touched = replace(source, mtime=_later(source.mtime))
            return _verification_group("<>", path, source, source_hash, touched, destination_hash)
        case "only_at_destination":
            return [
                f"[NOTICE] Verification failed > {path}",
                f"[NOTICE] {path}   dstMeta: {source.render()}",
                f"[NOTICE]   dstHash: {destination_hash}",
            ]
        case "destination_vanished":
            # The guide documents size/atime/mtime/extAttrsHash of a vanished destination; keeping the
            # source's type, mode, uid and gid on that line is a choice.
            assert source_hash is not None and destination_hash is not None
            vanished = replace(source, size=0, atime="0/0", mtime="0/0")
            return _verification_group("<>", path, source, source_hash, vanished, destination_hash)
        case "source_vanished":
            return [f"[ERROR] Failed to open source file {path}: {transfer_failure_reason(failed)}"]
        case "access_denied":
            return [f"[WARN] Failed to read metadata for file {path}: {transfer_failure_reason(failed)}"]
        case "read_error":  # the form the troubleshooting guide shows; PATH names a directory there
            return [f"[ERROR] Failed to read metadata for directory {path}: {transfer_failure_reason(failed)}"]
        case "write_error":
            # The guide shows `Deferred error: WriteFileExtAttr2 failed to setextattrlist(filename="…")…`;
            # the tail after the closing parenthesis (": Operation not supported") is invented.
            return [
                f'[ERROR] Deferred error: WriteFileExtAttr2 failed to setextattrlist(filename="{path}"): '
                f"{transfer_failure_reason(failed)}"
            ]
        case _:  # transfer_failed
            return [f"[ERROR] Failed to transfer file {path}: {transfer_failure_reason(failed)}"]


def enhanced_line(failed: FailedFile, source_location_id: str, destination_location_id: str) -> str:
    """The Enhanced-mode JSON event for one failed file.

    The real events also carry the destination's `Metadata`, whose content depends on the location
    type; the emulator leaves it out, so readers must not need it.
    """
    relative_path = failed.path[1:]  # Enhanced mode writes paths without the leading "/"
    code, detail = enhanced_error(failed)
    event = {
        "Action": "VERIFY" if failed.kind in VERIFICATION_KINDS else "TRANSFER",
        "Source": {"LocationId": source_location_id, "RelativePath": relative_path},
        "Destination": {"LocationId": destination_location_id, "RelativePath": relative_path},
        "ErrorCode": code,
        "ErrorDetail": detail,
    }
    # Compact and non-ASCII verbatim, like the guide's example.
    return json.dumps(event, ensure_ascii=False, separators=(",", ":"))


# -- what the log lines and the task reports share -------------------------------------------------------


def enhanced_error(failed: FailedFile) -> tuple[str, str]:
    """The Enhanced-mode (ErrorCode, ErrorDetail) of a failed file."""
    if failed.kind == "transfer_failed":
        return "TransferFailed", transfer_failure_reason(failed)  # code invented
    return _ENHANCED_ERRORS[failed.kind]


def transfer_failure_reason(failed: FailedFile) -> str:
    """For a failure found while transferring: the text its Basic line gives after the path."""
    if failed.kind == "transfer_failed":
        return failed.reason or DEFAULT_TRANSFER_FAILURE_REASON
    return _TRANSFER_FAILURE_REASONS[failed.kind]


_TRANSFER_FAILURE_REASONS = {
    "source_vanished": "No such file or directory",
    "access_denied": "S3 Head Object Failed",
    "read_error": "No data available",
    "write_error": "Operation not supported",  # invented (see basic_lines)
}


def checksums(failed: FailedFile) -> tuple[str | None, str | None]:
    """The (source, destination) SHA-256 hex digests verification finds for a failed file, as its Basic
    lines show them. None for a side without a hash line (the source of an item only at the
    destination), and both None for failures found while transferring, which verification never sees."""
    content = content_checksum(failed.path)
    match failed.kind:
        case "checksum":
            return content, _sha256("changed", failed.path)
        case "metadata":
            return content, content
        case "only_at_destination":
            return None, content
        case "destination_vanished":
            return content, "0" * 64  # the documented hash of a vanished destination
        case _:
            return None, None


def content_checksum(path: str) -> str:
    """The deterministic SHA-256 of a source file's (emulated) content."""
    return _sha256("content", path)


def write_events(client: Any, stream: LogStream, events: Sequence[tuple[int, str]]) -> None:
    """Writes (epoch ms, message) events, in time order, to `stream` through a CloudWatch Logs client.

    A missing log group means nothing is written, as for real DataSync. Events the service rejects
    for their timestamps raise: with virtual time that means the logs backend runs on real time.
    """
    if not stream.created:
        created = _unless_group_missing(
            functools.partial(client.create_log_stream, logGroupName=stream.group, logStreamName=stream.name)
        )
        if created is None:
            return
        stream.created = True
    for batch in _batches(events):
        response = _unless_group_missing(
            functools.partial(
                client.put_log_events, logGroupName=stream.group, logStreamName=stream.name, logEvents=batch
            )
        )
        if response is None:
            return
        if response.get("rejectedLogEventsInfo"):
            raise RuntimeError(
                f"CloudWatch Logs rejected DataSync events for {stream.group}/{stream.name} "
                f"({response['rejectedLogEventsInfo']}): their virtual timestamps are outside the window the "
                "logs backend accepts around its own clock; run that backend on the virtual clock"
            )


def _unless_group_missing(call: Callable[[], dict[str, Any]]) -> dict[str, Any] | None:
    """The response of `call`, or None when the log group does not exist. An existing stream is fine."""
    try:
        return call()
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return None
        if code == "ResourceAlreadyExistsException":
            return {}
        raise


def _batches(events: Sequence[tuple[int, str]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    size = 0
    for timestamp, message in events:
        event_size = len(message.encode("utf-8", "surrogatepass")) + _EVENT_OVERHEAD_BYTES
        if batch and (
            len(batch) == _MAX_EVENTS_PER_CALL
            or size + event_size > _MAX_BYTES_PER_CALL
            or timestamp - batch[0]["timestamp"] > _MAX_SPAN_MS
        ):
            yield batch
            batch, size = [], 0
        batch.append({"timestamp": timestamp, "message": message})
        size += event_size
    if batch:
        yield batch


def _verification_group(
    marker: str, path: str, source: FileMetadata, source_hash: str, destination: FileMetadata, destination_hash: str
) -> list[str]:
    # The hash lines carry no path: readers attach them to the preceding "Verification failed" line.
    return [
        f"[NOTICE] Verification failed {marker} {path}",
        f"[NOTICE] {path}   srcMeta: {source.render()}",
        f"[NOTICE]   srcHash: {source_hash}",
        f"[NOTICE] {path}   dstMeta: {destination.render()}",
        f"[NOTICE]   dstHash: {destination_hash}",
    ]


@dataclass(frozen=True)
class FileMetadata:
    """A regular file's POSIX metadata as Basic-mode verification lines render it (the task reports reuse it)."""

    mode: str
    uid: int
    gid: int
    size: int
    atime: str  # "seconds/nanoseconds"
    mtime: str

    @classmethod
    def of_source(cls, path: str) -> FileMetadata:
        """Plausible, deterministic metadata derived from the path, so reruns write identical lines."""
        digest = _sha256("metadata", path)
        mtime = 1_600_000_000 + int(digest[0:7], 16) % 60_000_000
        atime = mtime + int(digest[7:12], 16) % 1_000_000
        return cls(
            mode="0644",
            uid=1000,
            gid=1000,
            size=1 + int(digest[12:20], 16) % 50_000_000,
            atime=f"{atime}/{int(digest[20:28], 16) % 1_000_000_000}",
            mtime=f"{mtime}/{int(digest[28:36], 16) % 1_000_000_000}",
        )

    def render(self) -> str:
        return (
            f"type=R mode={self.mode} uid={self.uid} gid={self.gid} size={self.size} "
            f"atime={self.atime} mtime={self.mtime} extAttrsHash=0"
        )


def _later(mtime: str) -> str:
    seconds, nanoseconds = mtime.split("/")
    return f"{int(seconds) + 3600}/{nanoseconds}"


def _sha256(label: str, path: str) -> str:
    # surrogatepass: file names are arbitrary bytes and may reach us as lone surrogates.
    return hashlib.sha256(f"{label}\0{path}".encode("utf-8", "surrogatepass")).hexdigest()
