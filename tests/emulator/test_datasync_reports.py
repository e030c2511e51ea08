"""Task reports of the local DataSync: JSON objects in moto's S3 when an execution ends."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import moto.logs.models
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from emulator import aws_hooks
from emulator.clock import VirtualClock
from emulator.datasync import DataSyncEmulator
from emulator.datasync_logs import FailedFile
from emulator.datasync_reports import ReportDestination, ReportObject, _split, write_report
from emulator.datasync_shapes import validate_output
from tests.emulator.test_datasync_emulator import ACCOUNT, LOG_GROUP, LOG_GROUP_ARN, REGION, World

BUCKET = "datasync-reports"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/datasync-reports"

SCRIPT = {
    "phases": [
        {"status": "LAUNCHING", "seconds": 20},
        {"status": "PREPARING", "seconds": 120},
        {"status": "TRANSFERRING", "seconds": 3000},
        {"status": "VERIFYING", "seconds": 600},
    ],
    "files": 12_000,
    "bytes": 10_000_000,
    "failedFiles": [
        {"path": "/src/gone.csv", "kind": "source_vanished"},
        {"path": "/secret/plan.pdf", "kind": "access_denied"},
        {"path": "/big.iso", "kind": "transfer_failed"},
        {"path": "/mnt/broken", "kind": "read_error"},
        {"path": "/xattrs/file.bin", "kind": "write_error"},
        {"path": "/reports/q3.xlsx", "kind": "checksum"},
        {"path": "/reports/q4.xlsx", "kind": "metadata"},
        {"path": "/old/extra.txt", "kind": "only_at_destination"},
        {"path": "/tmp/scratch.bin", "kind": "destination_vanished"},
    ],
}
TRANSFER_FAILURES = 5
VERIFY_FAILURES = 4


def report_config(
    output_type: str = "STANDARD", level: str = "ERRORS_ONLY", bucket: str = BUCKET, **extra: Any
) -> dict[str, Any]:
    return {
        "Destination": {
            "S3": {"S3BucketArn": f"arn:aws:s3:::{bucket}", "BucketAccessRoleArn": ROLE, "Subdirectory": "/nightly/"}
        },
        "OutputType": output_type,
        "ReportLevel": level,
        **extra,
    }


@dataclass
class ReportWorld(World):
    s3: Any = None

    def object_keys(self) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def document(self, key: str) -> Any:
        return json.loads(self.s3.get_object(Bucket=BUCKET, Key=key)["Body"].read())

    def items(self, execution_arn: str, section: str) -> list[dict[str, Any]]:
        execution_id = execution_arn.rsplit("/", 1)[1]
        keys = [key for key in self.object_keys() if f"{execution_id}.files-{section.lower()}-" in key]
        documents = [self.document(key) for key in sorted(keys, key=_number)]
        assert all(document["TaskExecutionId"] == execution_id for document in documents)
        return [item for document in documents for item in document[section]]

    def summary(self, execution_arn: str) -> Any:
        execution_id = execution_arn.rsplit("/", 1)[1]
        (key,) = [key for key in self.object_keys() if f"/{execution_id}.summary-v1-" in key]
        return self.document(key)


def _number(key: str) -> int:
    """The split file's number: `….files-verified-v1-00002-<suffix>.json` → 2."""
    return int(key.rsplit("-", 2)[1])


@contextmanager
def reporting_world(monkeypatch: pytest.MonkeyPatch, **emulator_params: Any) -> Iterator[ReportWorld]:
    clock = VirtualClock()
    events: list[dict[str, Any]] = []
    emulator = DataSyncEmulator(
        clock,
        event_sink=events.append,
        logs_client_factory=lambda: boto3.client("logs", region_name=REGION),
        s3_client_factory=lambda: boto3.client("s3", region_name=REGION),
        **emulator_params,
    )
    clock.attach(emulator)
    monkeypatch.setattr(moto.logs.models, "utcnow", lambda: clock.now().replace(tzinfo=None))
    aws_hooks.serve("datasync", emulator.handle)
    try:
        with mock_aws():
            logs = boto3.client("logs", region_name=REGION)
            logs.create_log_group(logGroupName=LOG_GROUP)
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket=BUCKET)
            datasync = boto3.client("datasync", region_name=REGION)
            yield ReportWorld(clock, emulator, datasync, logs, events, s3)
    finally:
        aws_hooks.stop("datasync")


@pytest.fixture
def world(monkeypatch: pytest.MonkeyPatch) -> Iterator[ReportWorld]:
    with reporting_world(monkeypatch) as reporting:
        yield reporting


def ids(execution_arn: str) -> tuple[str, str]:
    task_arn, _, execution_id = execution_arn.rpartition("/execution/")
    return task_arn.rsplit("/", 1)[1], execution_id


# -- where and when --------------------------------------------------------------------------------------


def test_a_standard_report_is_written_under_the_documented_prefixes_when_the_execution_ends(
    world: ReportWorld,
) -> None:
    execution = world.start(world.task(SCRIPT, TaskReportConfig=report_config()))
    world.advance(3000)
    assert world.describe(execution)["ReportResult"] == {"Status": "PENDING"}
    assert world.object_keys() == []

    world.settle()

    task_id, execution_id = ids(execution)
    suffix = world.object_keys()[0].rsplit("-", 1)[1].removesuffix(".json")
    assert world.object_keys() == sorted(
        [
            f"nightly/Summary-Reports/{task_id}/{execution_id}/{execution_id}.summary-v1-{suffix}.json",
            f"nightly/Detailed-Reports/{task_id}/{execution_id}/{execution_id}.files-transferred-v1-00001-{suffix}.json",
            f"nightly/Detailed-Reports/{task_id}/{execution_id}/{execution_id}.files-verified-v1-00001-{suffix}.json",
        ]
    )
    described = world.describe(execution)
    assert described["ReportResult"] == {"Status": "SUCCESS"}
    assert described["TaskReportConfig"] == report_config()
    # The raw response, with ReportResult and TaskReportConfig, matches botocore's model.
    validate_output(
        "DescribeTaskExecution", world.emulator.handle("DescribeTaskExecution", {"TaskExecutionArn": execution})
    )

    summary = world.summary(execution)
    assert summary["TaskExecutionArn"] == execution
    assert (summary["Status"], summary["Cancelled"], summary["TaskMode"]) == ("SUCCESS", False, "BASIC")
    assert (summary["StartTime"], summary["LaunchTime"], summary["EndTime"]) == (
        "2026-11-21T23:00:00.000Z",
        "2026-11-21T23:00:00.000Z",
        "2026-11-22T00:02:20.000Z",
    )
    assert (summary["FilesTransferred"], summary["FilesVerified"], summary["BytesTransferred"]) == (
        12_000,
        12_000,
        10_000_000,
    )
    assert summary["FilesFailed"] == {"Transfer": TRANSFER_FAILURES, "Verify": VERIFY_FAILURES}
    assert summary["Options"]["VerifyMode"] == "POINT_IN_TIME_CONSISTENT"
    assert summary["Result"]["TotalDuration"] == 3_740_000


def test_the_start_s_report_config_replaces_the_task_s(world: ReportWorld) -> None:
    task = world.task(SCRIPT, TaskReportConfig=report_config(bucket="elsewhere"))
    execution = world.start(task, TaskReportConfig=report_config("SUMMARY_ONLY"))
    world.settle()

    assert world.describe(execution)["ReportResult"] == {"Status": "SUCCESS"}
    assert [key.split("/")[1] for key in world.object_keys()] == ["Summary-Reports"]


def test_summary_only_writes_just_the_summary(world: ReportWorld) -> None:
    execution = world.start(world.task(SCRIPT, TaskReportConfig=report_config("SUMMARY_ONLY")))
    world.settle()

    (key,) = world.object_keys()
    assert key.startswith("nightly/Summary-Reports/")
    assert world.summary(execution)["OutputType"] == "SUMMARY_ONLY"


def test_a_missing_bucket_means_no_report_and_report_result_error(world: ReportWorld) -> None:
    execution = world.start(world.task(SCRIPT, TaskReportConfig=report_config(bucket="no-such-bucket")))
    world.settle()

    described = world.describe(execution)
    assert described["Status"] == "SUCCESS"  # the transfer itself is not affected
    assert described["ReportResult"]["Status"] == "ERROR"
    assert described["ReportResult"]["ErrorCode"] == "ReportDestinationNotFound"
    assert "no-such-bucket" in described["ReportResult"]["ErrorDetail"]
    assert world.object_keys() == []


def test_no_report_config_means_no_report_and_no_report_result(world: ReportWorld) -> None:
    execution = world.start(world.task(SCRIPT))
    world.settle()

    assert "ReportResult" not in world.describe(execution)
    assert world.object_keys() == []


def test_without_an_s3_client_factory_nothing_is_reported(world: ReportWorld) -> None:
    emulator = DataSyncEmulator(world.clock)  # no s3_client_factory
    location = emulator.handle(
        "CreateLocationS3", {"S3BucketArn": "arn:aws:s3:::data", "S3Config": {"BucketAccessRoleArn": ROLE}}
    )["LocationArn"]
    task = emulator.handle(
        "CreateTask",
        {"SourceLocationArn": location, "DestinationLocationArn": location, "TaskReportConfig": report_config()},
    )["TaskArn"]
    execution = emulator.handle("StartTaskExecution", {"TaskArn": task})["TaskExecutionArn"]
    while (due := emulator.next_change_at()) is not None:
        emulator.advance_to(due)

    described = emulator.handle("DescribeTaskExecution", {"TaskExecutionArn": execution})
    assert described["Status"] == "SUCCESS"
    assert "ReportResult" not in described
    assert world.object_keys() == []


def test_a_cancelled_execution_reports_what_happened_before_the_cancel(world: ReportWorld) -> None:
    execution = world.start(world.task(SCRIPT, TaskReportConfig=report_config()))
    world.advance(140 + 1400)  # into TRANSFERRING: two of its five failures (at 500 s and 1000 s) happened
    world.datasync.cancel_task_execution(TaskExecutionArn=execution)
    world.settle()

    assert world.describe(execution)["ReportResult"] == {"Status": "SUCCESS"}
    summary = world.summary(execution)
    assert (summary["Status"], summary["Cancelled"], summary["FilesTransferred"]) == ("ERROR", True, 5600)
    assert summary["EndTime"] == "2026-11-21T23:25:45.000Z"
    assert [item["RelativePath"] for item in world.items(execution, "Transferred")] == [
        "/src/gone.csv",
        "/secret/plan.pdf",
    ]
    assert not [key for key in world.object_keys() if "verified" in key]  # VERIFYING never began


# -- what the detailed files hold ------------------------------------------------------------------------------


def test_basic_items_carry_the_failures_and_hashes_of_the_log_lines(world: ReportWorld) -> None:
    task = world.task(SCRIPT, TaskReportConfig=report_config(), CloudWatchLogGroupArn=LOG_GROUP_ARN)
    execution = world.start(task, OverrideOptions={"LogLevel": "BASIC"})
    world.settle()

    transferred = world.items(execution, "Transferred")
    assert [
        (item["RelativePath"], item["TransferStatus"], item["FailureReason"], "SrcMetadata" in item)
        for item in transferred
    ] == [
        ("/src/gone.csv", "FAILED", "No such file or directory", True),
        ("/secret/plan.pdf", "FAILED", "S3 Head Object Failed", False),
        ("/big.iso", "FAILED", "Connection reset by peer", True),
        ("/mnt/broken", "FAILED", "No data available", False),
        ("/xattrs/file.bin", "FAILED", "Operation not supported", True),
    ]
    assert all(isinstance(item["FailureCode"], int) for item in transferred)
    assert len({item["FailureCode"] for item in transferred}) == TRANSFER_FAILURES

    verified = {item["RelativePath"]: item for item in world.items(execution, "Verified")}
    assert list(verified) == ["/reports/q3.xlsx", "/reports/q4.xlsx", "/old/extra.txt", "/tmp/scratch.bin"]
    assert all(item["VerifyStatus"] == "FAILED" and item["FailureReason"] for item in verified.values())
    checksum, metadata, extra, vanished = verified.values()
    assert checksum["SrcChecksum"] != checksum["DstChecksum"]
    assert metadata["SrcChecksum"] == metadata["DstChecksum"]
    assert "SrcChecksum" not in extra and "SrcMetadata" not in extra
    assert vanished["DstChecksum"] == "SHA256:" + "0" * 64 and "DstMetadata" not in vanished

    # The same hashes as the log lines of the same execution.
    lines = [event["message"] for event in world.log_events()]
    hashes = ["SHA256:" + line.split()[-1] for line in lines if "Hash: " in line]
    assert hashes == [
        checksum["SrcChecksum"],
        checksum["DstChecksum"],
        metadata["SrcChecksum"],
        metadata["DstChecksum"],
        extra["DstChecksum"],
        vanished["SrcChecksum"],
        vanished["DstChecksum"],
    ]


def test_enhanced_items_name_their_path_without_the_leading_slash(world: ReportWorld) -> None:
    task = world.task(SCRIPT, TaskMode="ENHANCED", TaskReportConfig=report_config())
    execution = world.start(task)
    world.settle()

    transferred = world.items(execution, "Transferred")
    assert [item["RelativePath"] for item in transferred] == [
        "src/gone.csv",
        "secret/plan.pdf",
        "big.iso",
        "mnt/broken",
        "xattrs/file.bin",
    ]
    assert [item["ErrorCode"] for item in transferred][-2:] == ["SourceReadError", "DestinationWriteError"]
    verified = world.items(execution, "Verified")
    assert [item["ErrorCode"] for item in verified] == [
        "ChecksumDiffers",
        "MetadataDiffers",
        "FileNotAtSource",
        "FileNotAtDestination",
    ]
    for item in transferred + verified:
        assert not {"SrcMetadata", "FailureReason", "FailureCode"} & item.keys()
        assert item["ErrorDetail"]
        assert not item["RelativePath"].startswith("/")
    assert "SourceMetadata" not in verified[2]  # nothing at the source


def test_errors_only_lists_failures_and_successes_and_errors_a_bounded_sample_of_successes(
    world: ReportWorld,
) -> None:
    task = world.task(SCRIPT)
    errors_only = world.start(task, TaskReportConfig=report_config())
    world.settle()
    everything = world.start(task, TaskReportConfig=report_config(level="SUCCESSES_AND_ERRORS"))
    world.settle()

    assert [item["TransferStatus"] for item in world.items(errors_only, "Transferred")] == ["FAILED"] * 5
    assert [item["VerifyStatus"] for item in world.items(errors_only, "Verified")] == ["FAILED"] * 4
    transferred = world.items(everything, "Transferred")
    verified = world.items(everything, "Verified")
    # 12,000 files, but at most 100 successful items per section (generated names).
    assert [item["TransferStatus"] for item in transferred] == ["FAILED"] * 5 + ["SUCCESS"] * 100
    assert [item["VerifyStatus"] for item in verified] == ["FAILED"] * 4 + ["SUCCESS"] * 100
    success = verified[-1]
    assert success["SrcChecksum"] == success["DstChecksum"]
    assert "FailureReason" not in success and "FailureCode" not in transferred[-1]
    assert len({item["RelativePath"] for item in transferred}) == 105


def test_overrides_set_the_level_of_one_section(world: ReportWorld) -> None:
    config = report_config(Overrides={"Verified": {"ReportLevel": "SUCCESSES_AND_ERRORS"}})
    execution = world.start(world.task({**SCRIPT, "files": 50}, TaskReportConfig=config))
    world.settle()

    assert len(world.items(execution, "Transferred")) == TRANSFER_FAILURES
    assert [item["VerifyStatus"] for item in world.items(execution, "Verified")] == ["FAILED"] * 4 + ["SUCCESS"] * 46


def test_large_detailed_reports_are_split_into_objects_under_the_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    limit = 4096
    with reporting_world(monkeypatch, report_max_object_bytes=limit) as world:
        config = report_config(level="SUCCESSES_AND_ERRORS")
        execution = world.start(world.task(SCRIPT, TaskReportConfig=config))
        world.settle()

        listed = world.s3.list_objects_v2(Bucket=BUCKET, Prefix="nightly/Detailed-Reports/")["Contents"]
        transferred_files = [item["Key"] for item in listed if ".files-transferred-" in item["Key"]]
        assert len(transferred_files) > 3
        assert sorted(map(_number, transferred_files)) == list(range(1, len(transferred_files) + 1))
        assert max(item["Size"] for item in listed) <= limit
        assert len(world.items(execution, "Transferred")) == TRANSFER_FAILURES + 100
        assert len(world.items(execution, "Verified")) == VERIFY_FAILURES + 100
        assert world.describe(execution)["ReportResult"] == {"Status": "SUCCESS"}


# -- the pieces on their own ---------------------------------------------------------------------------------


def test_a_split_never_exceeds_the_limit_and_keeps_every_item() -> None:
    items = [{"RelativePath": f"/f{n}", "TransferStatus": "SUCCESS"} for n in range(50)]
    bodies = _split("exec-0123456789abcdef0", "Transferred", items, 300)

    assert all(len(body) <= 300 for body in bodies)
    assert [item for body in bodies for item in json.loads(body)["Transferred"]] == items
    assert _split("exec-0123456789abcdef0", "Verified", [], 300) == [
        b'{"TaskExecutionId":"exec-0123456789abcdef0","Verified":[]}'
    ]
    with pytest.raises(ValueError, match="cannot fit"):
        _split("exec-0123456789abcdef0", "Transferred", [{"RelativePath": "/" + "x" * 400}], 300)


def test_an_s3_error_other_than_a_missing_bucket_also_fails_the_report() -> None:
    class DenyingS3:
        def put_object(self, **_: Any) -> dict[str, Any]:
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": "Access Denied"}}, "PutObject")

    destination = ReportDestination.from_config(report_config())
    assert destination is not None
    result = write_report(DenyingS3(), destination, [ReportObject("k.json", b"{}")])

    assert result == {
        "Status": "ERROR",
        "ErrorCode": "ReportWriteFailed",
        "ErrorDetail": f"Could not write the task report to arn:aws:s3:::{BUCKET}: S3 AccessDenied",
    }


def test_a_config_without_an_s3_destination_reports_nothing() -> None:
    assert ReportDestination.from_config(None) is None
    assert ReportDestination.from_config({"OutputType": "STANDARD"}) is None
    access_point = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/reports"
    destination = ReportDestination.from_config(
        {"Destination": {"S3": {"S3BucketArn": access_point, "BucketAccessRoleArn": ROLE}}}
    )
    assert destination is not None
    assert (destination.bucket, destination.prefix, destination.output_type) == (access_point, "", "STANDARD")
    assert destination.levels == {"Transferred": "ERRORS_ONLY", "Verified": "ERRORS_ONLY"}


def test_failed_file_kinds_found_while_transferring_include_read_and_write_errors() -> None:
    assert FailedFile("/d", "read_error").phase == FailedFile("/f", "write_error").phase == "TRANSFERRING"


# -- the shape of AWS's published samples ------------------------------------------------------------------

AWS_SAMPLES = Path(__file__).parents[1] / "fixtures" / "aws" / "task-reports"
DETAILED_KEY = re.compile(
    r"(?:.+/)?Detailed-Reports/task-[0-9a-f]{17}/(exec-[0-9a-f]{17})/"
    r"\1\.files-(?:transferred|verified|skipped|deleted)-v1-\d{5}-[0-9a-f]{17}\.json"
)
FILE_NAME = re.compile(r"exec-[0-9a-f]{17}\.files-(?:transferred|verified|skipped|deleted)-v1-\d{5}-[0-9a-f]{17}\.json")
NANOSECOND_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z")
SHA256 = re.compile(r"SHA256:[0-9a-f]{64}")


def aws_sample(name: str) -> Any:
    return json.loads((AWS_SAMPLES / name).read_text(encoding="utf-8"))


def shape(item: dict[str, Any], leave_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Each key's JSON type, nested objects by their own shape."""
    return {
        key: shape(value) if isinstance(value, dict) else type(value).__name__
        for key, value in item.items()
        if key not in leave_out
    }


# Only for a versioned S3 destination (the guide), and S3 object metadata the emulator has no objects for.
NOT_EMULATED = frozenset({"DstS3VersionId", "SystemMetadata", "UserMetadata", "Tags"})


def test_the_aws_samples_object_keys_have_the_pattern_the_emulator_is_held_to() -> None:
    (full_key, *names) = (AWS_SAMPLES / "object-keys.txt").read_text(encoding="utf-8").splitlines()
    assert DETAILED_KEY.fullmatch(full_key)
    assert all(FILE_NAME.fullmatch(name) for name in names)


@pytest.mark.parametrize("mode", ["BASIC", "ENHANCED"])
def test_report_objects_are_named_like_datasyncs(world: ReportWorld, mode: str) -> None:
    execution = world.start(world.task(SCRIPT, TaskMode=mode, TaskReportConfig=report_config()))
    world.settle()
    detailed = [key for key in world.object_keys() if "/Detailed-Reports/" in key]
    assert len(detailed) == 2 and all(DETAILED_KEY.fullmatch(key) for key in detailed)
    assert all(ids(execution)[1] in key for key in detailed)


def test_basic_items_have_the_shape_of_the_guides_and_aws_s_verified_sample(world: ReportWorld) -> None:
    config = report_config(level="SUCCESSES_AND_ERRORS")
    execution = world.start(world.task(SCRIPT, TaskReportConfig=config))
    world.settle()
    transferred, verified = world.items(execution, "Transferred"), world.items(execution, "Verified")

    (guide_success,) = aws_sample("guide-basic-transferred-success.json")["Transferred"]
    (guide_failure,) = aws_sample("guide-basic-transferred-failed.json")["Transferred"]
    assert shape(transferred[-1]) == shape(guide_success, NOT_EMULATED)
    failed_with_metadata = next(
        item for item in transferred if item["TransferStatus"] == "FAILED" and "SrcMetadata" in item
    )
    assert shape(failed_with_metadata) == shape(guide_failure, NOT_EMULATED)

    dea_success = aws_sample("dea-files-verified.json")["Verified"][0]
    success = shape(verified[-1])
    sample = shape(dea_success)
    # Same keys and types; a file's metadata has the guide's Basic fields beyond the sample's three.
    assert success.keys() == sample.keys()
    for side in ("SrcMetadata", "DstMetadata"):
        assert sample[side].items() <= success[side].items()
        assert success[side] == shape(guide_success["SrcMetadata"])
    for item in transferred + verified:
        assert all(
            NANOSECOND_TIME.fullmatch(item[key]) for key in ("TransferTimestamp", "VerifyTimestamp") if key in item
        )
        assert all(SHA256.fullmatch(item[key]) for key in ("SrcChecksum", "DstChecksum") if key in item)
        for side in ("SrcMetadata", "DstMetadata"):
            if side in item:
                assert NANOSECOND_TIME.fullmatch(item[side]["Mtime"])
    assert all(
        SHA256.fullmatch(sample_item[key]) for sample_item in [dea_success] for key in ("SrcChecksum", "DstChecksum")
    )


def test_enhanced_transferred_items_have_the_shape_of_the_guides(world: ReportWorld) -> None:
    config = report_config(level="SUCCESSES_AND_ERRORS")
    execution = world.start(world.task(SCRIPT, TaskMode="ENHANCED", TaskReportConfig=config))
    world.settle()
    transferred = world.items(execution, "Transferred")

    (guide_success,) = aws_sample("guide-enhanced-transferred-success.json")["Transferred"]
    (guide_failure,) = aws_sample("guide-enhanced-transferred-failed.json")["Transferred"]
    assert shape(transferred[-1]) == shape(guide_success, NOT_EMULATED) | {
        "SourceMetadata": shape(guide_success["SourceMetadata"], NOT_EMULATED)
    }
    failed = next(item for item in transferred if item["TransferStatus"] == "FAILED" and "SourceMetadata" in item)
    assert shape(failed) == shape(guide_failure, NOT_EMULATED) | {
        "SourceMetadata": shape(guide_failure["SourceMetadata"], NOT_EMULATED)
    }
