"""S3's contract as the steps use it: line uploads (`LineUpload`), the failure report (`FailureSink`
and its reader) and task reports (`ReportSource`), for the fakes and for S3 on moto."""

from collections.abc import Iterator

import pytest

from datasync_scheduler.domain.failures import FileFailure
from tests.contract.conftest import BUCKET, PART_SIZE, ObjectWorld


def test_an_upload_holds_every_line_in_order_and_says_where_it_is(objects: ObjectWorld) -> None:
    upload = objects.upload("manifests/task-1/exec-1-retry-2.csv")
    location = upload.write(iter((b"photos/a.jpg\n", b'"docs/a,b.txt"\n', "caf\u00e9/\u00fc.txt\n".encode())))
    assert location == f"s3://{BUCKET}/manifests/task-1/exec-1-retry-2.csv"
    assert objects.read(location) == b'photos/a.jpg\n"docs/a,b.txt"\ncaf\xc3\xa9/\xc3\xbc.txt\n'


def test_an_upload_larger_than_a_part_reads_back_whole(objects: ObjectWorld) -> None:
    lines = [f"data/{index:07d}/".encode() + b"x" * 200 + b"\n" for index in range(30_000)]
    body = objects.read(objects.upload("manifests/big.csv").write(iter(lines)))
    assert len(body) > PART_SIZE
    assert body == b"".join(lines)


def test_an_upload_without_lines_is_an_empty_object(objects: ObjectWorld) -> None:
    assert objects.read(objects.upload("manifests/empty.csv").write(iter(()))) == b""


class SourceGone(Exception):
    """What the lines' own source raises halfway (the logs they are read from became unreadable)."""


def test_an_upload_whose_lines_fail_halfway_leaves_no_object_and_raises_their_error(objects: ObjectWorld) -> None:
    def lines() -> Iterator[bytes]:
        for index in range(30_000):  # past one part: the upload is a multipart upload by then
            yield f"data/{index:07d}/".encode() + b"x" * 200 + b"\n"
        raise SourceGone("the logs are gone")

    with pytest.raises(SourceGone, match="the logs are gone"):
        objects.upload("manifests/half.csv").write(lines())
    assert not objects.exists("manifests/half.csv")
    assert objects.unfinished_uploads() == []


def test_a_report_without_failures_is_no_object(objects: ObjectWorld) -> None:
    assert objects.failure_sink("failure-reports/task-1/exec-2.jsonl").store(iter(())) is None
    assert not objects.exists("failure-reports/task-1/exec-2.jsonl")


def test_a_failure_written_to_the_report_is_read_back_as_its_fields(objects: ObjectWorld) -> None:
    location = objects.failure_sink("failure-reports/task-1/exec-1.jsonl").store(
        iter(
            (
                FileFailure("/\u00e4 <b>|c*.txt", "not_at_source", "NOTICE", {"dst_size": 12}),
                FileFailure("/photos", "access_denied", "ERROR", directory=True),
            )
        )
    )
    assert location == f"s3://{BUCKET}/failure-reports/task-1/exec-1.jsonl"
    assert list(objects.read_failures(str(location))) == [
        {
            "path": "/\u00e4 <b>|c*.txt",
            "category": "not_at_source",
            "level": "NOTICE",
            "retry": "transient",
            "dst_size": 12,
        },
        {"path": "/photos", "category": "access_denied", "level": "ERROR", "retry": "permanent", "directory": True},
    ]


def test_only_the_executions_own_report_files_are_read(objects: ObjectWorld) -> None:
    folder = "reports/Detailed-Reports/task-1/exec-1/"
    objects.put_report(folder + "exec-1.files-transferred-v1-00001.json", {"n": 1})
    objects.put_report(folder + "exec-1.files-transferred-v1-00002.json", {"n": 2})
    objects.put_report(folder + "notes.txt", {"n": 3})
    objects.put_report("reports/Detailed-Reports/task-1/exec-2/exec-2.files-transferred-v1-00001.json", {"n": 4})
    assert list(objects.reports.detailed_documents(BUCKET, folder)) == [{"n": 1}, {"n": 2}]
    assert objects.reports.has_detailed(BUCKET, folder) is True
    assert objects.reports.has_detailed(BUCKET, "reports/Detailed-Reports/task-1/exec-3/") is False


def test_a_report_that_is_not_there_reads_as_none_and_one_that_is_as_its_failures(objects: ObjectWorld) -> None:
    assert objects.failures_if_any(f"s3://{BUCKET}/failure-reports/task-1/never-written.jsonl") is None
    location = objects.failure_sink("failure-reports/task-1/exec-3.jsonl").store(
        iter((FileFailure("/a.txt", "checksum_mismatch", "ERROR"),))
    )
    assert location is not None
    found = objects.failures_if_any(location)
    assert found is not None
    assert [(item["path"], item["category"]) for item in found] == [("/a.txt", "checksum_mismatch")]
