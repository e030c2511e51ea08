"""Reading DataSync's detailed task reports into failed files, whatever shape the JSON takes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from datasync_scheduler.domain.failures import CATEGORIES, FileFailure
from datasync_scheduler.domain.task_report import failures_from_report

FIXTURES = Path(__file__).parents[1] / "fixtures" / "aws" / "task-reports"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


KMS_DETAIL = fixture("guide-enhanced-transferred-failed.json")["Transferred"][0]["ErrorDetail"]


def summary(document: Any) -> list[tuple[str, str]]:
    return [(failure.path, failure.category) for failure in failures_from_report(document)]


def test_the_guides_basic_item_is_an_access_problem_with_its_reason_and_code() -> None:
    [failure] = failures_from_report(fixture("guide-basic-transferred-failed.json"))
    assert failure == FileFailure(
        "/object1.txt",
        "access_denied",
        "REPORT",
        {"failure_reason": "S3 Get Object Failed", "failure_code": 40974, "report_section": "Transferred"},
    )


def test_the_guides_enhanced_item_gets_its_leading_slash_and_its_kms_detail() -> None:
    [failure] = failures_from_report(fixture("guide-enhanced-transferred-failed.json"))
    assert (failure.path, failure.category, failure.level) == ("/object1.txt", "access_denied", "REPORT")
    assert failure.evidence == {
        "error_code": "AccessDenied",
        "error_detail": KMS_DETAIL,
        "report_section": "Transferred",
    }


@pytest.mark.parametrize(
    "name",
    ["guide-basic-transferred-success.json", "guide-enhanced-transferred-success.json", "dea-files-verified.json"],
)
def test_items_that_succeeded_are_not_failures(name: str) -> None:
    assert summary(fixture(name)) == []


# -- verified items as DataSync writes them (AWS's own sample) ------------------------------------------------


def dea_item(path: str) -> dict[str, Any]:
    """One item of AWS's Verified sample, as a fresh copy to change."""
    (item,) = (item for item in fixture("dea-files-verified.json")["Verified"] if item["RelativePath"] == path)
    return dict(item)


def test_a_file_whose_sha256_checksums_differ_failed_its_checksum() -> None:
    item = dea_item("/testfile1.jpg") | {"VerifyStatus": "FAILED", "DstChecksum": "SHA256:" + "ab" * 32}
    [failure] = failures_from_report({"Verified": [item]})
    assert (failure.path, failure.category, failure.directory) == ("/testfile1.jpg", "checksum_mismatch", False)
    # The digests are evidence as the logs write them: bare hex, so both sources compare.
    assert failure.evidence["src_hash"] == item["SrcChecksum"].removeprefix("SHA256:")
    assert failure.evidence["dst_hash"] == "ab" * 32


def test_equal_sha256_checksums_on_a_failed_verification_mean_the_metadata_differs() -> None:
    item = dea_item("/exectest.json") | {"VerifyStatus": "FAILED"}
    assert summary({"Verified": [item]}) == [("/exectest.json", "metadata_mismatch")]


def test_an_all_zero_sha256_destination_checksum_means_missing_at_destination() -> None:
    item = dea_item("/exectest.json") | {"VerifyStatus": "FAILED", "DstChecksum": "SHA256:" + "0" * 64}
    assert summary({"Verified": [item]}) == [("/exectest.json", "missing_at_destination")]


def test_a_failed_verification_without_any_destination_side_means_missing_at_destination() -> None:
    item = dea_item("/folder1/exectest2.json") | {"VerifyStatus": "FAILED"}
    del item["DstMetadata"], item["DstChecksum"]
    assert summary({"Verified": [item]}) == [("/folder1/exectest2.json", "missing_at_destination")]


def test_a_failed_item_of_type_directory_is_known_as_a_directory() -> None:
    item = dea_item("/testfolder") | {"VerifyStatus": "FAILED"}
    [failure] = failures_from_report({"Verified": [item]})
    assert (failure.path, failure.directory) == ("/testfolder", True)
    transferred = fixture("guide-basic-transferred-failed.json")
    transferred["Transferred"][0]["SrcMetadata"]["Type"] = "Directory"
    [failure] = failures_from_report(transferred)
    assert failure.directory is True


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
        ({"SrcChecksum": SOURCE_HASH}, "missing_at_destination"),
        ({"DstChecksum": SOURCE_HASH}, "other"),
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
