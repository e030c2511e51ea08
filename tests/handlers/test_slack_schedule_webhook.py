"""A named schedule with its own Slack webhook (`messages.slackWebhookSecretArn`): its firing's
messages go to that channel instead of the stack's; a secret that cannot be read fails the delivery
naming the schedule (Lambda retries it, then keeps it in the failure queue), never dropping it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator

from datasync_scheduler.adapters import slack_webhook
from datasync_scheduler.messages.publication import sns_publication
from emulator.local_aws import LocalAws, local_aws
from emulator.webhook import SlackWebhookStandIn
from tests.unit.test_slack_message import failed_run

REGION = "us-east-1"
RUN = "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-x:nightly-20260101"
GONE = "arn:aws:secretsmanager:us-east-1:123456789012:secret:finance-slack-gone-AbCdEf"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(slack_webhook, "RETRY_INTERVAL", FixedValueRetryIntervalCalculator(0.01))


@dataclasses.dataclass
class Channels:
    aws: LocalAws
    stack: SlackWebhookStandIn
    finance: SlackWebhookStandIn


@pytest.fixture
def channels(tmp_path: Path) -> Iterator[Channels]:
    """The stack's Slack channel, and finance-nightly's own; archives-weekly names a secret that is gone."""
    with SlackWebhookStandIn() as stack, SlackWebhookStandIn() as finance, local_aws() as aws:
        secrets = boto3.client("secretsmanager", region_name=REGION)
        stack_secret = secrets.create_secret(Name="slack-webhook", SecretString=stack.url)["ARN"]
        aws.deploy({"SlackWebhookSecretArn": stack_secret})
        finance_secret = secrets.create_secret(
            Name="finance-slack",
            SecretString=json.dumps({"url": finance.url}),
            # The tag the notifier's role requires of a schedule's own secret (template.yaml).
            Tags=[{"Key": "datasync-scheduler:slack-webhook", "Value": aws.stack.name}],
        )["ARN"]
        schedules = [
            {
                "name": "finance-nightly",
                "expression": "cron(0 1 * * ? *)",
                "selectByTag": True,
                "messages": {"slackWebhookSecretArn": finance_secret},
            },
            {
                "name": "archives-weekly",
                "expression": "cron(0 3 ? * SUN *)",
                "selectByTag": True,
                "messages": {"slackWebhookSecretArn": GONE},
            },
            {"name": "render-farm", "expression": "rate(4 hours)", "selectByTag": True},
        ]
        path = tmp_path / "schedules.yaml"
        path.write_text(yaml.safe_dump({"schedules": schedules}), encoding="utf-8")
        function = aws.router.function("NotifySlackFunction")
        assert "SCHEDULES_FILE" in function.environment  # the schedules layer, as Validate Batch has it
        aws.router.register(
            dataclasses.replace(function, environment={**function.environment, "SCHEDULES_FILE": str(path)})
        )
        yield Channels(aws, stack, finance)


def publish(aws: LocalAws, schedule: str | None) -> None:
    """A run's message as Report Run publishes it (JSON-structured: its subscriber gets no attributes)."""
    message = failed_run(()).model_copy(update={"schedule": schedule})
    publication = sns_publication(message, workflow_execution=f"{RUN}-{schedule}")
    boto3.client("sns", region_name=REGION).publish(
        TopicArn=aws.stack.topics["NotificationTopic"],
        Subject=publication["subject"],
        Message=publication["structured"],
        MessageStructure="json",
        MessageAttributes=publication["attributes"],
    )


def notifier_errors(aws: LocalAws) -> list[Any]:
    return [call.error_type for call in aws.router.invocations if call.function == "NotifySlackFunction"]


def test_a_firings_message_goes_to_its_schedules_own_channel_only(channels: Channels) -> None:
    publish(channels.aws, "finance-nightly")
    assert len(channels.finance.delivered) == 1 and channels.stack.delivered == []
    assert notifier_errors(channels.aws) == [None]


def test_a_schedule_without_a_webhook_of_its_own_and_a_message_of_no_schedule_go_to_the_stacks(
    channels: Channels,
) -> None:
    publish(channels.aws, "render-farm")
    publish(channels.aws, None)
    assert len(channels.stack.delivered) == 2 and channels.finance.delivered == []


def test_a_schedules_secret_that_cannot_be_read_fails_the_delivery_naming_the_schedule(channels: Channels) -> None:
    publish(channels.aws, "archives-weekly")

    assert notifier_errors(channels.aws) == ["SlackDeliveryFailed"] * 3  # Lambda's two retries too
    assert channels.stack.delivered == [] and channels.finance.delivered == []
    sqs = boto3.client("sqs", region_name=REGION)
    (queued,) = sqs.receive_message(QueueUrl=channels.aws.stack.queues["SlackDeliveryFailures"])["Messages"]
    error = json.loads(queued["Body"])["responsePayload"]["errorMessage"]
    assert "schedule archives-weekly: its Slack webhook (messages.slackWebhookSecretArn) cannot be read" in error
