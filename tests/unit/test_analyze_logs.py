"""`datasync-scheduler analyze-logs` on what users really paste and pipe: AWS's own samples, in the
encodings editors and shells write, and every kind of broken input.

Each bad input gives one line on standard error naming the problem and exit status 2, never a
traceback; nothing is ever read as "0 failure(s)" when it is not a log the command knows.
"""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from datasync_scheduler_cli.cli import main

LOGS = Path(__file__).parents[1] / "fixtures" / "aws" / "logs"
# The DataSync guide's one-line Basic failures: eight lines, eight failed items.
BASIC = (LOGS / "basic-one-line.log").read_text(encoding="utf-8")
BASIC_FAILURES = 8
ENHANCED = json.loads((LOGS / "enhanced-file-not-at-source.json").read_text(encoding="utf-8"))


def cli_output(sample: str, messages: list[str], stream: str | None = None) -> str:
    """The AWS CLI's JSON for `sample` (its own example), with the guide's DataSync lines as messages."""
    document: dict[str, Any] = json.loads((LOGS / sample).read_text(encoding="utf-8"))
    shape = document["events"][0]
    document["events"] = [{**shape, "message": message} for message in messages]
    if stream is not None:
        for event in document["events"]:
            event["logStreamName"] = stream
    return json.dumps(document, indent=4)


class Outcome:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err

    @property
    def failures(self) -> int:
        return int(json.loads(self.out)["total_failures"])


def analyze_file(tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes, *options: str) -> Outcome:
    log = tmp_path / "input.log"
    log.write_bytes(data)
    status = main(["analyze-logs", str(log), *options])
    captured = capsys.readouterr()
    return Outcome(status, captured.out, captured.err)


def analyze_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes) -> Outcome:
    # What a shell pipe gives: bytes behind a text wrapper.
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))
    status = main(["analyze-logs", "--format", "json"])
    captured = capsys.readouterr()
    return Outcome(status, captured.out, captured.err)


def assert_refused(outcome: Outcome, *words: str) -> None:
    assert outcome.status == 2
    assert outcome.err.startswith("error: ") and outcome.err.count("\n") == 1, outcome.err
    assert "Traceback" not in outcome.err
    for word in words:
        assert word in outcome.err


# --- what AWS publishes, as users get it -------------------------------------------------------
def test_the_cli_output_of_filter_log_events_keeps_each_events_stream(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = cli_output("cli-filter-log-events.json", BASIC.splitlines(), stream="exec-0123456789abcdef0")
    outcome = analyze_file(tmp_path, capsys, text.encode(), "--format", "json")
    assert outcome.status == 0 and outcome.failures == BASIC_FAILURES


def test_the_cli_output_of_get_log_events_has_no_stream_names_and_is_read_all_the_same(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = cli_output("cli-get-log-events.json", BASIC.splitlines())
    outcome = analyze_file(tmp_path, capsys, text.encode(), "--format", "json")
    assert outcome.status == 0 and outcome.failures == BASIC_FAILURES


def test_json_lines_of_enhanced_events_are_read_line_by_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = "".join(json.dumps(ENHANCED) + "\n" for _ in range(3))
    outcome = analyze_file(tmp_path, capsys, lines.encode(), "--format", "json")
    assert outcome.status == 0 and outcome.failures == 3


@pytest.mark.parametrize(
    ("encoding", "bom"),
    [
        ("utf-8", b"\xef\xbb\xbf"),
        ("utf-16-le", b"\xff\xfe"),
        ("utf-16-be", b"\xfe\xff"),
        ("utf-16-le", b""),  # Windows tools that write UTF-16 without a byte order mark
        ("utf-16-be", b""),
    ],
    ids=["utf-8 BOM", "utf-16 LE BOM", "utf-16 BE BOM", "utf-16 LE", "utf-16 BE"],
)
@pytest.mark.parametrize("sample", ["basic", "filter-log-events"])
def test_byte_order_marks_and_utf16_are_decoded_and_hide_no_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], encoding: str, bom: bytes, sample: str
) -> None:
    text = BASIC if sample == "basic" else cli_output("cli-filter-log-events.json", BASIC.splitlines())
    outcome = analyze_file(tmp_path, capsys, bom + text.encode(encoding), "--format", "json")
    assert outcome.status == 0, outcome.err
    # The first line counts like the others: a byte order mark does not hide its failure.
    assert outcome.failures == BASIC_FAILURES
    assert json.loads(outcome.out)["failures"][0]["path"] == "/file1.dll"


def test_a_text_log_whose_first_line_starts_with_a_brace_is_read_as_text(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for first in ("{job 42} nightly sync\n", '{"job": 42} nightly sync\n', "{\tstarted\n"):
        outcome = analyze_file(tmp_path, capsys, (first + BASIC).encode(), "--format", "json")
        assert outcome.status == 0, (first, outcome.err)
        assert outcome.failures == BASIC_FAILURES


def test_line_breaks_inside_names_are_not_line_ends_of_the_input(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # A file name may hold U+2028 or NEL: only a line feed ends a line of a log.
    line = "[ERROR] Failed to open source file /in/a\u2028b\x85c.txt: No such file or directory\n"
    outcome = analyze_file(tmp_path, capsys, line.encode(), "--format", "json")
    assert outcome.status == 0
    assert [failure["path"] for failure in json.loads(outcome.out)["failures"]] == ["/in/a\u2028b\x85c.txt"]


# --- broken input: one line, exit status 2 -----------------------------------------------------
def test_truncated_json_is_refused_saying_it_ends_early(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = cli_output("cli-filter-log-events.json", BASIC.splitlines())
    assert_refused(analyze_file(tmp_path, capsys, text[: len(text) // 2].encode()), "JSON", "ends")


def test_a_single_line_of_truncated_json_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = json.dumps(json.loads(cli_output("cli-get-log-events.json", BASIC.splitlines())))
    assert_refused(analyze_file(tmp_path, capsys, text[:-40].encode()), "JSON")


def test_json_lines_whose_first_line_is_cut_are_refused_naming_the_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = json.dumps(ENHANCED)
    lines = line[: len(line) // 2] + "\n" + line + "\n" + line + "\n"
    assert_refused(analyze_file(tmp_path, capsys, lines.encode()), "line 1")


def test_json_lines_with_a_later_line_cut_are_refused_naming_that_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    line = json.dumps(ENHANCED)
    lines = line + "\n" + line + "\n" + line[:30] + "\n"
    assert_refused(analyze_file(tmp_path, capsys, lines.encode()), "line 3")


@pytest.mark.parametrize(
    "document",
    [
        {"Events": [{"message": "[ERROR] Failed to open source file /a: No such file or directory"}]},
        {"events": [{"Message": "[ERROR] Failed to open source file /a: No such file or directory"}]},
        {"events": [{"message": 42}]},
        {"events": "[ERROR] Failed to open source file /a: No such file or directory"},
        {"logEvents": [{"timestamp": 1, "message": "[ERROR] Failed"}]},
        [{"message": "[ERROR] Failed to open source file /a: No such file or directory"}],
        {"job": 42},
    ],
    ids=["Events", "Message", "numeric message", "events not a list", "PutLogEvents input", "a list", "other"],
)
@pytest.mark.parametrize("indent", [None, 2], ids=["one line", "indented"])
def test_json_that_is_neither_cloudwatch_nor_enhanced_events_is_refused_not_read_as_zero_failures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], document: Any, indent: int | None
) -> None:
    outcome = analyze_file(tmp_path, capsys, json.dumps(document, indent=indent).encode())
    assert_refused(outcome, "neither a CloudWatch Logs response")
    assert "failure(s)" not in outcome.out


def test_json_nested_deeper_than_the_decoder_goes_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(analyze_file(tmp_path, capsys, b'{"events": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"))


def test_a_missing_file_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["analyze-logs", str(tmp_path / "no-such.log")])
    assert_refused(Outcome(status, *capsys.readouterr()), "no-such.log", "No such file or directory")


def test_a_directory_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["analyze-logs", str(tmp_path)])
    assert_refused(Outcome(status, *capsys.readouterr()), str(tmp_path), "directory")


def test_undecodable_bytes_on_standard_input_are_named_with_their_offset(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data = BASIC.encode() + b"[ERROR] Failed to open source file /caf\xe9.txt: No such file or directory\n"
    outcome = analyze_stdin(monkeypatch, capsys, data)
    at = data.index(b"\xe9")
    assert_refused(outcome, "standard input", "UTF-8", f"offset {at} (e9)")


def test_undecodable_bytes_in_a_file_are_named_with_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(analyze_file(tmp_path, capsys, b"\x80\x81 not text"), "input.log", "offset 0")


# --- anything at all ---------------------------------------------------------------------------
SAMPLES = [
    BASIC.encode(),
    cli_output("cli-filter-log-events.json", BASIC.splitlines()).encode(),
    (json.dumps(ENHANCED) + "\n").encode(),
]
ANY_INPUT = (
    st.binary(max_size=400)
    | st.text(max_size=200).map(str.encode)
    | st.text(max_size=100).map(lambda text: text.encode("utf-16"))
    # AWS's samples cut anywhere, or with bytes put in anywhere.
    | st.tuples(st.sampled_from(SAMPLES), st.integers(0, 2000)).map(lambda cut: cut[0][: cut[1]])
    | st.tuples(st.sampled_from(SAMPLES), st.integers(0, 2000), st.binary(min_size=1, max_size=8)).map(
        lambda put: put[0][: put[1]] + put[2] + put[0][put[1] :]
    )
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=ANY_INPUT)
@example(data=b"\xef\xbb\xbf{")
@example(data=b"{" * 5000)
@example(data=b"\xff\xfe{\x00")
def test_any_bytes_in_a_file_give_failures_or_one_error_line_never_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    outcome = analyze_file(tmp_path, capsys, data, "--format", "json")
    assert outcome.status in (0, 2)
    if outcome.status == 0:
        assert outcome.err == ""
        json.loads(outcome.out)  # a complete document
    else:
        assert_refused(outcome)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=ANY_INPUT)
def test_any_bytes_on_standard_input_give_failures_or_one_error_line_never_a_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], data: bytes
) -> None:
    outcome = analyze_stdin(monkeypatch, capsys, data)
    assert outcome.status in (0, 2)
    if outcome.status == 0:
        json.loads(outcome.out)
    else:
        assert_refused(outcome)
