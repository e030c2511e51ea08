"""The notification topic's contract (`TopicPort`), for the fake and for SNS on moto (as documented)."""

import json

import pytest

from datasync_scheduler.adapters.notification_topic import NotPublished
from tests.contract.conftest import TopicWorld

ATTRIBUTES = {"kind": {"DataType": "String", "StringValue": "run"}}


def test_a_message_reaches_a_subscriber_with_its_subject_and_attributes(topic: TopicWorld) -> None:
    structured = json.dumps({"default": "The sync succeeded.", "email": "The sync succeeded, in full."})
    message_id = topic.port.publish(subject="DataSync nightly succeeded", structured=structured, attributes=ATTRIBUTES)
    assert message_id
    assert topic.received() == [("DataSync nightly succeeded", "The sync succeeded.", {"kind": "run"})]


def test_each_publish_is_one_more_message(topic: TopicWorld) -> None:
    structured = json.dumps({"default": "x"})
    first = topic.port.publish(subject="a", structured=structured, attributes=ATTRIBUTES)
    second = topic.port.publish(subject="a", structured=structured, attributes=ATTRIBUTES)
    assert first != second and len(topic.received()) == 2


@pytest.mark.parametrize("subject", ["x" * 100, "line\nbreak"])
def test_a_subject_sns_refuses_is_not_published(topic: TopicWorld, subject: str) -> None:
    with pytest.raises(NotPublished) as refused:
        topic.port.publish(subject=subject, structured=json.dumps({"default": "x"}), attributes=ATTRIBUTES)
    assert refused.value.code == "InvalidParameter"
    assert topic.received() == []


def test_a_subject_of_99_characters_is_published(topic: TopicWorld) -> None:
    topic.port.publish(subject="x" * 99, structured=json.dumps({"default": "x"}), attributes=ATTRIBUTES)
    assert len(topic.received()) == 1


def test_a_message_over_256_kib_with_its_attributes_is_not_published(topic: TopicWorld) -> None:
    body = json.dumps({"default": "x" * (262_144 - 20)})
    with pytest.raises(NotPublished) as refused:
        topic.port.publish(subject="big", structured=body, attributes=ATTRIBUTES)
    assert refused.value.code == "InvalidParameter"
    assert topic.received() == []


def test_a_structured_message_without_a_default_rendering_is_not_published(topic: TopicWorld) -> None:
    with pytest.raises(NotPublished) as refused:
        topic.port.publish(subject="s", structured=json.dumps({"email": "x"}), attributes=ATTRIBUTES)
    assert refused.value.code == "InvalidParameter"
    assert topic.received() == []
