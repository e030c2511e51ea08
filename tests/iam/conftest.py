"""Prints the IAM report (calls checked, permissions no scenario used) after the test run, also from
pytest-xdist workers: the test hands it over as a user property of its report."""

from __future__ import annotations

import pytest

IAM_REPORT = "iam_report"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for report in terminalreporter.stats.get("passed", []):
        for name, value in getattr(report, "user_properties", []):
            if name == IAM_REPORT:
                terminalreporter.write_sep("-", "IAM permissions")
                terminalreporter.write_line(str(value))
