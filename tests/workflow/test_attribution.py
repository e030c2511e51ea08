"""A retry by file list only when the list is certainly this execution's, and all of it."""

from functools import cache
from typing import Any

from tests.workflow.conftest import run


@cache
def shared_group(stream_names: str) -> dict[str, Any]:
    """Two tasks logging to one group at the same time, with DataSync's streams named `stream_names`."""
    return run("shared-log-group", logStreamNames=stream_names)


def message_of(summary: dict[str, Any], task: str) -> str:
    (notification,) = [n for n in summary["notifications"] if f"DataSync task {task} " in n["message"]]
    return str(notification["message"])


def retries(summary: dict[str, Any]) -> list[dict[str, Any]]:
    return [execution for execution in summary["executions"] if execution["status"] == "SUCCESS"]


def test_two_tasks_sharing_a_log_group_whose_streams_name_no_execution_retry_their_whole_tasks() -> None:
    summary = shared_group("unnamed")

    assert summary["status"] == "SUCCEEDED"
    # Neither run can tell its failed files from the other's: no retry by manifest or filter.
    assert [(e["manifest"], e["includes"]) for e in retries(summary)] == [(None, []), (None, [])]
    for task in ("finance-share", "design-share"):
        message = message_of(summary, task)
        assert "retrying the whole task, not by file list" in message
        assert "the failures listed may include another execution's" in message


def test_two_tasks_sharing_a_log_group_whose_streams_name_the_execution_retry_only_their_own_files() -> None:
    summary = shared_group("execution")

    assert summary["status"] == "SUCCEEDED"
    manifests = sorted(sorted(e["manifest"]["paths"]) for e in retries(summary))
    assert manifests == [["ledgers/2026-q3.xlsx"], ["projects/atrium/render.png", "projects/lobby/notes.txt"]]
    message = message_of(summary, "design-share")
    assert "1 other execution(s) wrote to this log group during this execution" in message
    assert "/ledgers/2026-q3.xlsx" not in message


def test_failures_datasync_counted_but_the_logs_do_not_name_make_the_retry_whole_task() -> None:
    summary = run("failures-not-all-logged")

    assert summary["status"] == "SUCCEEDED"
    _, second = summary["executions"]
    # A manifest of the two logged objects would leave the third behind.
    assert second["manifest"] is None
    assert second["includes"] == []
    attempts = summary["output"]["attempts"]
    assert attempts[0]["decision"]["action"] == "retry_all"
    (notification,) = summary["notifications"]
    assert "DataSync counted 3 failed files; the logs name 2" in notification["message"]


def test_enhanced_tasks_sharing_a_source_location_retry_their_whole_tasks() -> None:
    summary = run("enhanced-shared-location")

    assert summary["status"] == "SUCCEEDED"
    # Both tasks' lines land in /aws/datasync and name the shared source location.
    assert [(e["manifest"], e["includes"]) for e in retries(summary)] == [(None, []), (None, [])]
    message = message_of(summary, "media-replica-eu")
    assert "retrying the whole task, not by file list" in message
    # DataSync counted one failed object for this task; the shared group names three.
    assert "the logs name 3 failures but DataSync counted 1 for this execution" in message
