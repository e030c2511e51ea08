"""What the emulated DataSync writes to S3 as task reports, and how it gets there.

Follows docs/aws-facts.md#datasync-task-reports: a summary report and, for OutputType STANDARD,
detailed reports, as JSON objects under `<Subdirectory>/Summary-Reports/<task-id>/<exec-id>/` and
`<Subdirectory>/Detailed-Reports/<task-id>/<exec-id>/`, named as AWS's own code shows them
(`<exec-id>.files-verified-v1-00001-<17 hex>.json`), no object larger than 5 MB (large reports are
split). Items have the shape of the guide's examples and of AWS's published Verified sample: Basic
`RelativePath` with "/", `SrcMetadata`/`DstMetadata`, `SrcChecksum`/`DstChecksum` as "SHA256:<hex>";
Enhanced `RelativePath` without "/" beside `SourceMetadata`. What no source shows (the summary's keys,
a failed Verified item, Enhanced Verified items) is marked "invented" below.
Reasons, error codes and hashes come from `emulator.datasync_logs`, so an execution's report and its
log lines name the same files with the same failures and checksums.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from emulator.datasync_logs import (
    VERIFICATION_KINDS,
    FailedFile,
    FileMetadata,
    checksums,
    content_checksum,
    enhanced_error,
    transfer_failure_reason,
)

MAX_REPORT_OBJECT_BYTES = 5 * 1024 * 1024  # "Individual task reports can't exceed 5 MB" (the guide)
# With SUCCESSES_AND_ERRORS real DataSync lists every file it handled; a scripted execution of millions
# of files would then cost millions of generated items, megabytes of JSON and many S3 objects per run.
# The emulator lists at most this many successful items per section, with generated names (the script
# names only its failed files): enough for a reader to meet success items and split files, cheap at
# any scale. Counts in the summary stay exact.
MAX_SUCCESS_ITEMS = 100
SECTIONS = ("Transferred", "Verified")  # the emulator never skips or deletes, so no Skipped/Deleted files

# Undocumented defaults, invented: OutputType STANDARD (the richer one), ReportLevel ERRORS_ONLY.
_DEFAULT_OUTPUT_TYPE = "STANDARD"
_DEFAULT_REPORT_LEVEL = "ERRORS_ONLY"

# Basic-mode FailureCode per kind. The guide shows one code (40974 for "S3 Get Object Failed"); these
# are invented in its shape, 0xA000 plus the errno the reason suggests, and identify the kind only.
_BASIC_FAILURE_CODES = {
    "source_vanished": 40962,  # ENOENT
    "access_denied": 40973,  # EACCES
    "transfer_failed": 41064,  # ECONNRESET, whatever the scripted reason
    "read_error": 41021,  # ENODATA
    "write_error": 41055,  # EOPNOTSUPP
}
# Basic-mode FailureReason of a Verified item, invented: checksum and metadata reuse the older generic
# execution-level wording of the logs, the others the Enhanced ErrorDetail.
_BASIC_VERIFY_REASONS = {
    "checksum": "Checksum failure",
    "metadata": "Metadata failure",
}
# ReportResult of a report that could not be written: codes and details invented.
_BUCKET_MISSING = "ReportDestinationNotFound"
_WRITE_FAILED = "ReportWriteFailed"


@dataclass(frozen=True)
class ReportDestination:
    """Where and what an execution reports, from its effective TaskReportConfig."""

    bucket: str  # the put_object Bucket: a bucket name, or an access point ARN as boto3 accepts it
    bucket_arn: str
    prefix: str  # "" or the Subdirectory without outer slashes, plus "/"
    output_type: str  # SUMMARY_ONLY | STANDARD
    levels: Mapping[str, str]  # section -> ERRORS_ONLY | SUCCESSES_AND_ERRORS, after Overrides

    @classmethod
    def from_config(cls, config: Mapping[str, Any] | None) -> ReportDestination | None:
        """None when the config names no S3 destination: then nothing is reported."""
        s3 = ((config or {}).get("Destination") or {}).get("S3")
        if not config or not s3 or not s3.get("S3BucketArn"):
            return None
        bucket_arn = str(s3["S3BucketArn"])
        plain_bucket = bucket_arn.startswith("arn:") and ":s3:::" in bucket_arn
        subdirectory = str(s3.get("Subdirectory") or "").strip("/")
        overrides = config.get("Overrides") or {}
        level = config.get("ReportLevel") or _DEFAULT_REPORT_LEVEL
        return cls(
            bucket=bucket_arn.split(":::", 1)[1] if plain_bucket else bucket_arn,
            bucket_arn=bucket_arn,
            prefix=f"{subdirectory}/" if subdirectory else "",
            output_type=config.get("OutputType") or _DEFAULT_OUTPUT_TYPE,
            levels={section: (overrides.get(section) or {}).get("ReportLevel") or level for section in SECTIONS},
        )


@dataclass(frozen=True)
class ExecutionFacts:
    """What a finished execution reports: everything here is fixed once it is SUCCESS or ERROR."""

    task_arn: str
    execution_arn: str
    mode: str  # BASIC | ENHANCED
    status: str  # SUCCESS | ERROR
    cancelled: bool
    options: Mapping[str, Any]
    result: Mapping[str, Any]  # DescribeTaskExecution's Result
    start_time: datetime
    launch_time: datetime | None
    end_time: datetime
    files_transferred: int
    bytes_transferred: int
    files_verified: int
    sections: tuple[str, ...]  # of SECTIONS, those whose phase the execution entered
    failures: tuple[FailedFile, ...]  # those that happened, in time order


@dataclass(frozen=True)
class ReportObject:
    key: str
    body: bytes


def report_objects(
    destination: ReportDestination, facts: ExecutionFacts, max_object_bytes: int = MAX_REPORT_OBJECT_BYTES
) -> list[ReportObject]:
    """The objects of one execution's report: the summary first, then each section's files in order.

    Detailed files are `<exec-id>.files-<section>-v1-<n>-<suffix>.json`, n in five digits counting from 1
    over a section's split files, as AWS's own code shows them; what the 17-hex suffix means is not
    published, so it is a digest of the execution id here, shared by the execution's files as in that
    code. The summary's name, `<exec-id>.summary-v1-<suffix>.json`, is invented in the same pattern. A
    section whose phase ran gets at least one file, an empty list when nothing qualifies (invented).
    """
    task_id = facts.task_arn.rsplit("/", 1)[1]
    execution_id = facts.execution_arn.rsplit("/", 1)[1]
    suffix = hashlib.sha256(execution_id.encode()).hexdigest()[:17]
    objects = [
        ReportObject(
            f"{destination.prefix}Summary-Reports/{task_id}/{execution_id}/{execution_id}.summary-v1-{suffix}.json",
            _encode(_summary(destination, facts, execution_id)),
        )
    ]
    if destination.output_type != "STANDARD":
        return objects
    folder = f"{destination.prefix}Detailed-Reports/{task_id}/{execution_id}"
    for section in facts.sections:
        items = _items(section, facts, include_successes=destination.levels[section] == "SUCCESSES_AND_ERRORS")
        for number, body in enumerate(_split(execution_id, section, items, max_object_bytes), start=1):
            name = f"{execution_id}.files-{section.lower()}-v1-{number:05}-{suffix}.json"
            objects.append(ReportObject(f"{folder}/{name}", body))
    return objects


def write_report(client: Any, destination: ReportDestination, objects: Sequence[ReportObject]) -> dict[str, str]:
    """Puts the objects through an S3 client; returns the execution's ReportResult.

    Any S3 error stops the write and makes the result ERROR: a report is complete or it is not.
    """
    try:
        for item in objects:
            client.put_object(Bucket=destination.bucket, Key=item.key, Body=item.body, ContentType="application/json")
    except ClientError as error:
        code = str(error.response.get("Error", {}).get("Code"))
        if code == "NoSuchBucket":
            return {
                "Status": "ERROR",
                "ErrorCode": _BUCKET_MISSING,
                "ErrorDetail": f"The task report's S3 bucket does not exist: {destination.bucket_arn}",
            }
        return {
            "Status": "ERROR",
            "ErrorCode": _WRITE_FAILED,
            "ErrorDetail": f"Could not write the task report to {destination.bucket_arn}: S3 {code}",
        }
    return {"Status": "SUCCESS"}


# -- the summary ----------------------------------------------------------------------------------------


def _summary(destination: ReportDestination, facts: ExecutionFacts, execution_id: str) -> dict[str, Any]:
    """A plain JSON object; its keys are invented (the guide lists only what it covers: counts, durations)."""
    transfer_failures = sum(failed.kind not in VERIFICATION_KINDS for failed in facts.failures)
    return {
        "TaskArn": facts.task_arn,
        "TaskExecutionArn": facts.execution_arn,
        "TaskExecutionId": execution_id,
        "TaskMode": facts.mode,
        "Status": facts.status,
        "Cancelled": facts.cancelled,
        "StartTime": _iso(facts.start_time),
        **({"LaunchTime": _iso(facts.launch_time)} if facts.launch_time is not None else {}),
        "EndTime": _iso(facts.end_time),
        "Options": dict(facts.options),
        "Result": dict(facts.result),
        "FilesTransferred": facts.files_transferred,
        "BytesTransferred": facts.bytes_transferred,
        "FilesVerified": facts.files_verified,
        "FilesFailed": {"Transfer": transfer_failures, "Verify": len(facts.failures) - transfer_failures},
        "OutputType": destination.output_type,
        "ReportLevel": dict(destination.levels),
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# -- detailed items -----------------------------------------------------------------------------------


def _items(section: str, facts: ExecutionFacts, *, include_successes: bool) -> list[dict[str, Any]]:
    verifying = section == "Verified"
    failed = [item for item in facts.failures if (item.kind in VERIFICATION_KINDS) == verifying]
    build = _verified_item if verifying else _transferred_item
    items = [build(facts.mode, item.path, item, facts.end_time) for item in failed]
    if include_successes:
        # Files handled in the phase minus its failures (an item only at the destination was never
        # counted as transferred, so this may be a file short: harmless for a bounded sample).
        handled = facts.files_verified if verifying else facts.files_transferred
        for number in range(1, min(MAX_SUCCESS_ITEMS, max(0, handled - len(failed))) + 1):
            path = f"/emulated-successes/file-{number:05}.dat"  # names invented
            items.append(build(facts.mode, path, None, facts.end_time))
    return items


def _transferred_item(mode: str, path: str, failed: FailedFile | None, when: datetime) -> dict[str, Any]:
    """The guide's Transferred examples: RelativePath, the source's metadata, Overwrite, TransferTimestamp,
    TransferType, TransferStatus, and FailureReason/FailureCode (Basic) or ErrorCode/ErrorDetail (Enhanced)."""
    # A file whose metadata could not be read has none to report (invented).
    metadata_known = failed is None or failed.kind not in ("access_denied", "read_error")
    item = _where(mode, path, source=metadata_known)
    item |= {
        "Overwrite": "False",
        "TransferTimestamp": _iso_nanoseconds(when),
        "TransferType": "CONTENT_AND_METADATA",
        "TransferStatus": "SUCCESS" if failed is None else "FAILED",
    }
    if failed is not None:
        item.update(_failure(mode, failed))
    return item


def _verified_item(mode: str, path: str, failed: FailedFile | None, when: datetime) -> dict[str, Any]:
    """AWS's Verified sample: RelativePath, SrcMetadata, SrcChecksum, DstMetadata, DstChecksum (checksums
    "SHA256:<hex>"), VerifyTimestamp, VerifyStatus. Invented: what a failed item holds (no side for a
    file absent there, a zero destination checksum for a vanished copy, the reason keys) and Enhanced
    Verified items, which carry SourceMetadata and the two checksums only."""
    if failed is None:
        source_hash: str | None = content_checksum(path)
        destination_hash: str | None = source_hash
    else:
        source_hash, destination_hash = checksums(failed)
    kind = None if failed is None else failed.kind
    item = _where(mode, path, source=kind != "only_at_destination")
    if source_hash is not None:
        item["SrcChecksum"] = _CHECKSUM_PREFIX + source_hash
    if kind != "destination_vanished" and mode != "ENHANCED":
        item["DstMetadata"] = _metadata(mode, path)
    if destination_hash is not None:
        item["DstChecksum"] = _CHECKSUM_PREFIX + destination_hash
    item |= {"VerifyTimestamp": _iso_nanoseconds(when), "VerifyStatus": "SUCCESS" if failed is None else "FAILED"}
    if failed is not None:
        item.update(_failure(mode, failed))
    return item


_CHECKSUM_PREFIX = "SHA256:"


def _where(mode: str, path: str, *, source: bool) -> dict[str, Any]:
    """The item's path (Basic with the leading "/", Enhanced without) and its source's metadata."""
    if mode == "ENHANCED":
        item: dict[str, Any] = {"RelativePath": path[1:]}
        if source:
            item["SourceMetadata"] = _metadata(mode, path)
        return item
    item = {"RelativePath": path}
    if source:
        item["SrcMetadata"] = _metadata(mode, path)
    return item


def _metadata(mode: str, path: str) -> dict[str, Any]:
    """The guide's metadata: Basic a file's (Type Regular, ContentSize, Mtime, Atime, Uid, Gid, Mode),
    Enhanced an object's (Type Object, ContentSize, LastModified)."""
    described = FileMetadata.of_source(path)
    if mode == "ENHANCED":
        return {"Type": "Object", "ContentSize": described.size, "LastModified": _iso_seconds(described.mtime)}
    return {
        "Type": "Regular",
        "ContentSize": described.size,
        "Mtime": _iso_posix(described.mtime),
        "Atime": _iso_posix(described.atime),
        "Uid": described.uid,
        "Gid": described.gid,
        "Mode": described.mode,
    }


def _iso_posix(seconds_and_nanoseconds: str) -> str:
    """POSIX "seconds/nanoseconds" as the guide writes times: ISO 8601 in UTC, to the nanosecond."""
    seconds, nanoseconds = seconds_and_nanoseconds.split("/")
    moment = datetime.fromtimestamp(int(seconds), UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{int(nanoseconds):09d}Z"


def _iso_seconds(seconds_and_nanoseconds: str) -> str:
    return f"{datetime.fromtimestamp(int(seconds_and_nanoseconds.split('/')[0]), UTC):%Y-%m-%dT%H:%M:%SZ}"


def _iso_nanoseconds(moment: datetime) -> str:
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond * 1000:09d}Z"


def _failure(mode: str, failed: FailedFile) -> dict[str, Any]:
    if mode == "ENHANCED":
        code, detail = enhanced_error(failed)
        return {"ErrorCode": code, "ErrorDetail": detail}
    if failed.kind in VERIFICATION_KINDS:
        return {"FailureReason": _BASIC_VERIFY_REASONS.get(failed.kind) or enhanced_error(failed)[1]}
    return {"FailureReason": transfer_failure_reason(failed), "FailureCode": _BASIC_FAILURE_CODES[failed.kind]}


# -- files ----------------------------------------------------------------------------------------------


def _split(execution_id: str, section: str, items: Sequence[dict[str, Any]], max_bytes: int) -> list[bytes]:
    """`{"TaskExecutionId": …, "<section>": [items]}` files of at most `max_bytes` each (envelope invented)."""
    empty = _encode({"TaskExecutionId": execution_id, section: []})
    head, tail = empty[:-2], empty[-2:]  # split before the closing `]}`
    bodies: list[bytes] = []
    current: list[bytes] = []
    size = len(empty)
    for item in items:
        encoded = _encode(item)
        if len(empty) + len(encoded) > max_bytes:
            raise ValueError(f"a {section} item of {len(encoded)} bytes cannot fit a report file of {max_bytes}")
        added = len(encoded) + (1 if current else 0)  # the comma
        if current and size + added > max_bytes:
            bodies.append(head + b",".join(current) + tail)
            current, size = [], len(empty)
            added = len(encoded)
        current.append(encoded)
        size += added
    bodies.append(head + b",".join(current) + tail)
    return bodies


def _encode(document: Any) -> bytes:
    # Compact and non-ASCII verbatim, like DataSync's JSON logs; surrogatepass as in the log writer,
    # since file names are arbitrary bytes and may reach us as lone surrogates.
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
