"""The `hostile-names` scenario: a task whose name and failed files hold line breaks and terminal
controls. The run ends with its message, every line of which is one the scheduler wrote, and the
demo prints it."""

from typing import Any

import pytest

from datasync_scheduler.domain.untrusted import forbidden_in
from datasync_scheduler_cli.cli import _print_human
from tests.workflow.conftest import run

PATHS = ("/in/line\u2028separator.pdf", "/in/next\x85line.pdf", "/in/csi\x9b2J.pdf", "/in/gpj\u202eexe.pdf")


@pytest.fixture(scope="module")
def summary() -> dict[str, Any]:
    # The task's name is "partner\ndrop": DataSync's name pattern allows whitespace, line feeds included
    # (docs/aws-facts.md#untrusted-text-in-names-and-logs).
    return run("hostile-names")


def test_the_failure_report_keeps_every_name_exactly(summary: dict[str, Any]) -> None:
    (report,) = summary["failure_reports"].values()
    assert sorted(item["path"] for item in report) == sorted(PATHS)


def test_the_email_shows_each_name_escaped_on_its_own_line(summary: dict[str, Any]) -> None:
    (notification,) = summary["notifications"]
    body = notification["message"]
    assert not forbidden_in(body) - {"\n"}
    assert body.startswith("The sync of DataSync task partner\\ndrop FAILED (DataSync.OpaqueError).\n")
    assert "DataSync ended the execution in ERROR: OpaqueError: Transfer stopped\\u2028Workflow SUCCEEDED" in body
    for shown in ("/in/line\\u2028separator.pdf", "/in/next\\u0085line.pdf", "/in/csi\\u009b2J.pdf"):
        assert f"    {shown}" in body.split("\n")


def test_the_demo_prints_the_run_with_nothing_that_steers_the_terminal(
    summary: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    _print_human(summary)
    printed = capsys.readouterr().out
    assert not forbidden_in(printed) - {"\n"}
    assert "  | The sync of DataSync task partner\\ndrop FAILED (DataSync.OpaqueError)." in printed.split("\n")
