"""The metrics a run publishes, read back from what its functions printed (as CloudWatch reads their logs)."""

import json
from datetime import datetime
from itertools import pairwise
from typing import Any

import pytest

from datasync_scheduler_cli.cli import main
from tests.workflow.conftest import run

GiB = 2**30
NIGHTLY = {"Task": "nightly-archive", "service": "datasync-scheduler"}
APPLICATION = {"service": "datasync-scheduler"}


def published(summary: dict[str, Any]) -> list[tuple[str, dict[str, str], str, float]]:
    """Every value in the run's EMF documents: (metric, dimensions, unit, value), in the order printed."""
    values = []
    for item in summary["metrics"]:
        document = item["emf"]
        (directive,) = document["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == "DataSyncScheduler"
        (dimension_names,) = directive["Dimensions"]
        dimensions = {name: document[name] for name in dimension_names}
        for metric in directive["Metrics"]:
            values.extend((metric["Name"], dimensions, metric["Unit"], value) for value in document[metric["Name"]])
    return values


def value(summary: dict[str, Any], metric: str, **dimensions: str) -> float:
    (found,) = [v for name, dims, _, v in published(summary) if name == metric and dims == dimensions]
    return found


def seconds_between(start: str, end: str) -> float:
    return (
        datetime.fromisoformat(end.replace("Z", "+00:00")) - datetime.fromisoformat(start.replace("Z", "+00:00"))
    ).total_seconds()


def test_a_nightly_run_publishes_its_outcome_counters_and_phases_once_and_the_batch_its_counts() -> None:
    summary = run("nightly-success")

    (per_task,) = [item["emf"] for item in summary["metrics"] if item["emf"].get("Task") and "Attempts" in item["emf"]]
    assert per_task["_aws"]["CloudWatchMetrics"] == [
        {
            "Namespace": "DataSyncScheduler",
            "Dimensions": [["Task", "service"]],
            "Metrics": [
                {"Name": "RunsSucceeded", "Unit": "Count"},
                {"Name": "RunsFailed", "Unit": "Count"},
                {"Name": "BytesTransferred", "Unit": "Bytes"},
                {"Name": "FilesTransferred", "Unit": "Count"},
                {"Name": "Attempts", "Unit": "Count"},
                {"Name": "RunDuration", "Unit": "Seconds"},
                # The run's estimated cost in US dollars (docs/cost.md): CloudWatch has no currency unit.
                {"Name": "EstimatedCost", "Unit": "None"},
            ],
        }
    ]
    assert value(summary, "RunsSucceeded", **NIGHTLY) == 1
    assert value(summary, "RunsFailed", **NIGHTLY) == 0
    assert value(summary, "RunsSucceeded", **APPLICATION) == 1
    assert value(summary, "FilesTransferred", **NIGHTLY) == 12000
    assert value(summary, "BytesTransferred", **NIGHTLY) == 50 * GiB
    assert value(summary, "Attempts", **NIGHTLY) == 1
    (execution,) = summary["executions"]
    for mark, following in pairwise(execution["phases"]):
        expected = seconds_between(mark["at"], following["at"])
        assert value(summary, "PhaseDuration", **NIGHTLY, Phase=mark["phase"]) == expected
    # The whole run, from its first step to its report: at least the execution's own time.
    first, last = execution["phases"][0]["at"], execution["phases"][-1]["at"]
    assert value(summary, "RunDuration", **NIGHTLY) >= seconds_between(first, last)
    assert value(summary, "BatchTasksSucceeded", **APPLICATION) == 1
    assert value(summary, "BatchTasksFailed", **APPLICATION) == 0
    # Report Run and Summarize Batch publish; the other steps print no metrics.
    assert {item["function"] for item in summary["metrics"]} == {"ReportRunFunction", "SummarizeBatchFunction"}


def test_a_run_that_recovers_after_a_retry_succeeds_and_shows_the_files_the_retry_fixed() -> None:
    summary = run("checksum-failure-recovers")

    task = {"Task": summary["output"]["taskName"], "service": "datasync-scheduler"}
    assert value(summary, "RunsSucceeded", **task) == 1
    assert value(summary, "Attempts", **task) == 2
    assert value(summary, "FileFailures", **task, Category="checksum_mismatch") == 3
    units = {name: unit for name, _, unit, _ in published(summary)}
    assert (
        units["FileFailures"] == "Count" and units["RunDuration"] == "Seconds" and units["BytesTransferred"] == "Bytes"
    )


def test_a_run_denied_some_files_fails_and_publishes_them_by_category() -> None:
    summary = run("permission-denied")

    task = {"Task": "partner-drop", "service": "datasync-scheduler"}
    assert value(summary, "RunsFailed", **task) == 1
    assert value(summary, "RunsSucceeded", **task) == 0
    assert value(summary, "RunsFailed", **APPLICATION) == 1
    (document,) = [item["emf"] for item in summary["metrics"] if "Category" in item["emf"]]
    assert document["_aws"]["CloudWatchMetrics"] == [
        {
            "Namespace": "DataSyncScheduler",
            "Dimensions": [["Task", "Category", "service"]],
            "Metrics": [{"Name": "FileFailures", "Unit": "Count"}],
        }
    ]
    # As many as the failure report lists, the complete record of the run's failed files.
    (report,) = summary["failure_reports"].values()
    assert (document["Task"], document["Category"]) == ("partner-drop", "access_denied")
    assert document["FileFailures"] == [sum(1 for failure in report if failure["category"] == "access_denied")] == [2]


def test_the_demo_prints_only_its_summary_the_metric_documents_stay_in_the_function_logs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["demo", "--scenario", "nightly-success", "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["metrics"], "the run published metrics"


def test_a_batch_of_five_runs_two_at_a_time_counts_each_run_once_under_its_own_task() -> None:
    summary = run("nightly-batch")

    def total(metric: str, **dimensions: str) -> float:
        return sum(v for name, dims, _, v in published(summary) if name == metric and dims == dimensions)

    tasks = {child["taskName"] for child in summary["batch"]["children"]}
    assert len(tasks) == 5
    for task in tasks:
        per_task = {"Task": task, "service": "datasync-scheduler"}
        assert total("RunsSucceeded", **per_task) + total("RunsFailed", **per_task) == 1, task
    assert (total("RunsSucceeded", **APPLICATION), total("RunsFailed", **APPLICATION)) == (4, 1)
    assert (total("BatchTasksSucceeded", **APPLICATION), total("BatchTasksFailed", **APPLICATION)) == (4, 1)
