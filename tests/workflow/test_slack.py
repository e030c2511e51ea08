"""Every run and batch message reaches "Slack" (a real webhook on this machine), and Slack's troubles
never change how a run ends."""

import json
from typing import Any

import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from datasync_scheduler.adapters import slack_webhook
from datasync_scheduler_cli.cli import main
from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, parse_scenario
from emulator.webhook import Reply, SlackWebhookStandIn
from tests.slack_payloads import assert_cannot_ping_or_forge_links, assert_valid_block_kit

HOSTILE_FILES = [
    {"path": "/finance/<!channel> q3 *final*.xlsx", "kind": "checksum"},
    {"path": "/finance/<https://evil.example/login|Open the AWS console>.csv", "kind": "metadata"},
]


def scenario(name: str, **changes: Any) -> Any:
    raw = json.loads((SCENARIO_DIR / f"{name}.json").read_text(encoding="utf-8"))
    raw.update(changes)
    return parse_scenario(name, raw)


def payloads(summary: Any) -> list[dict[str, Any]]:
    return [post["payload"] for post in summary.slack_messages]


def test_a_failed_run_with_hostile_file_names_reaches_slack_as_valid_block_kit_that_pings_nobody() -> None:
    raw = json.loads((SCENARIO_DIR / "verification-mismatch.json").read_text(encoding="utf-8"))
    raw["task"]["name"] = "archive @here"
    raw["executions"][0]["failedFiles"] = HOSTILE_FILES
    summary = run_scenario(parse_scenario("verification-mismatch", raw))

    assert summary.status == "FAILED"
    (post,) = summary.slack_messages
    assert post["status"] == 200
    assert_valid_block_kit(post["payload"])
    assert_cannot_ping_or_forge_links(post["payload"])
    everything = json.dumps(post["payload"], ensure_ascii=False)
    assert "&lt;!channel&gt; q3 *final*.xlsx" in everything  # shown, escaped
    # The notification preview names the task without a mention Slack could parse.
    assert "archive @\u2060here" in post["payload"]["text"] and "@here" not in post["payload"]["text"]


def test_a_batch_posts_one_message_per_task_run_and_one_for_the_batch() -> None:
    summary = run_scenario(scenario("nightly-batch"))

    runs = len(summary.batch["children"])  # type: ignore[index]
    assert runs == 5
    assert [post["status"] for post in summary.slack_messages] == [200] * (runs + 1)
    for payload in payloads(summary):
        assert_valid_block_kit(payload)
        assert_cannot_ping_or_forge_links(payload)
    assert "batch: 4 of 5 tasks succeeded, 1 FAILED" in payloads(summary)[-1]["text"]


@pytest.mark.parametrize("name", ["nightly-success", "execution-error"])
def test_slack_down_for_good_changes_no_runs_verdict_and_every_message_waits_in_the_failure_queue(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(slack_webhook, "RETRY_INTERVAL", FixedValueRetryIntervalCalculator(0.01))
    expected = scenario(name).expect["status"]

    summary = run_scenario(scenario(name), slack_webhook=SlackWebhookStandIn(otherwise=Reply(500, "internal_error")))

    assert summary.status == expected
    messages = len(summary.notifications)
    assert messages >= 1
    assert all(post["status"] == 500 for post in summary.slack_messages)
    failed = summary.queue_messages["SlackDeliveryFailures"]
    assert len(failed) == messages
    assert {record["requestContext"]["condition"] for record in failed} == {"RetriesExhausted"}
    assert {record["responsePayload"]["errorType"] for record in failed} == {"SlackDeliveryFailed"}
    # The failed message is kept whole, ready to be sent again once Slack is back.
    assert {record["requestPayload"]["Records"][0]["Sns"]["Subject"] for record in failed} == {
        notification["subject"] for notification in summary.notifications
    }


def test_the_demo_shows_what_slack_received_as_the_channel_would_show_it(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scenario", "execution-error"]) == 0  # the scenario expects FAILED
    printed = capsys.readouterr().out

    assert "Posted to Slack (the local webhook answered 200):" in printed
    slack = printed.split("Posted to Slack (the local webhook answered 200):", 1)[1].splitlines()
    header, underline = slack[1], slack[2]
    assert header.startswith("  | ") and header.endswith("nightly-archive: sync FAILED (DataSync.FsS3HeadBucketFailed)")
    assert underline.startswith("  | ===")
