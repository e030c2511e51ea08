"""One message per run, published so every kind of subscriber gets what it can use."""

import json

import pytest
from moto.cloudwatch.exceptions import InvalidParameterValue as CloudWatchRefusal
from moto.cloudwatch.models import CloudWatchBackend
from moto.sns.exceptions import InvalidParameterValue
from moto.sns.models import SNSBackend

from datasync_scheduler.messages.message import Message
from tests.workflow.conftest import run

NOT_PUBLISHED = {
    "namespace": "DataSyncScheduler",
    "name": "NotificationsNotPublished",
    "value": 1.0,
    "dimensions": {"service": "datasync-scheduler"},
}


def attributes(notification: dict) -> dict[str, str]:
    return {name: value["Value"] for name, value in notification["attributes"].items()}


def test_a_failed_run_publishes_one_message_with_attributes_for_filter_policies() -> None:
    summary = run("checksum-failure-recovers", parameters={"MaxAttempts": "1"})
    assert summary["status"] == "FAILED"
    (notification,) = summary["notifications"]
    found = attributes(notification)
    named = found.pop("message_id")
    assert found == {
        "kind": "run",
        "outcome": "failed",
        "severity": "error",
        "task": "design-share",
    }
    assert named.startswith("run:arn:aws:states:") and ":execution:SyncWorkflow-" in named
    structured = notification["structured"]
    assert notification["message"] == structured["email"]
    message = Message.model_validate_json(structured["default"])
    assert message.failures is not None and message.failures.total == 3
    assert "https" not in structured  # Chatbot notifications are off unless enabled
    assert "Files that failed: 3" in notification["message"]
    assert "Open in the AWS console:" in notification["message"]


def test_a_run_that_recovered_is_reported_once_as_a_warning() -> None:
    summary = run("checksum-failure-recovers")
    assert summary["status"] == "SUCCEEDED"
    (notification,) = summary["notifications"]
    assert attributes(notification)["outcome"] == "recovered"
    assert attributes(notification)["severity"] == "warning"
    assert notification["subject"] == "DataSync design-share: sync recovered after 2 attempts"


def test_with_silent_successes_a_good_night_sends_nothing_and_still_succeeds() -> None:
    summary = run("events-lost", parameters={"SuccessNotification": "silent"})
    assert summary["status"] == "SUCCEEDED"
    assert summary["notifications"] == []
    assert "Count Message Not Published" not in summary["states_entered"]
    assert [call["function"] for call in summary["invocations"]].count("ReportRunFunction") == 1
    assert summary["output"]["verdict"]["status"] == "SUCCEEDED"


def test_with_silent_successes_a_failure_is_still_told() -> None:
    summary = run("execution-error", parameters={"SuccessNotification": "silent"})
    assert summary["status"] == "FAILED"
    assert [attributes(n)["outcome"] for n in summary["notifications"]] == ["failed"]


def test_the_batch_message_is_marked_as_a_batch_and_counts_as_a_failure_when_a_task_failed() -> None:
    summary = run("nightly-batch")
    batch = [n for n in summary["notifications"] if attributes(n)["kind"] == "batch"]
    assert [{**attributes(n), "message_id": "…"} for n in batch] == [
        {"kind": "batch", "outcome": "failed", "severity": "error", "message_id": "…"}
    ]
    assert attributes(batch[0])["message_id"].startswith("batch:arn:aws:states:")
    assert json.loads(batch[0]["structured"]["default"])["kind"] == "batch"


def test_a_message_sns_refuses_is_retried_kept_in_the_result_and_does_not_change_the_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    attempts: list[str] = []

    def refuse(self: object, message: str, *args: object, **kwargs: object) -> str:
        attempts.append(message)
        raise InvalidParameterValue("Invalid parameter: the topic is being deleted")

    monkeypatch.setattr(SNSBackend, "publish", refuse)
    succeeded = run("events-lost")
    assert succeeded["status"] == "SUCCEEDED"
    # SNS's refusal is not a transient error: the client does not retry it, and Report Run catches it.
    assert len(attempts) == 1
    error = succeeded["output"]["notificationError"]
    assert error["Error"] == "SNS.InvalidParameter"
    assert "Count Message Not Published" in succeeded["states_entered"]
    assert succeeded["metric_data"] == [NOT_PUBLISHED]  # once per message, not per try

    failed = run("execution-error")
    assert (failed["status"], failed["error"]) == ("FAILED", "DataSync.FsS3HeadBucketFailed")
    assert failed["metric_data"] == [NOT_PUBLISHED]


def test_a_batch_message_sns_refuses_is_counted_and_the_batch_keeps_its_verdict(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(self: object, message: str, *args: object, **kwargs: object) -> str:
        raise InvalidParameterValue("Invalid parameter: the topic is being deleted")

    monkeypatch.setattr(SNSBackend, "publish", refuse)
    summary = run("nightly-batch")
    # One task of the batch failed: the verdict is the one it has when its message goes out.
    assert (summary["status"], summary["error"]) == ("FAILED", "Batch.TasksFailed")
    assert "Count Message Not Published" in summary["states_entered"]
    # The batch's own message, and the message of each of its five task runs.
    assert summary["metric_data"] == [NOT_PUBLISHED] * 6


def test_a_message_that_is_published_is_not_counted_as_lost() -> None:
    assert run("execution-error")["metric_data"] == []


def test_a_refused_count_still_ends_the_run_with_its_verdict(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse_publish(self: object, message: str, *args: object, **kwargs: object) -> str:
        raise InvalidParameterValue("Invalid parameter: the topic is being deleted")

    def refuse_count(self: object, *args: object, **kwargs: object) -> None:
        # A service error, as CloudWatch answers: a Python exception inside moto would surface as
        # States.Runtime, which no Catch takes on AWS.
        raise CloudWatchRefusal("The value for parameter MetricData is invalid.")

    monkeypatch.setattr(SNSBackend, "publish", refuse_publish)
    monkeypatch.setattr(CloudWatchBackend, "put_metric_data", refuse_count)
    summary = run("execution-error")
    assert (summary["status"], summary["error"]) == ("FAILED", "DataSync.FsS3HeadBucketFailed")
    assert "Count Message Not Published" in summary["states_entered"]


def test_with_chatbot_notifications_enabled_https_subscribers_get_a_custom_notification() -> None:
    summary = run("execution-error", parameters={"ChatbotNotifications": "enabled"})
    (notification,) = summary["notifications"]
    chatbot = json.loads(notification["structured"]["https"])
    assert (chatbot["version"], chatbot["source"]) == ("1.0", "custom")
    assert "nightly-archive" in chatbot["content"]["title"]
    assert "FsS3HeadBucketFailed" in chatbot["content"]["title"] + chatbot["content"]["description"]
