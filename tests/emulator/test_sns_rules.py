"""The emulator's SNS refuses and filters as SNS documents (docs/aws-facts.md#sns), not as moto would."""

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.local_aws import LocalAws, local_aws

REGION = "us-east-1"


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    with local_aws() as emulated:
        yield emulated


@pytest.fixture
def topic(aws: LocalAws) -> str:
    return str(boto3.client("sns", region_name=REGION).create_topic(Name="notifications")["TopicArn"])


def subscribe_queue(topic: str, filter_policy: dict[str, Any]) -> str:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="subscriber")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("sns", region_name=REGION).subscribe(
        TopicArn=topic,
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"FilterPolicy": json.dumps(filter_policy), "RawMessageDelivery": "true"},
    )
    return str(url)


def delivered(url: str) -> list[str]:
    messages = boto3.client("sqs", region_name=REGION).receive_message(QueueUrl=url, MaxNumberOfMessages=10)
    return [message["Body"] for message in messages.get("Messages", [])]


def publish(topic: str, message: str = "hello", **options: Any) -> None:
    boto3.client("sns", region_name=REGION).publish(TopicArn=topic, Message=message, **options)


def refused(topic: str, **options: Any) -> str:
    with pytest.raises(ClientError) as error:
        publish(topic, **options)
    assert error.value.response["Error"]["Code"] == "InvalidParameter"
    return str(error.value.response["Error"]["Message"])


def test_a_subject_of_99_characters_is_published_and_one_of_100_is_refused(topic: str) -> None:
    publish(topic, Subject="s" * 99)
    assert "Subject" in refused(topic, Subject="s" * 100)


@pytest.mark.parametrize("subject", ["two\nlines", "bell\x07", "tab\there"])
def test_a_subject_with_a_line_break_or_a_control_character_is_refused(topic: str, subject: str) -> None:
    assert "Subject" in refused(topic, Subject=subject)


def test_a_message_over_256_kib_in_utf8_bytes_is_refused_though_it_has_fewer_characters(topic: str) -> None:
    refused(topic, message="é" * 140_000)  # 140,000 characters, 280,000 bytes


def test_the_attributes_count_towards_the_256_kib(topic: str) -> None:
    publish(topic, message="m" * 262_100)
    attributes = {"severity": {"DataType": "String", "StringValue": "e" * 100}}
    refused(topic, message="m" * 262_100, MessageAttributes=attributes)


def test_exists_false_does_not_match_a_message_without_attributes_like_a_cloudwatch_alarm(topic: str) -> None:
    url = subscribe_queue(topic, {"kind": [{"exists": False}]})
    publish(topic, message="alarm")
    publish(topic, message="other", MessageAttributes={"other": {"DataType": "String", "StringValue": "x"}})
    assert delivered(url) == ["other"]


def test_a_filter_policy_with_or_still_needs_an_attribute_to_match(topic: str) -> None:
    url = subscribe_queue(topic, {"$or": [{"outcome": ["failed"]}, {"kind": [{"exists": False}]}]})
    publish(topic, message="alarm")
    publish(topic, message="failed run", MessageAttributes={"outcome": {"DataType": "String", "StringValue": "failed"}})
    assert delivered(url) == ["failed run"]
