"""A task that DataSync also schedules, on the emulated stack: the `datasync-schedule-disabled`
scenario. One task still has its own DataSync schedule (two schedulers), another's DataSync
schedule was disabled by DataSync itself; the Health Check inside the lead time sends one preflight
message with both warnings, DataSync's reason on one line, and the firing then runs both."""

import json
from typing import Any

from tests.workflow.conftest import run


def attributes(notification: dict[str, Any]) -> dict[str, str]:
    return {name: value["Value"] for name, value in notification["attributes"].items()}


def test_two_schedulers_and_a_schedule_datasync_disabled_are_warned_once_before_the_window() -> None:
    summary = run("datasync-schedule-disabled")

    assert [check["published"] for check in summary["health_checks"]] == [
        ["preflight#orders-nightly#2026-11-22T00:00:00Z"],
        [],
    ]
    preflight, digest = summary["notifications"]
    assert attributes(preflight) | {"message_id": ""} == {
        "kind": "preflight",
        "outcome": "warned",
        "severity": "warning",
        "schedule": "orders-nightly",
        "route": "orders",
        "message_id": "",
    }
    text = preflight["message"]
    assert "also has its own DataSync schedule cron(0 0 * * ? *)" in text
    assert "two schedulers start it" in text
    # DataSync's reason, untrusted text: on one line, with when DataSync disabled it.
    assert "DataSync disabled the task's own schedule on 2026-11-21 23:00 UTC after repeated failures" in text
    (line,) = [line for line in text.splitlines() if "Unable to connect to the NFS server" in line]
    # The line break in DataSync's reason is shown, not followed: the reason stays on its finding's line.
    assert line.endswith(
        "server\\nCheck the agent (ref: orders | 7); to do: fix the cause DataSync gives; "
        "delete the task's DataSync schedule if this scheduler runs it"
    )
    # Warnings do not stop the firing: both tasks ran and succeeded.
    assert attributes(digest)["kind"] == "batch"
    assert summary["status"] == "SUCCEEDED"
    assert sorted(e["status"] for e in summary["executions"]) == ["SUCCESS", "SUCCESS"]


def test_the_slack_message_does_not_let_datasyncs_reason_mention_the_channel() -> None:
    summary = run("datasync-schedule-disabled")

    (preflight,) = [post for post in summary["slack_messages"] if "preflight warns" in post["payload"]["text"]]
    shown = json.dumps(preflight["payload"])
    assert "<!channel>" not in shown
    assert "&lt;!channel&gt; Unable to connect to the NFS server" in shown
