"""The emulated DataSync writes its log lines in the forms of AWS's own examples, so it cannot drift from them."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from emulator.datasync_logs import FailedFile, basic_lines, enhanced_line

FIXTURES = Path(__file__).parents[1] / "fixtures" / "aws" / "logs"
GUIDE_PATH = "/directory1/directory2/file1.txt"
PATH = "/data/some file.txt"


def fixture_lines(name: str) -> list[str]:
    return (FIXTURES / name).read_text(encoding="utf-8").splitlines()


def shape(line: str, path: str) -> str:
    """A line with its path, hashes and numbers replaced by placeholders: what stays is the form."""
    line = line.replace(path, "<path>")
    line = re.sub(r"\b[0-9a-f]{64}\b", "<hash>", line)
    return re.sub(r"\d+", "<n>", line)


@pytest.mark.parametrize(
    ("kind", "fixture"),
    [
        ("checksum", "basic-checksum-mismatch.log"),
        ("metadata", "basic-extended-attributes.log"),
        ("destination_vanished", "basic-destination-vanished.log"),
        ("only_at_destination", "basic-not-at-source.log"),
    ],
)
def test_verification_groups_have_the_guides_form_line_by_line(kind: str, fixture: str) -> None:
    written = basic_lines(FailedFile(PATH, kind))
    assert [shape(line, PATH) for line in written] == [shape(line, GUIDE_PATH) for line in fixture_lines(fixture)]


def test_a_vanished_destination_has_the_guides_zero_size_times_and_hash() -> None:
    written = basic_lines(FailedFile(PATH, "destination_vanished"))
    guide = fixture_lines("basic-destination-vanished.log")
    assert written[3].partition("size=")[2] == guide[3].partition("size=")[2]
    assert written[4] == guide[4]


ONE_LINE = fixture_lines("basic-one-line.log")


@pytest.mark.parametrize(
    ("kind", "example", "path", "whole"),
    [
        ("source_vanished", ONE_LINE[0], "/file1.dll", True),
        ("access_denied", ONE_LINE[1], "/file1.png", True),
        ("read_error", ONE_LINE[5], "/appraiser/symlink", True),
        # The reasons of these two are the emulator's own: only the text up to the reason is AWS's.
        ("write_error", ONE_LINE[3], GUIDE_PATH, False),
        ("transfer_failed", ONE_LINE[6], "/user-metadata/file1", False),
    ],
)
def test_one_line_failures_have_the_guides_form(kind: str, example: str, path: str, whole: bool) -> None:
    [written] = basic_lines(FailedFile(PATH, kind))
    if whole:
        assert shape(written, PATH) == shape(example, path)
    else:
        form = shape(example, path)
        assert shape(written, PATH).startswith(form[: form.index("<path>") + len("<path>")])


@pytest.mark.parametrize(
    ("kind", "fixture"),
    [("only_at_destination", "enhanced-file-not-at-source.json"), ("metadata", "enhanced-metadata-differs.json")],
)
def test_enhanced_events_use_the_guides_fields_codes_and_details(kind: str, fixture: str) -> None:
    guide = json.loads((FIXTURES / fixture).read_text(encoding="utf-8"))
    line = enhanced_line(FailedFile(PATH, kind), "loc-0b3017fc4ba4a2d8d", "loc-abcdef01234567890")
    event = json.loads(line)
    assert set(event) <= set(guide)
    for side in ("Source", "Destination"):
        assert set(event[side]) <= set(guide[side])
        assert event[side]["RelativePath"] == PATH[1:]  # no leading "/", like the guide's
    assert (event["Action"], event["ErrorCode"], event["ErrorDetail"]) == (
        guide["Action"],
        guide["ErrorCode"],
        guide["ErrorDetail"],
    )
