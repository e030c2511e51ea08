"""analyze-logs reads what users paste or pipe, and prints every failure once."""

import io
import json

from datasync_scheduler.domain.failures import FileFailure
from datasync_scheduler_cli.failure_output import PrintedFailures
from datasync_scheduler_cli.log_input import log_events as read_log_input

LINE = "[ERROR] Failed to open source file /a b.txt: No such file or directory"


def test_plain_log_lines_are_messages_of_one_stream() -> None:
    assert list(read_log_input([LINE + "\n", "[INFO] other\r\n"])) == [(LINE, ""), ("[INFO] other", "")]


def test_the_aws_cli_json_keeps_each_events_stream() -> None:
    document = {"events": [{"logStreamName": "s1", "message": LINE, "timestamp": 1}], "searchedLogStreams": []}
    assert list(read_log_input(json.dumps(document, indent=2).splitlines(keepends=True))) == [(LINE, "s1")]
    assert list(read_log_input([json.dumps(document)])) == [(LINE, "s1")]


def test_json_lines_of_enhanced_events_are_messages() -> None:
    event = '{"Action":"VERIFY","ErrorCode":"FileNotAtSource"}'
    assert list(read_log_input([event + "\n", event])) == [(event, ""), (event, "")]


def test_empty_input_has_no_messages() -> None:
    assert list(read_log_input([])) == []


def test_json_output_is_one_valid_document_listing_every_failure() -> None:
    out = io.StringIO()
    printed = PrintedFailures(out, "json")
    for path in ("/a", "/b\n<!channel>"):
        printed.write(FileFailure(path, "source_vanished", "ERROR", {"detail": "No such file or directory"}))
    printed.finish()
    document = json.loads(out.getvalue())
    assert document["total_failures"] == 2
    assert document["by_category"] == {"source_vanished": 2}
    assert [failure["path"] for failure in document["failures"]] == ["/a", "/b\n<!channel>"]
    assert document["failures"][0]["retry"] == "transient"


def test_json_output_with_no_failures_is_valid() -> None:
    out = io.StringIO()
    PrintedFailures(out, "json").finish()
    assert json.loads(out.getvalue()) == {"failures": [], "total_failures": 0, "by_category": {}}


def test_text_output_keeps_each_failure_on_one_line() -> None:
    out = io.StringIO()
    printed = PrintedFailures(out, "text")
    printed.write(FileFailure("/evil\nname", "checksum_mismatch", "NOTICE"))
    printed.finish()
    first, *_ = out.getvalue().splitlines()
    assert first.split() == ["checksum_mismatch", "NOTICE", "/evil\\nname"]
