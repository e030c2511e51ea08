"""The Slack notifier posts each message once, however often SNS hands it over: a run's message
published again after a lost answer, the same publish delivered twice, a delivery retried after
Slack failed. Its memory (the idempotency table) failing never keeps a message out of Slack."""

import json
from pathlib import Path

import boto3
import pytest
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from datasync_scheduler.adapters import slack_webhook
from datasync_scheduler.messages.publication import sns_publication
from emulator.faults import FaultInjector, injecting, parse_faults
from emulator.local_aws import LocalAws
from emulator.scenario import template_functions
from emulator.webhook import Reply, SlackWebhookStandIn
from tests.unit.test_slack_message import failed_run

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
RUN = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-x:nightly-20260101"
OTHER_RUN = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-x:nightly-20260102"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_webhook, "RETRY_INTERVAL", FixedValueRetryIntervalCalculator(0.01))


def publish(aws: LocalAws, run: str | None) -> str:
    """A run's message exactly as Report Run publishes it (named by `run` when given)."""
    publication = sns_publication(failed_run(()), workflow_execution=run)
    return str(
        boto3.client("sns", region_name=REGION).publish(
            TopicArn=aws.stack.topics["NotificationTopic"],
            Subject=publication["subject"],
            Message=publication["structured"],
            MessageStructure="json",
            MessageAttributes=publication["attributes"],
        )["MessageId"]
    )


def notifier_results(aws: LocalAws) -> list[str | None]:
    return [call.error_type for call in aws.router.invocations if call.function == "NotifySlackFunction"]


def test_a_message_published_twice_is_posted_once_and_the_second_delivery_says_so(
    slack_stack: tuple[LocalAws, SlackWebhookStandIn],
) -> None:
    aws, stand_in = slack_stack
    first, second = publish(aws, RUN), publish(aws, RUN)

    assert first != second  # two publishes SNS took, one message
    assert len(stand_in.posts) == 1
    assert notifier_results(aws) == [None, None]  # the second delivery succeeded without posting
    logged = [call.output for call in aws.router.invocations if call.function == "NotifySlackFunction"][1]
    assert "Already posted to Slack: not posted again" in logged
    assert second in logged and f"run:{RUN}" in logged


def test_two_runs_messages_are_two_posts(slack_stack: tuple[LocalAws, SlackWebhookStandIn]) -> None:
    aws, stand_in = slack_stack
    publish(aws, RUN)
    publish(aws, OTHER_RUN)

    assert len(stand_in.posts) == 2


def test_a_publish_delivered_twice_is_posted_once_even_without_a_message_id(
    slack_stack: tuple[LocalAws, SlackWebhookStandIn],
) -> None:
    """SNS's and Lambda's redeliveries of one publish keep its SNS MessageId: that is the key when
    the message has no `message_id` (a CloudWatch alarm's, or the sample event's)."""
    aws, stand_in = slack_stack
    event = json.loads((ROOT / "events" / "sns-run-message.json").read_text(encoding="utf-8"))
    assert "message_id" not in event["Records"][0]["Sns"]["MessageAttributes"]

    first = aws.router.invoke("NotifySlackFunction", event)
    again = aws.router.invoke("NotifySlackFunction", event)

    assert first == ({"delivered": 1, "alreadyPosted": 0}, None)
    assert again == ({"delivered": 0, "alreadyPosted": 1}, None)
    assert len(stand_in.posts) == 1


def test_a_delivery_that_failed_is_posted_by_lambdas_retry(slack_stack: tuple[LocalAws, SlackWebhookStandIn]) -> None:
    """Slack down for the first invocation (its own three attempts): the failed post leaves no
    record, so Lambda's retry posts the message."""
    aws, stand_in = slack_stack
    stand_in.reply_with(*[Reply(500, "internal_error")] * (1 + slack_webhook.RETRIES))
    publish(aws, RUN)

    assert notifier_results(aws) == ["SlackDeliveryFailed", None]
    assert [post.accepted for post in stand_in.posts] == [False] * (1 + slack_webhook.RETRIES) + [True]


@pytest.mark.parametrize("operation", ["PutItem", "UpdateItem"])
def test_when_the_record_of_a_post_cannot_be_written_or_completed_the_message_is_posted_once(
    slack_stack: tuple[LocalAws, SlackWebhookStandIn], operation: str
) -> None:
    aws, stand_in = slack_stack
    down = [{"api": f"dynamodb:{operation}", "error": "InternalServerError", "calls": "all"}]
    with injecting(FaultInjector(parse_faults(down, template_functions()))) as injector:
        publish(aws, RUN)

    assert injector.injected, f"the notifier never called {operation}"
    assert notifier_results(aws) == [None]
    assert [post.accepted for post in stand_in.posts] == [True]
