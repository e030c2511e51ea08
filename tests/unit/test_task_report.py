"""Reading DataSync's detailed task reports into failed files, whatever shape the JSON takes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasync_scheduler.domain.failures import CATEGORIES, FileFailure
from datasync_scheduler.domain.task_report import failures_from_report
from emulator.datasync_logs import FAILURE_KINDS, FailedFile
from emulator.datasync_reports import ExecutionFacts, ReportDestination, report_objects

# The guide's example items (task-reports page), verbatim.
GUIDE_BASIC_FAILED = {
    "TaskExecutionId": "exec-abcdefgh12345678",
    "Transferred": [
        {
            "RelativePath": "/object1.txt",
            "SrcMetadata": {
                "Type": "Regular",
                "ContentSize": 6,
                "Mtime": "2022-01-07T16:59:26.136114671Z",
                "Atime": "2022-01-07T16:59:26.136114671Z",
                "Uid": 0,
                "Gid": 0,
                "Mode": "0644",
            },
            "Overwrite": "False",
            "DstS3VersionId": "jtqRtX3jN4J2G8k0sFSGYK1f35KqpAVP",
            "TransferTimestamp": "2022-01-07T16:59:45.747270957Z",
            "TransferType": "CONTENT_AND_METADATA",
            "TransferStatus": "FAILED",
            "FailureReason": "S3 Get Object Failed",
            "FailureCode": 40974,
        }
    ],
}
KMS_DETAIL = (
    "User: arn:aws:sts::111222333444:assumed-role/AWSDataSyncS3Bucket/AwsSync-loc-0b3017fc4ba4a2d8d is not "
    "authorized to perform: kms:GenerateDataKey on resource: arn:aws:kms:us-east-1:111222333444:key/"
    "1111aaaa-22bb-33cc-44d-5555eeee6666 because no identity-based policy allows the kms:GenerateDataKey action"
)
GUIDE_ENHANCED_FAILED = {
    "TaskExecutionId": "exec-abcdefgh12345678",
    "Transferred": [
        {
            "RelativePath": "object1.txt",
            "SourceMetadata": {
                "Type": "Object",
                "ContentSize": 6,
                "LastModified": "2022-10-07T20:48:32Z",
                "SystemMetadata": {
                    "ContentType": "binary/octet-stream",
                    "ETag": '"3a7c0b2f1d9e5c4a6f8b2e0d1c9f7a3b2"',
                    "ServerSideEncryption": "AES256",
                },
                "UserMetadata": {},
                "Tags": [],
            },
            "Overwrite": "False",
            "TransferTimestamp": "2022-10-09T16:05:11.134040717Z",
            "TransferType": "CONTENT_AND_METADATA",
            "TransferStatus": "FAILED",
            "ErrorCode": "AccessDenied",
            "ErrorDetail": KMS_DETAIL,
        }
    ],
}
GUIDE_SUCCESSES = [
    {
        "TaskExecutionId": "exec-abcdefgh12345678",
        "Transferred": [
            {
                "RelativePath": "object1.txt",
                "SourceMetadata": {"Type": "Object", "ContentSize": 6, "LastModified": "2024-10-04T14:40:55Z"},
                "Overwrite": "False",
                "DstS3VersionId": "jtqRtX3jN4J2G8k0sFSGYK1f35KqpAVP",
                "TransferTimestamp": "2024-10-04T14:48:39.748862183Z",
                "TransferType": "CONTENT_AND_METADATA",
                "TransferStatus": "SUCCESS",
            }
        ],
    },
    {
        "TaskExecutionId": "exec-abcdefgh12345678",
        "Transferred": [
            {
                "RelativePath": "/object1.txt",
                "SrcMetadata": {"Type": "Regular", "ContentSize": 6, "Uid": 0, "Gid": 0, "Mode": "0644"},
                "Overwrite": "False",
                "TransferType": "CONTENT_AND_METADATA",
                "TransferStatus": "SUCCESS",
            }
        ],
    },
]


def summary(document: Any) -> list[tuple[str, str]]:
    return [(failure.path, failure.category) for failure in failures_from_report(document)]


def test_the_guides_basic_item_is_an_access_problem_with_its_reason_and_code() -> None:
    [failure] = failures_from_report(GUIDE_BASIC_FAILED)
    assert failure == FileFailure(
        "/object1.txt",
        "access_denied",
        "REPORT",
        {"failure_reason": "S3 Get Object Failed", "failure_code": 40974, "report_section": "Transferred"},
    )


def test_the_guides_enhanced_item_gets_its_leading_slash_and_its_kms_detail() -> None:
    [failure] = failures_from_report(GUIDE_ENHANCED_FAILED)
    assert (failure.path, failure.category, failure.level) == ("/object1.txt", "access_denied", "REPORT")
    assert failure.evidence == {
        "error_code": "AccessDenied",
        "error_detail": KMS_DETAIL,
        "report_section": "Transferred",
    }


@pytest.mark.parametrize("document", GUIDE_SUCCESSES)
def test_items_that_succeeded_are_not_failures(document: Any) -> None:
    assert summary(document) == []


# -- verified items -------------------------------------------------------------------------------------------

SOURCE_HASH, OTHER_HASH = "1" * 64, "2" * 64


def verified(**item: Any) -> dict[str, Any]:
    return {"Verified": [{"RelativePath": "/v.bin", "VerifyStatus": "FAILED", **item}]}


@pytest.mark.parametrize(
    ("item", "category"),
    [
        ({"SrcChecksum": SOURCE_HASH, "DstChecksum": OTHER_HASH}, "checksum_mismatch"),
        ({"SrcChecksum": SOURCE_HASH, "DstChecksum": SOURCE_HASH}, "metadata_mismatch"),
        ({"SourceSha256": SOURCE_HASH, "DestinationSha256": "0" * 64}, "missing_at_destination"),
        ({"SrcMetadata": {"Sha256": SOURCE_HASH}, "DstMetadata": {"Sha256": OTHER_HASH.upper()}}, "checksum_mismatch"),
        # extAttrsHash is an attribute hash, not the content's; a "hash" key yields to a "checksum" one.
        (
            {
                "SrcMetadata": {"ExtAttrsHash": "1", "Hash": SOURCE_HASH},
                "DstMetadata": {"ExtAttrsHash": "2", "Hash": SOURCE_HASH},
            },
            "metadata_mismatch",
        ),
        ({"SrcHash": OTHER_HASH, "SrcChecksum": SOURCE_HASH, "DstChecksum": SOURCE_HASH}, "metadata_mismatch"),
        ({"SrcChecksum": SOURCE_HASH}, "other"),
        ({}, "other"),
    ],
)
def test_a_failed_verification_is_classified_by_its_checksums(item: dict[str, Any], category: str) -> None:
    [failure] = failures_from_report(verified(**item))
    assert failure.category == category
    assert failure.evidence["report_section"] == "Verified"


def test_the_checksums_are_evidence() -> None:
    [failure] = failures_from_report(verified(SrcChecksum=SOURCE_HASH, DstChecksum=OTHER_HASH))
    assert (failure.evidence["src_hash"], failure.evidence["dst_hash"]) == (SOURCE_HASH, OTHER_HASH)


def test_a_reason_or_error_code_wins_over_the_checksums() -> None:
    assert summary(verified(SrcChecksum="a", DstChecksum="b", ErrorCode="FileNotAtSource")) == [
        ("/v.bin", "not_at_source")
    ]
    assert summary(verified(SrcChecksum="a", DstChecksum="a", FailureReason="Checksum failure")) == [
        ("/v.bin", "checksum_mismatch")
    ]


# -- odd shapes -----------------------------------------------------------------------------------------------


def test_items_are_found_at_any_depth_with_the_section_they_are_listed_in() -> None:
    document = [
        {"Skipped": [{"RelativePath": "/s", "SkippedStatus": "FAILED", "FailureReason": "Permission denied"}]},
        {"Deep": {"Deeper": {"Deleted": [{"RelativePath": "d", "DeleteStatus": "ERROR"}]}}},
        [{"RelativePath": "/no-section", "TransferStatus": "failed"}],
    ]
    found = list(failures_from_report(document))
    assert [(failure.path, failure.category, failure.evidence.get("report_section")) for failure in found] == [
        ("/s", "access_denied", "Skipped"),
        ("/d", "other", "Deleted"),
        ("/no-section", "other", None),
    ]


@pytest.mark.parametrize(
    "item",
    [
        {"SourceMetadata": {"RelativePath": "in/source"}, "ErrorCode": "MetadataDiffers"},
        {"Source": {"RelativePath": "in/source"}, "ErrorCode": "MetadataDiffers"},
        {
            "DestinationMetadata": {"RelativePath": "/in/source"},
            "VerifyStatus": "FAILED",
            "FailureReason": "Metadata failure",
        },
    ],
)
def test_the_path_can_be_inside_the_items_metadata(item: dict[str, Any]) -> None:
    assert summary({"Verified": [item]}) == [("/in/source", "metadata_mismatch")]


@pytest.mark.parametrize(
    "item",
    [
        {"RelativePath": "/ok", "TransferStatus": "SUCCESS", "FailureCode": 0, "FailureReason": "", "ErrorCode": None},
        {"RelativePath": "/ok", "VerifyStatus": "SKIPPED"},
        {"TransferStatus": "FAILED", "FailureReason": "S3 Get Object Failed"},  # no path: not a file's failure
        {"RelativePath": "", "TransferStatus": "FAILED"},
        {"RelativePath": 7, "TransferStatus": "FAILED"},
    ],
)
def test_items_without_a_path_or_a_sign_of_failure_yield_nothing(item: dict[str, Any]) -> None:
    assert summary({"Transferred": [item]}) == []


def test_any_sign_of_failure_is_enough() -> None:
    document = {
        "Transferred": [
            {"RelativePath": "/a", "FailureCode": 40962},
            {"RelativePath": "/b", "ErrorCode": "FileNotAtSource"},
            {"RelativePath": "/c", "FailureReason": "No such file or directory"},
            {"RelativePath": "/d", "PrepareStatus": "ERROR"},
        ]
    }
    assert summary(document) == [("/a", "other"), ("/b", "not_at_source"), ("/c", "source_vanished"), ("/d", "other")]


def test_a_failed_items_own_objects_are_not_counted_again() -> None:
    item = {
        "RelativePath": "/x",
        "TransferStatus": "FAILED",
        "SourceMetadata": {"RelativePath": "/x", "Status": "ERROR"},
    }
    assert summary({"Transferred": [item]}) == [("/x", "other")]


def test_shared_and_looping_containers_are_read_once() -> None:
    item = {"RelativePath": "/x", "TransferStatus": "FAILED"}
    looping: dict[str, Any] = {"Transferred": [item, item]}
    looping["Again"] = [looping]
    assert summary(looping) == [("/x", "other")]


def test_deep_nesting_does_not_exhaust_the_stack() -> None:
    document: Any = {"RelativePath": "/deep", "TransferStatus": "FAILED"}
    for _ in range(100_000):
        document = [document]
    assert summary(document) == [("/deep", "other")]


REPORT_KEYS = (
    "RelativePath",
    "TransferStatus",
    "VerifyStatus",
    "FailureReason",
    "FailureCode",
    "ErrorCode",
    "ErrorDetail",
    "SourceMetadata",
    "Source",
    "SrcChecksum",
    "DstChecksum",
    "Verified",
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: (
        st.lists(children, max_size=5)
        | st.dictionaries(st.sampled_from(REPORT_KEYS) | st.text(max_size=8), children, max_size=6)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_arbitrary_json_never_raises_and_yields_well_formed_failures(document: Any) -> None:
    for failure in failures_from_report(document):
        assert failure.path.startswith("/") and failure.category in CATEGORIES and failure.level == "REPORT"
        assert all(isinstance(value, str | int) for value in failure.evidence.values())


# -- the emulator's reports, a second writer ------------------------------------------------------------------

EXPECTED_CATEGORY = {
    "checksum": "checksum_mismatch",
    "metadata": "metadata_mismatch",
    "only_at_destination": "not_at_source",
    "destination_vanished": "missing_at_destination",
    "source_vanished": "source_vanished",
    "access_denied": "access_denied",
    "transfer_failed": "transient_error",
    "read_error": "read_error",
    "write_error": "write_error",
}
# A Basic report gives a failed write only its reason ("Operation not supported"), which names no side;
# the log line says "Deferred error: Write…", and the Enhanced code says "DestinationWriteError".
BASIC_REPORT_CATEGORY = {**EXPECTED_CATEGORY, "write_error": "other"}


@pytest.mark.parametrize("mode", ["BASIC", "ENHANCED"])
def test_every_failure_the_emulator_reports_is_read_back_once_with_its_category(mode: str) -> None:
    failures = tuple(FailedFile(f"/dir/{kind} file: ü.txt", kind) for kind in sorted(FAILURE_KINDS))
    destination = ReportDestination.from_config(
        {"Destination": {"S3": {"S3BucketArn": "arn:aws:s3:::reports"}}, "ReportLevel": "SUCCESSES_AND_ERRORS"}
    )
    assert destination is not None
    moment = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
    facts = ExecutionFacts(
        task_arn="arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0",
        execution_arn="arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0/execution/exec-0123456789abcdef0",
        mode=mode,
        status="ERROR",
        cancelled=False,
        options={},
        result={},
        start_time=moment,
        launch_time=moment,
        end_time=moment,
        files_transferred=50,
        bytes_transferred=1,
        files_verified=50,
        sections=("Transferred", "Verified"),
        failures=failures,
    )
    documents = [json.loads(report.body) for report in report_objects(destination, facts)]
    found = sorted(summary(document) for document in documents[1:])  # documents[0] is the summary
    expected = BASIC_REPORT_CATEGORY if mode == "BASIC" else EXPECTED_CATEGORY
    assert sorted(pair for pairs in found for pair in pairs) == sorted(
        (failed.path, expected[failed.kind]) for failed in failures
    )
    assert summary(documents[0]) == []
