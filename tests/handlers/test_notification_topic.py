"""The notification topic adapter, against the deployed stack's encrypted topic on moto."""

import json

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.exceptions import InvalidParameterValue
from moto.sns.models import SNSBackend, sns_backends

from datasync_scheduler.adapters.notification_topic import NotPublished, SnsTopic
from emulator.local_aws import LocalAws
from emulator.stack import REGION
from tests.handlers.sync_events import report_rejected_input

ATTRIBUTES = {"kind": {"DataType": "String", "StringValue": "run"}}


def sent(topic_arn: str) -> list[tuple[str, str | None, dict[str, object]]]:
    topic = sns_backends[DEFAULT_ACCOUNT_ID][REGION].topics[topic_arn]
    return [(message, subject, attributes) for _, message, subject, attributes, _ in topic.sent_notifications]


def test_a_message_is_published_once_with_its_renderings_and_attributes(aws: LocalAws) -> None:
    topic_arn = aws.stack.topics["NotificationTopic"]
    structured = json.dumps({"default": "{}", "email": "The sync succeeded."})
    message_id = SnsTopic(topic_arn).publish(
        subject="DataSync nightly succeeded", structured=structured, attributes=ATTRIBUTES
    )
    assert message_id
    [(message, subject, attributes)] = sent(topic_arn)
    assert json.loads(message)["email"] == "The sync succeeded."
    assert subject == "DataSync nightly succeeded"
    assert attributes == {"kind": {"Type": "String", "Value": "run"}}


def test_a_message_sns_refuses_is_reported_as_not_published_with_snss_error(aws: LocalAws) -> None:
    topic_arn = aws.stack.topics["NotificationTopic"]
    with pytest.raises(NotPublished, match="InvalidParameter"):
        # SNS refuses a Subject of 100 characters (docs/aws-facts.md#sns-subject).
        SnsTopic(topic_arn).publish(subject="x" * 100, structured=json.dumps({"default": "x"}), attributes=ATTRIBUTES)
    assert sent(topic_arn) == []


def test_a_report_run_retried_after_publishing_sends_no_second_message(aws: LocalAws) -> None:
    # The rejected-input report is the smallest run that has a message; its retry is the same event.
    event = report_rejected_input({"taskArn": "nope"}, "taskArn: not an ARN")
    first, error = aws.router.invoke("ReportRunFunction", event)
    assert error is None
    second, error = aws.router.invoke("ReportRunFunction", event)
    assert error is None
    assert first["messageId"] and second["messageId"] == first["messageId"]
    assert len(sent(aws.stack.topics["NotificationTopic"])) == 1


def test_a_message_sns_does_not_take_is_in_the_result_and_the_verdict_stands(
    aws: LocalAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: object, *args: object, **kwargs: object) -> str:
        raise InvalidParameterValue("Invalid parameter: the topic is being deleted")

    monkeypatch.setattr(SNSBackend, "publish", refuse)
    output, error = aws.router.invoke("ReportRunFunction", report_rejected_input({"taskArn": "x"}, "taskArn: bad"))
    assert error is None
    assert output["result"]["verdict"]["error"] == "InvalidSyncRequest"
    assert output["result"]["notificationError"]["Error"] == "SNS.InvalidParameter"
    assert output["messageId"] is None
