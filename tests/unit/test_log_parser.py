"""Reading DataSync's CloudWatch log events into failed files: AWS's own examples, hostile names, any order."""

from __future__ import annotations

import io
import json
import random
import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from datasync_scheduler.domain.failures import CATEGORIES, RETRY_CLASS, FileFailure
from datasync_scheduler.domain.log_parser import LogParser, category_of_error, parse_events
from datasync_scheduler_cli import log_input

# AWS's published examples (tests/fixtures/aws/logs/SOURCES.md says where each comes from).
FIXTURES = Path(__file__).parents[1] / "fixtures" / "aws" / "logs"


def fixture_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def fixture_event(name: str) -> str:
    """A JSON fixture as one CloudWatch event's message, written as the page shows it."""
    return (FIXTURES / name).read_text(encoding="utf-8").strip()


GUIDE_PATH = "/directory1/directory2/file1.txt"
GUIDE_CHECKSUM_GROUP = fixture_lines("basic-checksum-mismatch.log")
GUIDE_EXTENDED_ATTRIBUTES_GROUP = fixture_lines("basic-extended-attributes.log")
GUIDE_VANISHED_DESTINATION_GROUP = fixture_lines("basic-destination-vanished.log")
GUIDE_NOT_AT_SOURCE_GROUP = fixture_lines("basic-not-at-source.log")
GUIDE_ONE_LINE = fixture_lines("basic-one-line.log")
GUIDE_S3_EXCEPTION = fixture_lines("basic-s3-exception.log")
# The guide prints its Enhanced-mode events indented.
GUIDE_FILE_NOT_AT_SOURCE = fixture_event("enhanced-file-not-at-source.json")
GUIDE_METADATA_DIFFERS = fixture_event("enhanced-metadata-differs.json")


def parse(lines: Iterable[str], stream: str = "stream-1") -> list[FileFailure]:
    return list(parse_events((line, stream) for line in lines))


def summary(failures: Iterable[FileFailure]) -> list[tuple[str, str, str]]:
    return [(failure.path, failure.category, failure.level) for failure in failures]


# Every failure form AWS shows, as a template of a name: (lines of a name, category, level). The
# property and hostile-name tests build their logs from these, never from the emulator's writer.
def _basic(lines: list[str], path: str) -> Callable[[str], list[str]]:
    return lambda name: [line.replace(path, name) for line in lines]


def _enhanced_with(document: str) -> Callable[[str], list[str]]:
    def build(name: str) -> list[str]:
        event = json.loads(document)
        for side in ("Source", "Destination"):
            event[side]["RelativePath"] = name[1:]
        return [json.dumps(event, ensure_ascii=False, separators=(",", ":"))]

    return build


def _s3_exception(name: str) -> list[str]:
    return [
        line.replace("/picture1.png", name).replace("photos/picture1.png", "photos" + name)
        for line in GUIDE_S3_EXCEPTION
    ]


AWS_FORMS: list[tuple[Callable[[str], list[str]], str, str]] = [
    (_basic(GUIDE_CHECKSUM_GROUP, GUIDE_PATH), "checksum_mismatch", "NOTICE"),
    (_basic(GUIDE_EXTENDED_ATTRIBUTES_GROUP, GUIDE_PATH), "metadata_mismatch", "NOTICE"),
    (_basic(GUIDE_VANISHED_DESTINATION_GROUP, GUIDE_PATH), "missing_at_destination", "NOTICE"),
    (_basic(GUIDE_NOT_AT_SOURCE_GROUP, GUIDE_PATH), "not_at_source", "NOTICE"),
    (_basic(GUIDE_ONE_LINE[:1], "/file1.dll"), "source_vanished", "ERROR"),
    (_basic(GUIDE_ONE_LINE[1:2], "/file1.png"), "access_denied", "WARN"),
    (_basic(GUIDE_ONE_LINE[2:3], GUIDE_PATH), "missing_at_destination", "ERROR"),
    (_basic(GUIDE_ONE_LINE[3:4], GUIDE_PATH), "write_error", "ERROR"),
    (_basic(GUIDE_ONE_LINE[4:5], "/appraiser/symlink"), "read_error", "WARN"),
    (_basic(GUIDE_ONE_LINE[5:6], "/appraiser/symlink"), "read_error", "ERROR"),
    (_s3_exception, "access_denied", "WARN"),
    (_enhanced_with(GUIDE_FILE_NOT_AT_SOURCE), "not_at_source", "ERROR"),
    (_enhanced_with(GUIDE_METADATA_DIFFERS), "metadata_mismatch", "ERROR"),
]


# -- the guide's examples ---------------------------------------------------------------------------------


def test_the_guides_modified_file_is_a_checksum_mismatch_with_its_sizes_times_and_hashes() -> None:
    [failure] = parse(GUIDE_CHECKSUM_GROUP)
    assert (failure.path, failure.category, failure.level) == (GUIDE_PATH, "checksum_mismatch", "NOTICE")
    assert failure.evidence == {
        "src_size": 534528,
        "dst_size": 511001,
        "src_mtime": "1602647222/222919600",
        "dst_mtime": "1633106855/859227500",
        "src_hash": "0c506c26bd1e43bd3ac346734f1a9c16c4ad100d1b43c2903772ca894fd24e44",
        "dst_hash": "dbd798929f11a7c0201e97f7a61191a83b4e010a449dfc79fbb8233801067c46",
        "differs": "mtime,size",
        "message": "Verification failed <> /directory1/directory2/file1.txt",
    }
    assert failure.retry_class == "transient"


def test_equal_content_with_other_extended_attributes_is_a_metadata_mismatch() -> None:
    [failure] = parse(GUIDE_EXTENDED_ATTRIBUTES_GROUP)
    assert failure.category == "metadata_mismatch"
    assert failure.evidence["differs"] == "extAttrsHash"


def test_a_destination_deleted_before_verification_is_missing_at_destination() -> None:
    [failure] = parse(GUIDE_VANISHED_DESTINATION_GROUP)
    assert failure.category == "missing_at_destination"
    assert (failure.evidence["src_size"], failure.evidence["dst_size"]) == (61533, 0)


def test_the_guides_file_only_at_the_destination_is_not_at_source() -> None:
    [failure] = parse(GUIDE_NOT_AT_SOURCE_GROUP)
    assert summary([failure]) == [(GUIDE_PATH, "not_at_source", "NOTICE")]
    assert (failure.evidence["dst_size"], failure.evidence["dst_hash"]) == (
        8972938,
        "f9c2cca900301d38b0930367d8d587153154af467da0fdcf1bebc0848ec72c0d",
    )


def test_the_guides_enhanced_file_not_at_source_event() -> None:
    [failure] = parse([GUIDE_FILE_NOT_AT_SOURCE])
    assert summary([failure]) == [(GUIDE_PATH, "not_at_source", "ERROR")]
    assert failure.evidence == {
        "error_code": "FileNotAtSource",
        "error_detail": "Verification failed due to file being present at the destination but not at the source",
        "action": "VERIFY",
    }


def test_a_pretty_printed_enhanced_event_is_read_like_a_compact_one() -> None:
    compact = json.dumps(json.loads(GUIDE_METADATA_DIFFERS), separators=(",", ":"))
    assert summary(parse([GUIDE_METADATA_DIFFERS])) == summary(parse([compact]))
    assert summary(parse([GUIDE_METADATA_DIFFERS])) == [("/encoding/content-null", "metadata_mismatch", "ERROR")]


@pytest.mark.parametrize(
    ("line", "path", "category", "level"),
    [
        (GUIDE_ONE_LINE[0], "/file1.dll", "source_vanished", "ERROR"),
        (GUIDE_ONE_LINE[1], "/file1.png", "access_denied", "WARN"),
        (GUIDE_ONE_LINE[2], GUIDE_PATH, "missing_at_destination", "ERROR"),
        (GUIDE_ONE_LINE[3], GUIDE_PATH, "write_error", "ERROR"),
        (GUIDE_ONE_LINE[4], "/appraiser/symlink", "read_error", "WARN"),
        (GUIDE_ONE_LINE[5], "/appraiser/symlink", "read_error", "ERROR"),
        (GUIDE_ONE_LINE[6], "/user-metadata/file1", "other", "ERROR"),
        (GUIDE_ONE_LINE[7], "/your-bucket/your-object", "access_denied", "WARN"),
    ],
)
def test_the_guides_one_line_errors_and_warnings(line: str, path: str, category: str, level: str) -> None:
    assert summary(parse([line])) == [(path, category, level)]


def test_only_the_line_that_says_directory_marks_its_item_as_one() -> None:
    assert [failure.directory for failure in parse(GUIDE_ONE_LINE[4:6])] == [False, True]


def test_the_reason_is_kept_as_detail_and_the_line_as_message() -> None:
    [failure] = parse([GUIDE_ONE_LINE[1]])
    assert failure.evidence == {
        "detail": "S3 Head Object Failed",
        "message": "Failed to read metadata for file /file1.png: S3 Head Object Failed",
    }


def test_an_object_version_is_evidence_not_part_of_the_name() -> None:
    [failure] = parse(GUIDE_S3_EXCEPTION[:1])
    assert (failure.path, failure.category) == ("/picture1.png", "access_denied")
    assert failure.evidence["version_id"] == "111111"


# -- whitespace is not part of the format -------------------------------------------------------------------


def collapsed(line: str) -> str:
    """A line as a web page shows it: every run of spaces is one space."""
    return re.sub(" +", " ", line)


def tabbed(line: str) -> str:
    return line.replace("   ", "\t").replace("] ", "]\t")


GUIDE_BASIC_EXAMPLES = [
    GUIDE_CHECKSUM_GROUP,
    GUIDE_EXTENDED_ATTRIBUTES_GROUP,
    GUIDE_VANISHED_DESTINATION_GROUP,
    GUIDE_NOT_AT_SOURCE_GROUP,
    GUIDE_ONE_LINE,
    GUIDE_S3_EXCEPTION,
]


def test_the_checksum_example_as_the_guides_page_shows_it_is_still_a_checksum_mismatch() -> None:
    page = fixture_lines("basic-checksum-mismatch.page.log")
    assert page != GUIDE_CHECKSUM_GROUP
    [failure] = parse(page)
    assert (failure.category, failure.retry_class) == ("checksum_mismatch", "transient")
    assert failure.evidence == parse(GUIDE_CHECKSUM_GROUP)[0].evidence


@pytest.mark.parametrize(
    "rewrite", [collapsed, tabbed, lambda line: "  " + line + " "], ids=["collapsed", "tabs", "padded"]
)
@pytest.mark.parametrize(
    "lines", GUIDE_BASIC_EXAMPLES, ids=["checksum", "attributes", "vanished", "not-at-source", "one-line", "s3"]
)
def test_the_guides_examples_with_other_whitespace_give_the_same_failures(
    lines: list[str], rewrite: Callable[[str], str]
) -> None:
    original = parse(lines)
    assert [(f.path, f.category, f.level, f.directory) for f in parse(rewrite(line) for line in lines)] == [
        (f.path, f.category, f.level, f.directory) for f in original
    ]


def test_the_guides_pretty_printed_json_with_tabs_or_on_one_line_is_the_same_event() -> None:
    expected = summary(parse([GUIDE_METADATA_DIFFERS]))
    assert summary(parse([GUIDE_METADATA_DIFFERS.replace("    ", "\t")])) == expected
    assert summary(parse([re.sub(r"\s+", " ", GUIDE_METADATA_DIFFERS)])) == expected


# -- no failure is lost ---------------------------------------------------------------------------------------


def test_a_warning_and_the_s3_exception_behind_it_are_one_failure_with_both_as_evidence() -> None:
    [failure] = parse(GUIDE_S3_EXCEPTION)
    assert summary([failure]) == [("/picture1.png", "access_denied", "WARN")]
    assert failure.evidence["s3_exception"] == GUIDE_S3_EXCEPTION[1][len("[ERROR] ") :]
    assert failure.evidence["detail"] == "S3 Get Object Tagging Failed"


def test_the_s3_exception_names_the_cause_of_the_warning_before_it() -> None:
    lines = [
        GUIDE_S3_EXCEPTION[0],
        GUIDE_S3_EXCEPTION[1].replace("code=403", "code=503").replace("AccessDenied", "SlowDown"),
    ]
    [failure] = parse(lines)
    assert (failure.path, failure.category, failure.retry_class) == ("/picture1.png", "transient_error", "transient")


def test_an_s3_exception_about_another_object_counts_on_its_own() -> None:
    lines = [GUIDE_S3_EXCEPTION[0], GUIDE_S3_EXCEPTION[1].replace("picture1.png", "other.png")]
    warning, exception = parse(lines)
    assert summary([warning, exception]) == [("/picture1.png", "access_denied", "WARN"), ("", "unattributed", "ERROR")]
    assert exception.evidence["object_key"] == "photos/other.png"
    assert exception.evidence["error_code"] == "AccessDenied"
    assert exception.evidence["message"] == lines[1][len("[ERROR] ") :]


def test_a_warning_waiting_for_its_s3_exception_is_returned_by_finish() -> None:
    parser = LogParser()
    assert parser.feed(GUIDE_S3_EXCEPTION[0], "s") == []
    assert summary(parser.finish()) == [("/picture1.png", "access_denied", "WARN")]
    assert parser.finish() == []


@pytest.mark.parametrize(
    ("line", "path", "category"),
    [
        ("[ERROR] Failed to allocate memory", "", "unattributed"),
        ("[ERROR] Deferred error: something without a file name", "", "unattributed"),
        ("[WARN] Unexpected response while listing the destination", "", "unattributed"),
        ("[ERROR] Could not copy /data/a.bin: Permission denied", "/data/a.bin", "access_denied"),
        ("[ERROR] Copy of /data/b.bin aborted: Connection reset by peer", "/data/b.bin aborted", "transient_error"),
        ("[WARN] Skipping /data/c.bin: unsupported file type", "/data/c.bin", "other"),
    ],
)
def test_an_error_or_warning_of_an_unknown_form_still_counts(line: str, path: str, category: str) -> None:
    [failure] = parse([line])
    assert (failure.path, failure.category) == (path, category)
    assert failure.evidence["message"] == line[line.index("] ") + 2 :]


def test_an_enhanced_failure_without_a_path_counts_as_unattributed() -> None:
    event = '{"Action":"VERIFY","ErrorCode":"AccessDenied"}'
    [failure] = parse([event])
    assert summary([failure]) == [("", "unattributed", "ERROR")]
    assert failure.evidence["message"] == event


def test_an_unattributed_failure_is_not_retried_blindly_and_says_what_to_do() -> None:
    assert RETRY_CLASS["unattributed"] == "permanent"
    assert RETRY_CLASS["transient_error"] == "transient"


# -- verification groups ------------------------------------------------------------------------------------


def group(path: str, source: str, source_hash: str, destination: str, destination_hash: str) -> list[str]:
    return [
        f"[NOTICE] Verification failed <> {path}",
        f"[NOTICE] {path}   srcMeta: {source}",
        f"[NOTICE]   srcHash: {source_hash}",
        f"[NOTICE] {path}   dstMeta: {destination}",
        f"[NOTICE]   dstHash: {destination_hash}",
    ]


META = "type=R mode=0644 uid=1000 gid=1000 size=100 atime=1700000000/1 mtime=1700000000/5 extAttrsHash=0"
HASH_A, HASH_B = "a" * 64, "b" * 64


def test_same_content_with_another_owner_and_mode_is_a_metadata_mismatch() -> None:
    changed = META.replace("uid=1000", "uid=0").replace("mode=0644", "mode=0600")
    [failure] = parse(group("/owned.txt", META, HASH_A, changed, HASH_A))
    assert failure.category == "metadata_mismatch"
    assert failure.evidence["differs"] == "mode,uid"
    assert failure.retry_class == "permanent"


def test_a_file_only_at_the_destination_is_not_at_source() -> None:
    lines = [
        "[NOTICE] Verification failed > /old/extra.txt",
        f"[NOTICE] /old/extra.txt   dstMeta: {META}",
        f"[NOTICE]   dstHash: {HASH_A}",
    ]
    [failure] = parse(lines)
    assert (failure.path, failure.category) == ("/old/extra.txt", "not_at_source")
    assert failure.evidence == {
        "dst_size": 100,
        "dst_mtime": "1700000000/5",
        "dst_hash": HASH_A,
        "message": "Verification failed > /old/extra.txt",
    }


def test_without_hash_lines_different_sizes_mean_different_content() -> None:
    lines = group("/f", META, HASH_A, META.replace("size=100", "size=99"), HASH_B)
    assert parse([lines[0], lines[1], lines[3]])[0].category == "checksum_mismatch"
    touched = META.replace("mtime=1700000000/5", "mtime=1700000001/5")
    assert parse([lines[0], lines[1], f"[NOTICE] /f   dstMeta: {touched}"])[0].category == "metadata_mismatch"


def test_a_group_with_nothing_to_compare_is_other() -> None:
    assert summary(parse(["[NOTICE] Verification failed <> /lonely"])) == [("/lonely", "other", "NOTICE")]


def test_a_failure_is_returned_as_soon_as_its_last_line_arrives() -> None:
    parser = LogParser()
    lines = group("/f", META, HASH_A, META, HASH_B)
    assert [parser.feed(line, "s") for line in lines[:-1]] == [[], [], [], []]
    [failure] = parser.feed(lines[-1], "s")
    assert failure.category == "checksum_mismatch"
    assert parser.finish() == []


def test_groups_interleaved_across_two_streams_keep_their_own_lines() -> None:
    first = group("/a/one.bin", META, HASH_A, META.replace("size=100", "size=7"), HASH_B)
    second = group("/b/two.bin", META, HASH_A, META.replace("gid=1000", "gid=5"), HASH_A)
    events = [event for pair in zip(first, second, strict=True) for event in ((pair[0], "s1"), (pair[1], "s2"))]
    found = list(parse_events(events))
    assert summary(found) == [
        ("/a/one.bin", "checksum_mismatch", "NOTICE"),
        ("/b/two.bin", "metadata_mismatch", "NOTICE"),
    ]
    assert found[0].evidence["dst_size"] == 7 and found[1].evidence["differs"] == "gid"


def test_the_same_name_in_two_streams_is_two_groups() -> None:
    lines = group("/same", META, HASH_A, META, HASH_B)
    events = [(line, stream) for line in lines for stream in ("s1", "s2")]
    assert summary(parse_events(events)) == [("/same", "checksum_mismatch", "NOTICE")] * 2


def test_another_line_in_the_stream_cuts_a_group_short_and_still_counts() -> None:
    lines = [
        *group("/cut.txt", META, HASH_A, META, HASH_B)[:3],
        "[ERROR] Failed to open source file /next.txt: No such file or directory",
    ]
    parser = LogParser()
    assert [parser.feed(line, "s") for line in lines[:3]] == [[], [], []]
    cut, following = parser.feed(lines[3], "s")
    assert (cut.path, cut.category, cut.evidence["src_hash"]) == ("/cut.txt", "other", HASH_A)
    assert (following.path, following.category) == ("/next.txt", "source_vanished")


def test_a_new_group_in_the_stream_closes_the_previous_one() -> None:
    first = group("/first", META, HASH_A, META, HASH_B)[:2]
    second = group("/second", META, HASH_A, META, HASH_A.upper())
    assert summary(parse(first + second)) == [("/first", "other", "NOTICE"), ("/second", "metadata_mismatch", "NOTICE")]


def test_finish_flushes_the_groups_still_open_and_empties_the_parser() -> None:
    parser = LogParser()
    for line in group("/a", META, HASH_A, META.replace("size=100", "size=5"), HASH_B)[:4]:
        assert parser.feed(line, "s1") == []
    assert parser.feed("[NOTICE] Verification failed > /b", "s2") == []
    assert summary(parser.finish()) == [("/a", "checksum_mismatch", "NOTICE"), ("/b", "not_at_source", "NOTICE")]
    assert parser.finish() == []


def test_open_groups_never_pile_up_in_one_stream() -> None:
    # Each cut group is returned when the next one opens: one open group per stream, whatever the length.
    parser = LogParser()
    returned = sum(len(parser.feed(f"[NOTICE] Verification failed <> /f{n}", "s")) for n in range(10_000))
    assert (returned, len(parser.finish())) == (9_999, 1)


def test_lines_that_are_not_failures_are_skipped() -> None:
    lines = [
        "[INFO] Transferred file /a.txt, 120 bytes",
        "[NOTICE] Verified file /a.txt",
        "[INFO]\tTransferred file /b.txt",
        "[ERROR] ",
        "Transfer and verification completed.",
        GUIDE_S3_EXCEPTION[2],  # the S3 exception's second line carries no level
        '{"Action":"TRANSFER","Source":{"RelativePath":"ok.txt"}}',
        "[NOTICE]   srcHash: " + HASH_A,
        "",
    ]
    assert parse(lines) == []


def test_a_single_trailing_line_break_is_dropped_and_nothing_else() -> None:
    lines = [line + "\r\n" for line in group("/ends with spaces  ", META, HASH_A, META, HASH_B)]
    lines.append("[ERROR] Failed to open source file /also spaced : No such file or directory\n")
    assert [failure.path for failure in parse(lines)] == ["/ends with spaces  ", "/also spaced "]


# -- one-line reasons ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "category"),
    [
        ("Permission denied", "access_denied"),
        ("Access Denied (Service: Amazon S3; Status Code: 403)", "access_denied"),
        ("No such file or directory", "source_vanished"),
        ("No space left on device", "write_error"),
        ("Read-only file system", "write_error"),
        ("Disk quota exceeded", "write_error"),
        ("Azure Blob user metadata key must be a CSharp identifier", "other"),
    ],
)
def test_a_failed_transfer_is_classified_by_its_reason(reason: str, category: str) -> None:
    [failure] = parse([f"[ERROR] Failed to transfer file /data/big.iso: {reason}"])
    assert (failure.path, failure.category, failure.evidence["detail"]) == ("/data/big.iso", category, reason)


@pytest.mark.parametrize(
    "reason",
    [
        "Connection reset by peer",
        "Connection Reset by peer",  # the troubleshooting guide's spelling
        "Host is down",
        "Connection timed out",
        "Read timed out",
        "RequestTimeout: Your socket connection to the server was not read from or written to within the timeout "
        "period",
        "SlowDown: Please reduce your request rate.",
        "Slow Down (Service: Amazon S3; Status Code: 503; Error Code: SlowDown)",
        "ThrottlingException: Rate exceeded",
        "InternalError: We encountered an internal error. Please try again.",
        "ServiceUnavailable: Service Unavailable",
        "S3 Exception: op=PutObject data/big.iso, code=500, type=15, exception=InternalError, ",
        "HTTP status code 502",
    ],
)
def test_a_file_that_failed_for_a_passing_reason_is_transient_and_retried(reason: str) -> None:
    [failure] = parse([f"[ERROR] Failed to transfer file /data/big.iso: {reason}"])
    assert (failure.path, failure.category, failure.retry_class) == ("/data/big.iso", "transient_error", "transient")


def test_a_run_whose_only_failures_are_connection_resets_is_retried_file_by_file() -> None:
    from datasync_scheduler.domain.failures import FailureTally
    from datasync_scheduler.domain.retry_policy import AttemptOutcome, RetrySettings, decide_retry

    tally = FailureTally()
    tally.add_all(parse([f"[ERROR] Failed to transfer file /data/{n}.iso: Connection reset by peer" for n in range(3)]))
    outcome = AttemptOutcome(status="ERROR", error_code="", error_detail="")
    decision = decide_retry(outcome, tally.to_dict(), 1, RetrySettings())
    assert decision.action == "retry_files", decision.reason


@pytest.mark.parametrize(
    ("error_detail", "action"),
    [("Connection reset by peer", "retry_all"), ("Cannot allocate memory (NoMem)", "give_up")],
)
def test_a_failure_line_without_a_path_leaves_the_retry_to_the_executions_own_error(
    error_detail: str, action: str
) -> None:
    from datasync_scheduler.domain.failures import FailureTally
    from datasync_scheduler.domain.retry_policy import AttemptOutcome, RetrySettings, decide_retry

    tally = FailureTally()
    tally.add_all(parse([f"[ERROR] {error_detail}"]))
    assert tally.to_dict()["byCategory"] == {"unattributed": 1}
    outcome = AttemptOutcome(status="ERROR", error_code="", error_detail=error_detail)
    assert decide_retry(outcome, tally.to_dict(), 1, RetrySettings()).action == action


def test_reading_source_and_destination_metadata_differ_on_a_missing_file() -> None:
    lines = [
        "[ERROR] Failed to read metadata for file /gone: No such file or directory",
        "[ERROR] Failed to read metadata for destination file /gone: Permission denied",
        "[ERROR] Failed to read metadata for destination file /gone: Stale file handle",
        "[ERROR] Failed to read extended attributes of file /x: Input/output error",
        "[ERROR] Failed to write destination file /y: No such file or directory",
    ]
    assert [failure.category for failure in parse(lines)] == [
        "source_vanished",
        "access_denied",
        "read_error",
        "read_error",
        "missing_at_destination",
    ]


@pytest.mark.parametrize(
    ("code", "detail", "category"),
    [
        ("FileNotAtSource", "", "not_at_source"),
        ("MetadataDiffers", "", "metadata_mismatch"),
        ("AccessDenied", "", "access_denied"),
        ("ChecksumDiffers", "Verification failed due to a difference in file content", "checksum_mismatch"),
        (
            "X",
            "Verification failed due to file being present at the source but not at the destination",
            "missing_at_destination",
        ),
        ("X", "Failed to open source file: No such file or directory", "source_vanished"),
        ("X", "User: arn:aws:sts::1:assumed-role/r is not authorized to perform: kms:GenerateDataKey", "access_denied"),
        ("X", "Failed to read metadata for directory at the source: No data available", "read_error"),
        ("X", "Failed to write extended attributes at the destination: Operation not supported", "write_error"),
        ("FileNotAtDestination", "", "missing_at_destination"),
        ("SourceReadError", "", "read_error"),
        ("TransferFailed", "Connection reset by peer", "transient_error"),
    ],
)
def test_enhanced_error_codes_then_details_then_the_codes_words(code: str, detail: str, category: str | None) -> None:
    assert category_of_error(code, detail) == category
    event = {"Action": "TRANSFER", "Source": {"RelativePath": "a/b"}, "ErrorCode": code, "ErrorDetail": detail}
    assert summary(parse([json.dumps(event)])) == [("/a/b", category or "other", "ERROR")]


def test_an_enhanced_event_without_a_source_path_takes_the_destinations() -> None:
    event = {"Action": "VERIFY", "Destination": {"RelativePath": "only/here"}, "ErrorCode": "FileNotAtSource"}
    assert summary(parse([json.dumps(event)])) == [("/only/here", "not_at_source", "ERROR")]


# -- hostile names -------------------------------------------------------------------------------------------

HOSTILE_NAMES = [
    "/ spaces everywhere / and at the end ",
    "/ünïcödé/日本語のファイル.txt",
    "/<>/a <> b > c",
    "/pipes|and*stars*",
    "/`backticks`/$(not a command)",
    "/" + "x" * 4095,
    "/Verification failed <> /elsewhere",
    "/[NOTICE]   srcHash: " + "c" * 64,
    "/a   srcMeta: type=R size=1 mtime=0/0",
    "/b   dstMeta: ",
    "/c: No such file or directory",
    "/d: S3 Head Object Failed: proceeding",
    '/e"): Input/output error',
    "/tab\there",
    "/line\nbreak",
    "/ends with a line break\n",
]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
@pytest.mark.parametrize("form", range(len(AWS_FORMS)))
def test_hostile_names_come_back_whole(name: str, form: int) -> None:
    build, category, level = AWS_FORMS[form]
    assert summary(parse(build(name))) == [(name, category, level)]


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_in_one_line_forms_with_other_reasons(name: str) -> None:
    lines = [
        f"[ERROR] Failed to read metadata for destination file {name}: No such file or directory",
        f"[ERROR] Failed to transfer file {name}: Permission denied",
        f"[ERROR] Failed to transfer file {name}: Disk quota exceeded",
    ]
    assert [(failure.path, failure.category) for failure in parse(lines)] == [
        (name, "missing_at_destination"),
        (name, "access_denied"),
        (name, "write_error"),
    ]


def test_a_name_that_looks_like_a_reason_followed_by_an_unknown_reason_is_split_at_the_known_one() -> None:
    # The documented ambiguity: nothing in the line tells where such a name ends.
    [failure] = parse(["[ERROR] Failed to transfer file /x: Permission denied: weird new reason"])
    assert (failure.path, failure.evidence["detail"]) == ("/x", "Permission denied: weird new reason")


# -- properties -----------------------------------------------------------------------------------------------


# Forms beyond AWS's examples, written here: (lines of a name, category, level).
OWN_FORMS: list[tuple[Callable[[str], list[str]], str, str]] = [
    (
        lambda name: group(name, META, HASH_A, META.replace("size=100", "size=101"), HASH_B),
        "checksum_mismatch",
        "NOTICE",
    ),
    (
        lambda name: group(name, META, HASH_A, META.replace("mode=0644", "mode=0755"), HASH_A),
        "metadata_mismatch",
        "NOTICE",
    ),
    (
        lambda name: group(name, META, HASH_A, "type=R size=0 atime=0/0 mtime=0/0 extAttrsHash=0", "0" * 64),
        "missing_at_destination",
        "NOTICE",
    ),
    (
        lambda name: [f"[ERROR] Failed to read metadata for destination file {name}: No such file or directory"],
        "missing_at_destination",
        "ERROR",
    ),
    (lambda name: [f"[ERROR] Failed to transfer file {name}: Read-only file system"], "write_error", "ERROR"),
    (lambda name: [f"[WARN] Failed to read metadata for file {name}: S3 Get Object Failed"], "access_denied", "WARN"),
    (
        lambda name: [json.dumps({"Source": {"RelativePath": name[1:]}, "ErrorCode": "MetadataDiffers"})],
        "metadata_mismatch",
        "ERROR",
    ),
]
FRAGMENTS = st.sampled_from(
    [
        " ",
        "   ",
        ": ",
        ": No such file or directory",
        ": S3 Head Object Failed",
        "Verification failed <> /x",
        "Verification failed > ",
        "srcHash: ",
        "   srcMeta: ",
        "   dstMeta: type=R",
        "[NOTICE] ",
        "[ERROR] Failed to open source file /",
        "<>",
        ">",
        "|",
        "*",
        "`",
        '"): ',
        '(filename="',
        "\n",
        "\r\n",
        "{",
        "日本",
        "é",
        "\udc80",
        "/",
    ]
)
NAMES = (
    st.lists(st.one_of(FRAGMENTS, st.text(max_size=4)), min_size=1, max_size=6)
    .map(lambda parts: "/" + "".join(parts))
    # "/" alone is no file; "//…" would have an empty first segment, which Enhanced's relative paths
    # cannot express; a trailing " (versionId: …)" is read as S3's version suffix (documented).
    .filter(lambda name: name != "/" and not name.startswith("//") and not re.search(r" \(versionId: [^()]*\)\Z", name))
)


@st.composite
def failure_streams(draw: st.DrawFn) -> tuple[list[tuple[str, str]], Counter[tuple[str, str, str]]]:
    """Several streams of failures of every kind, interleaved at random, each stream keeping its order."""
    expected: Counter[tuple[str, str, str]] = Counter()
    streams: dict[str, list[str]] = {}
    for stream in [f"stream-{n}" for n in range(draw(st.integers(1, 4)))]:
        lines: list[str] = []
        for _ in range(draw(st.integers(0, 8))):
            name = draw(NAMES)
            build, category, level = draw(st.sampled_from(AWS_FORMS + OWN_FORMS))
            lines.extend(build(name))
            expected[(name, category, level)] += 1
            if draw(st.booleans()):
                lines.append(f"[INFO] Transferred file {name}")  # not a failure, between two
        streams[stream] = lines
    rng = random.Random(draw(st.integers(0, 2**32)))
    cursors = {stream: 0 for stream, lines in streams.items() if lines}
    events: list[tuple[str, str]] = []
    while cursors:
        stream = rng.choice(sorted(cursors))
        events.append((streams[stream][cursors[stream]], stream))
        cursors[stream] += 1
        if cursors[stream] == len(streams[stream]):
            del cursors[stream]
    return events, expected


@settings(max_examples=150, deadline=None)
@given(failure_streams())
def test_every_failure_of_interleaved_streams_is_found_exactly_once(
    case: tuple[list[tuple[str, str]], Counter[tuple[str, str, str]]],
) -> None:
    events, expected = case
    assert Counter(summary(parse_events(events))) == expected


def well_formed(failure: FileFailure) -> bool:
    """A known category, and a path from the location root unless the failure names none."""
    if failure.category == "unattributed":
        return failure.path == "" and "message" in failure.evidence
    return failure.path.startswith("/") and failure.category in CATEGORIES


# Any character, lone surrogates included: file names are bytes and may reach us undecodable.
ANY_TEXT = st.text(st.characters() | st.characters(categories=["Cs"]))
MESSAGES = st.one_of(
    ANY_TEXT,
    st.tuples(
        st.sampled_from(
            [
                "[NOTICE] Verification failed <> ",
                "[NOTICE] Verification failed > ",
                "[NOTICE] /x   srcMeta: ",
                "[NOTICE] /x   dstMeta: ",
                "[NOTICE]   srcHash: ",
                "[NOTICE]   dstHash: ",
                "[ERROR] Failed to ",
                "[ERROR] Failed to transfer file ",
                "[ERROR] Deferred error: ",
                '[ERROR] Deferred error: Write(filename="',
                "{",
                '{"ErrorCode":',
                "[",
            ]
        ),
        ANY_TEXT,
    ).map("".join),
)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(MESSAGES, st.sampled_from(["", "a", "b"])), max_size=30))
def test_arbitrary_text_never_raises_and_yields_only_well_formed_failures(events: list[tuple[str, str]]) -> None:
    for failure in parse_events(events):
        assert well_formed(failure)


@settings(max_examples=200, deadline=None)
@given(JSON_VALUES, st.sampled_from(["", "ErrorCode", "Source", "Destination", "ErrorDetail", "Action"]))
def test_arbitrary_json_never_raises(value: object, key: str) -> None:
    event = {key: value, "ErrorCode": "X", "Source": {"RelativePath": "p"}} if key else value
    for failure in parse([json.dumps(event)]):
        assert well_formed(failure)


def test_deeply_nested_or_oversized_input_is_skipped_not_fatal() -> None:
    lines = [
        "[" * 100_000,
        "{" + '"a":[' * 100_000,
        '{"ErrorCode":' + "9" * 5000 + ',"Source":{"RelativePath":"p"}}',
        "[NOTICE] Verification failed <> /big",
        "[NOTICE] /big   srcMeta: size=" + "9" * 5000,
    ]
    [failure] = parse(lines)
    assert failure.evidence["src_size"] == "9" * 5000


# -- a text log read in blocks of lines -----------------------------------------------------------------------


def lines_of(text: str) -> list[str]:
    """The lines of a text log as a line reader gives them: split at "\n", without "\n" or "\r\n"."""
    return [
        line[:-2] if line.endswith("\r\n") else line[:-1] if line.endswith("\n") else line
        for line in re.findall(r"[^\n]*\n|[^\n]+\Z", text)
    ]


def fed_line_by_line(text: str) -> list[FileFailure]:
    parser = LogParser()
    found = [failure for line in lines_of(text) for failure in parser.feed(line, "log")]
    return found + parser.finish()


def fed_in_blocks(text: str, cuts: Iterable[int]) -> list[FileFailure]:
    """`text` given to `feed_lines` in blocks of whole lines, cut after the line feeds whose order is in `cuts`."""
    ends = [match.end() for match in re.finditer("\n", text)]
    chosen = sorted({ends[cut % len(ends)] for cut in cuts} if ends else set())
    parser = LogParser()
    found: list[FileFailure] = []
    start = 0
    for end in [*chosen, len(text)]:
        found.extend(parser.feed_lines(text[start:end], "log"))
        start = end
    return found + parser.finish()


def _lenient(line: str, how: int) -> str:
    """The line with its spaces as a copied page may show them: as tabs, doubled, or as they are."""
    return line.replace(" ", "\t") if how == 1 else line.replace(" ", "  ") if how == 2 else line


# Failure lines of forms the parser does not know, and lines near them that are not failures.
UNKNOWN_FORMS = st.sampled_from(
    [
        "[WARN] Skipping /data/c.bin: unsupported file type",
        "[ERROR] Could not copy /data/a.bin: Permission denied",
        "[WARN] Unexpected response while listing the destination",
        "[ERROR] S3 Exception: op=GetObjectTagging photos/picture1.png, code=403, type=15, exception=AccessDenied, ",
        "[NOTICE] Could not copy /data/a.bin: Permission denied",
        "[INFO] Transferred file /mailed/{draft}.eml",
        '[NOTICE] Deferred error: WriteAcl(filename="/data/d.bin"): Operation not permitted',
        "[INFO] Failed to open source file /data/e.bin: No such file or directory",
    ]
)


@st.composite
def text_logs(draw: st.DrawFn) -> str:
    """A text log: AWS's failure forms (some with other whitespace), successes and arbitrary lines."""
    events, _ = draw(failure_streams())
    lines = [_lenient(line, draw(st.integers(0, 5))) for line, _stream in events]
    for _ in range(draw(st.integers(0, 6))):
        lines.insert(draw(st.integers(0, len(lines))), draw(MESSAGES | UNKNOWN_FORMS))
    separators = draw(st.lists(st.sampled_from(["\n", "\r\n"]), min_size=len(lines), max_size=len(lines)))
    text = "".join(line + separator for line, separator in zip(lines, separators, strict=True))
    return text if draw(st.booleans()) else text.rstrip("\r\n")  # with or without a last line feed


@settings(max_examples=300, deadline=None)
@given(text_logs(), st.lists(st.integers(0, 10_000), max_size=6))
def test_a_text_log_read_in_blocks_gives_what_it_gives_line_by_line(text: str, cuts: list[int]) -> None:
    assert fed_in_blocks(text, cuts) == fed_line_by_line(text)


def test_the_guides_examples_in_one_block_among_successes_give_every_failure() -> None:
    successes = "".join(f"[INFO] Transferred file /ok/file-{n}.dat, 48213 bytes\n" for n in range(50))
    guide = [
        GUIDE_CHECKSUM_GROUP,
        GUIDE_NOT_AT_SOURCE_GROUP,
        GUIDE_ONE_LINE,
        GUIDE_S3_EXCEPTION,
        fixture_lines("basic-checksum-mismatch.page.log"),
    ]
    text = successes + "".join("\n".join(lines) + "\n" + successes for lines in guide)
    found = LogParser().feed_lines(text)
    assert found == fed_line_by_line(text)
    assert len(found) == 2 + len(GUIDE_ONE_LINE) + 1 + 1


class CountingParser(LogParser):
    """A parser that counts the lines it parses one by one."""

    __slots__ = ("parsed",)

    def __init__(self) -> None:
        super().__init__()
        self.parsed: list[str] = []

    def feed(self, message: str, stream: str = "") -> list[FileFailure]:
        self.parsed.append(message)
        return super().feed(message, stream)


def test_lines_between_failures_are_skipped_without_being_parsed() -> None:
    successes = "".join(f"[INFO] Verified file /ok/file-{n}.dat\n" for n in range(1000))
    text = successes + "\n".join(GUIDE_CHECKSUM_GROUP) + "\n" + successes + GUIDE_ONE_LINE[0] + "\n" + successes
    parser = CountingParser()
    [group, missing] = parser.feed_lines(text)
    assert (group.category, missing.category) == ("checksum_mismatch", "source_vanished")
    # The group's five lines and the one-line error: nothing of the 3,000 successes.
    assert parser.parsed == [*GUIDE_CHECKSUM_GROUP, GUIDE_ONE_LINE[0]]


def test_a_success_line_that_holds_an_anchor_is_parsed_and_skipped() -> None:
    parser = CountingParser()
    assert parser.feed_lines("[INFO] Transferred file /mailed/{draft}.eml, 10 bytes\n") == []
    assert parser.parsed == ["[INFO] Transferred file /mailed/{draft}.eml, 10 bytes"]


@settings(max_examples=200, deadline=None)
@given(text=text_logs(), chunk=st.integers(8, 64), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]))
def test_analyze_logs_reads_a_text_file_in_blocks_as_line_by_line(text: str, chunk: int, encoding: str) -> None:
    """`analyze-logs` reads a text log's file a block at a time, the blocks cut wherever reads end
    (here after 8 to 64 bytes): the failures are the ones its lines give one by one."""
    assume(not any("\ud800" <= character <= "\udfff" for character in text))  # a file cannot hold them
    data = text.encode(encoding)
    with mock.patch.object(log_input, "CHUNK", chunk):
        in_blocks = read_whole(lambda: log_input.failures_in(io.BytesIO(data), "a log"))
        line_by_line = read_whole(
            lambda: parse_events(log_input.log_events(log_input.decoded_lines(io.BytesIO(data), "a log")))
        )
    assert in_blocks == line_by_line


def read_whole(failures: Callable[[], Iterable[FileFailure]]) -> tuple[list[FileFailure], str | None]:
    """The failures read, and the error that ended the reading (a log whose first line is JSON)."""
    found: list[FileFailure] = []
    try:
        found.extend(failures())
    except log_input.LogInputError as error:
        return found, str(error)
    return found, None
