"""The Slack notifier against a real HTTP webhook on this machine: it retries what a retry can fix,
gives up on the rest, and never shows the webhook's URL (the secret) anywhere."""

import json
import logging
from pathlib import Path
from typing import Any

import boto3
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from datasync_scheduler.adapters import slack_webhook
from datasync_scheduler.adapters.slack_webhook import (
    SlackDeliveryFailed,
    SlackWebhook,
    WebhookSecretError,
    read_webhook_url,
    webhook_url,
)
from emulator.function_output import emf_documents
from emulator.local_aws import LocalAws, local_aws
from emulator.webhook import Reply, SlackWebhookStandIn
from tests.slack_payloads import assert_cannot_ping_or_forge_links, assert_valid_block_kit
from tests.unit.test_slack_message import HOSTILE_PATHS, failed_run, group

REGION = "us-east-1"
PAYLOAD = {"text": "hello"}
TOO_SLOW = Reply(delay_seconds=1.0)  # the client waits 0.3 s (see quick_retries)


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    # Same handlers and counts as in production; only the waits are short. A 429's Retry-After is
    # still honoured as Slack sends it.
    monkeypatch.setattr(slack_webhook, "TIMEOUT_SECONDS", 0.3)
    monkeypatch.setattr(slack_webhook, "RETRY_INTERVAL", FixedValueRetryIntervalCalculator(0.01))


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)  # every logger, botocore and slack_sdk included
    return caplog


def assert_never_shown(stand_in: SlackWebhookStandIn, *places: str) -> None:
    for place in places:
        assert stand_in.path not in place and stand_in.url not in place


def test_a_server_error_is_retried_and_the_message_arrives_once(
    everything_logged: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with SlackWebhookStandIn([Reply(500, "internal_error"), Reply(200, "ok")]) as stand_in:
        SlackWebhook(stand_in.url).post(PAYLOAD)

    assert [post.reply.status for post in stand_in.posts] == [500, 200]
    assert stand_in.delivered == [PAYLOAD]
    assert_never_shown(stand_in, everything_logged.text, *capsys.readouterr())


def test_when_rate_limited_the_notifier_waits_as_slack_says_and_delivers(
    everything_logged: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with SlackWebhookStandIn([Reply(429, "rate_limited", retry_after=1)]) as stand_in:
        SlackWebhook(stand_in.url).post(PAYLOAD)

    assert [post.reply.status for post in stand_in.posts] == [429, 200]
    assert stand_in.delivered == [PAYLOAD]
    assert_never_shown(stand_in, everything_logged.text, *capsys.readouterr())


def test_a_webhook_that_answers_too_slowly_is_retried_and_then_the_delivery_fails(
    everything_logged: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    with SlackWebhookStandIn(otherwise=TOO_SLOW) as stand_in, pytest.raises(SlackDeliveryFailed) as failed:
        SlackWebhook(stand_in.url).post(PAYLOAD)

    assert len(stand_in.posts) == 1 + slack_webhook.RETRIES
    assert str(failed.value) == "could not reach Slack: TimeoutError: timed out"
    assert failed.value.__cause__ is None and failed.value.__suppress_context__
    assert_never_shown(stand_in, everything_logged.text, *capsys.readouterr(), str(failed.value))


def test_a_revoked_webhook_is_not_retried_the_same_request_would_get_the_same_answer(
    everything_logged: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    revoked = SlackWebhookStandIn(otherwise=Reply(404, "no_service"))
    with revoked as stand_in, pytest.raises(SlackDeliveryFailed) as failed:
        SlackWebhook(stand_in.url).post(PAYLOAD)

    assert len(stand_in.posts) == 1
    assert str(failed.value) == "Slack answered HTTP 404: no_service"
    assert_never_shown(stand_in, everything_logged.text, *capsys.readouterr(), str(failed.value))


def test_an_answer_quoting_the_url_is_reported_without_it() -> None:
    with SlackWebhookStandIn() as stand_in:
        stand_in.reply_with(otherwise=Reply(400, f"invalid_payload for {stand_in.url} ({stand_in.path})"))
        with pytest.raises(SlackDeliveryFailed) as failed:
            SlackWebhook(stand_in.url).post(PAYLOAD)

    assert str(failed.value) == "Slack answered HTTP 400: invalid_payload for <the webhook URL> (<the webhook URL>)"


# --- the secret ------------------------------------------------------------------------------------
URL = "https://hooks.slack.com/services/T0000/B0000/abcdefghijklmnopqrstuvwx"


@pytest.mark.parametrize(
    "secret",
    [URL, f"  {URL}\n", json.dumps({"url": URL}), json.dumps({"webhookUrl": URL, "channel": "#ops"})],
    ids=["the URL", "with white space", "JSON url", "JSON webhookUrl"],
)
def test_the_secret_holds_the_url_or_json_with_it(secret: str) -> None:
    assert webhook_url(secret) == URL


@pytest.mark.parametrize(
    "secret",
    [
        "http://hooks.slack.com/services/T/B/secret-value",
        "hooks.slack.com/services/secret-value",
        '{"url": 7}',
        "{oops",
        "https://[secret-value/",
    ],
    ids=["plain http", "no scheme", "JSON without a URL", "broken JSON", "not a URL"],
)
def test_an_unusable_secret_is_refused_without_repeating_it(secret: str) -> None:
    with pytest.raises(WebhookSecretError) as refused:
        webhook_url(secret)
    assert "secret-value" not in str(refused.value) and "hooks.slack.com" not in str(refused.value)


def test_reading_the_secret_logs_nothing_of_its_value_even_at_debug(
    everything_logged: pytest.LogCaptureFixture,
) -> None:
    with local_aws():
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="hook", SecretString=URL)
        everything_logged.clear()  # creating it logged it; reading it must not
        assert read_webhook_url(secret["ARN"]) == URL

    assert "Response body withheld: it holds a Secrets Manager secret" in everything_logged.text
    assert "abcdefghijklmnopqrstuvwx" not in everything_logged.text


# --- the Lambda function, subscribed to the topic --------------------------------------------------
def publish_message(aws: LocalAws, message: dict[str, Any]) -> None:
    """What Report Run publishes: one structured message, the Message as JSON for Lambda."""
    as_json = json.dumps(message)
    boto3.client("sns", region_name=REGION).publish(
        TopicArn=aws.stack.topics["NotificationTopic"],
        Subject="DataSync nightly-archive: sync FAILED",
        Message=json.dumps({"default": "the email text", "email": "the email text", "lambda": as_json}),
        MessageStructure="json",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "run"}},
    )


def test_a_run_message_on_the_topic_reaches_slack_as_block_kit(
    slack_stack: tuple[LocalAws, SlackWebhookStandIn],
) -> None:
    aws, stand_in = slack_stack
    publish_message(aws, failed_run((group("checksum_mismatch", 5, HOSTILE_PATHS),)).to_json_dict())

    (payload,) = stand_in.delivered
    assert_valid_block_kit(payload)
    assert_cannot_ping_or_forge_links(payload)
    assert payload["blocks"][0]["text"]["text"] == "❌ nightly-archive: sync FAILED (DataSync.PermanentFailures)"


def test_when_slack_stays_down_the_notifier_fails_counts_it_and_the_message_waits_in_the_failure_queue(
    slack_stack: tuple[LocalAws, SlackWebhookStandIn],
    everything_logged: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    aws, stand_in = slack_stack
    stand_in.reply_with(otherwise=Reply(500, "internal_error"))
    publish_message(aws, failed_run(()).to_json_dict())

    calls = [call.error_type for call in aws.router.invocations if call.function == "NotifySlackFunction"]
    assert calls == ["SlackDeliveryFailed"] * 3  # the first invocation and Lambda's two retries
    assert len(stand_in.posts) == 3 * (1 + slack_webhook.RETRIES)
    sqs = boto3.client("sqs", region_name=REGION)
    (queued,) = sqs.receive_message(QueueUrl=aws.stack.queues["SlackDeliveryFailures"])["Messages"]
    record = json.loads(queued["Body"])
    assert record["responsePayload"]["errorMessage"].endswith("Slack answered HTTP 500: internal_error")
    out, err = capsys.readouterr()
    # One EMF document per failed invocation, for an alarm on SlackDeliveryFailures (in each
    # invocation's own output, as in its Lambda log).
    documents = [
        document
        for call in aws.router.invocations
        if call.function == "NotifySlackFunction"
        for document in emf_documents(call.output)
    ]
    assert [doc["SlackDeliveryFailures"] for doc in documents] == [[1.0]] * 3
    assert documents[0]["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "DataSyncScheduler"
    assert_never_shown(stand_in, everything_logged.text, out, err, queued["Body"])


def test_the_sample_event_is_what_sns_sends_the_notifier(slack_stack: tuple[LocalAws, SlackWebhookStandIn]) -> None:
    """events/sns-run-message.json, for `sam local invoke NotifySlackFunction -e ...` where Docker runs."""
    aws, stand_in = slack_stack
    event = json.loads((Path(__file__).resolve().parents[2] / "events" / "sns-run-message.json").read_text())

    result, error = aws.router.invoke("NotifySlackFunction", event)

    assert error is None and result == {"delivered": 1, "alreadyPosted": 0}
    (payload,) = stand_in.delivered
    assert_valid_block_kit(payload)
    assert payload["blocks"][0]["text"]["text"] == "❌ nightly-archive: sync FAILED (DataSync.PermanentFailures)"
