"""After a run ends, the workflow finds exactly which files failed and why, and says so."""

from typing import Any

from tests.workflow.conftest import run


def only_report(summary: dict[str, Any]) -> list[dict[str, Any]]:
    (report,) = summary["failure_reports"].values()
    return report


def test_a_verification_mismatch_names_each_file_with_its_category_and_keeps_the_full_list() -> None:
    summary = run("verification-mismatch", parameters={"MaxAttempts": "1"})

    assert summary["status"] == "FAILED"
    (notification,) = summary["notifications"]
    message = notification["message"]
    assert "Files that failed: 2 (1 a rerun can fix, 1 it cannot)" in message
    assert "  checksum_mismatch: 1 - the file changed while it was copied" in message
    assert "    /finance/q3 report.xlsx" in message
    assert "    /finance/ledger <draft>.csv" in message
    report = only_report(summary)
    assert sorted((item["path"], item["category"]) for item in report) == [
        ("/finance/ledger <draft>.csv", "metadata_mismatch"),
        ("/finance/q3 report.xlsx", "checksum_mismatch"),
    ]
    (location,) = summary["failure_reports"]
    assert f"Full list: {location}" in message


def test_an_enhanced_task_is_analysed_from_the_shared_log_group() -> None:
    summary = run("enhanced-mode-failures", parameters={"MaxAttempts": "1"})
    categories = {item["path"]: item["category"] for item in only_report(summary)}
    assert categories == {
        "/clips/2026/intro.mov": "metadata_mismatch",
        "/clips/2026/outro.mov": "not_at_source",
        "/raw/`take 3`|final*.mxf": "checksum_mismatch",
    }


def test_a_task_report_is_preferred_over_the_logs() -> None:
    summary = run(
        "task-report-failures", parameters={"TaskReportBucketName": "datasync-task-reports", "MaxAttempts": "1"}
    )
    report = only_report(summary)
    assert {item["level"] for item in report} == {"REPORT"}
    assert {item["path"]: item["category"] for item in report} == {
        "/2026/Q3/ledger.xlsx": "checksum_mismatch",
        "/2026/Q3/notes.docx": "metadata_mismatch",
        "/2026/Q3/payroll.csv": "access_denied",
    }


def test_without_logs_the_run_says_the_failed_files_are_unknown_and_how_to_fix_that() -> None:
    summary = run("logging-off", parameters={"MaxAttempts": "1"})
    assert summary["status"] == "FAILED"
    assert summary["failure_reports"] == {}
    message = summary["notifications"][0]["message"]
    assert "Which files failed is unknown: LogLevel is OFF for this execution" in message


def test_a_successful_run_is_not_analysed_and_says_nothing_about_failures() -> None:
    summary = run("nightly-success")
    assert summary["failure_reports"] == {}
    # The nightly schedule runs the task as a batch: the task's run result is its SyncWorkflow's output.
    (task_run,) = summary["batch"]["children"]
    assert task_run["output"]["failures"] is None
    assert "AnalyzeRunFunction" not in {call["function"] for call in summary["invocations"]}
    assert "failed" not in summary["notifications"][0]["message"].lower()
