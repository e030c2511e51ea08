"""SNS delivers to subscribed functions as on AWS: Lambda's event, filter policies, per-protocol
messages, and asynchronous retries ending in the on-failure queue. One test per moto internal the
emulator patches (Subscription.publish), so a moto upgrade that moves it fails here first."""

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.parser.models import SnsModel
from moto.sns.models import Subscription

from emulator.runner import LocalAws, local_aws
from emulator.sns_lambda import AsyncInvocation
from emulator.stack import DeployedStack
from tests.emulator import received_events

TEMPLATE = Path(__file__).resolve().parent / "sns_subscribers.yaml"
REGION = "us-east-1"


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    received_events.RECEIVED.clear()
    with local_aws() as emulated:
        emulated.deploy(template=TEMPLATE)
        yield emulated


def publish(stack: DeployedStack, message: str, **options: Any) -> str:
    sns = boto3.client("sns", region_name=REGION)
    return str(sns.publish(TopicArn=stack.topics["Topic"], Message=message, **options)["MessageId"])


def received(function: str) -> list[dict[str, Any]]:
    return [event for name, event in received_events.RECEIVED if name.endswith(f"-{function}")]


def string(value: str) -> dict[str, str]:
    return {"DataType": "String", "StringValue": value}


def test_a_subscribed_function_gets_the_event_lambda_builds_for_sns(aws: LocalAws) -> None:
    message_id = publish(aws.stack, "hello", Subject="Greeting", MessageAttributes={"outcome": string("failed")})

    (event,) = received("Everything")
    record = SnsModel.model_validate(event).Records[0]  # Powertools' model of the real event
    assert record.EventSource == "aws:sns"
    assert record.Sns.Type == "Notification"
    assert (record.Sns.MessageId, record.Sns.Message, record.Sns.Subject) == (message_id, "hello", "Greeting")
    assert record.Sns.TopicArn == aws.stack.topics["Topic"]
    assert event["Records"][0]["Sns"]["MessageAttributes"] == {"outcome": {"Type": "String", "Value": "failed"}}
    assert event["Records"][0]["Sns"]["Timestamp"] == aws.clock.now().isoformat(timespec="milliseconds").replace(
        "+00:00", "Z"
    )


def test_a_filter_policy_lets_only_matching_messages_through(aws: LocalAws) -> None:
    publish(aws.stack, "fine", MessageAttributes={"outcome": string("succeeded")})
    publish(aws.stack, "broken", MessageAttributes={"outcome": string("failed")})
    publish(aws.stack, "no attributes")

    assert [event["Records"][0]["Sns"]["Message"] for event in received("FailuresOnly")] == ["broken"]
    assert len(received("Everything")) == 3


def test_a_json_structured_message_gives_a_function_its_lambda_key_or_else_the_default(aws: LocalAws) -> None:
    publish(aws.stack, json.dumps({"default": "for email", "lambda": "for functions"}), MessageStructure="json")
    publish(aws.stack, json.dumps({"default": "for everyone"}), MessageStructure="json")

    assert [event["Records"][0]["Sns"]["Message"] for event in received("Everything")] == [
        "for functions",
        "for everyone",
    ]


def test_a_failing_subscriber_is_retried_then_its_event_waits_in_the_on_failure_queue(aws: LocalAws) -> None:
    message_id = publish(aws.stack, "hello")  # the publish itself succeeds

    attempts = [call for call in aws.router.invocations if call.function == "Broken"]
    assert [call.error_type for call in attempts] == ["FlakyDependency", "FlakyDependency"]  # 1 + MaximumRetryAttempts
    (delivery,) = [item for item in aws.sns_deliveries.invocations if item.function == "Broken"]
    assert (delivery.message_id, delivery.attempts, delivery.error_type) == (message_id, 2, "FlakyDependency")
    sqs = boto3.client("sqs", region_name=REGION)
    (queued,) = sqs.receive_message(QueueUrl=aws.stack.queues["Failures"], MaxNumberOfMessages=10)["Messages"]
    record = json.loads(queued["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestContext"]["functionArn"] == f"{aws.stack.functions['Broken'].arn}:$LATEST"
    assert record["requestPayload"]["Records"][0]["Sns"]["MessageId"] == message_id
    assert record["responsePayload"]["errorType"] == "FlakyDependency"
    assert record["responsePayload"]["errorMessage"] == "the dependency is down"


def test_a_subscriber_whose_handler_cannot_load_fails_like_on_lambda_and_the_publish_still_succeeds(
    aws: LocalAws,
) -> None:
    message_id = publish(aws.stack, "hello")

    (delivery,) = [item for item in aws.sns_deliveries.invocations if item.function == "Unloadable"]
    assert delivery == AsyncInvocation("Unloadable", message_id, 1, "Runtime.ImportModuleError", None)


def test_outside_the_emulator_moto_delivers_as_it_always_did() -> None:
    original = Subscription.publish
    with local_aws():
        assert Subscription.publish is not original
    assert Subscription.publish is original
