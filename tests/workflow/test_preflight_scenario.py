"""Preflight before the window, on the emulated stack: the `agent-offline-preflight` scenario. The
agent went offline in the afternoon; the Health Check inside the schedule's lead time sends one
preflight message naming the task and what to do, before the firing runs and fails."""

from typing import Any

from tests.workflow.conftest import run


def attributes(notification: dict[str, Any]) -> dict[str, str]:
    return {name: value["Value"] for name, value in notification["attributes"].items()}


def test_the_offline_agent_is_reported_once_before_the_window_and_the_run_then_fails() -> None:
    summary = run("agent-offline-preflight")

    assert [check["published"] for check in summary["health_checks"]] == [
        [],
        ["preflight#finance-nightly#2026-11-22T00:00:00Z"],
        [],
    ]
    preflight, run_message = summary["notifications"]
    assert attributes(preflight) | {"message_id": ""} == {
        "kind": "preflight",
        "outcome": "failed",
        "severity": "error",
        "schedule": "finance-nightly",
        "route": "finance",
        "message_id": "",
    }
    assert "will FAIL" in preflight["subject"]
    assert "is UNAVAILABLE: an agent it uses is offline" in preflight["message"]
    assert "bring the agent's VM back" in preflight["message"]
    # Nobody acted: the firing ran, and the task's run failed as the preflight said it would.
    assert attributes(run_message)["kind"] == "run"
    assert summary["status"] == "FAILED"
