"""SNS took the message but its answer was lost: the publish is sent again, and Slack still shows
the run's message once.

What a user sees, per message: one Slack post, whatever the retries; an email subscriber gets one
email per publish SNS took, so a lost answer means a second email (SNS cannot deduplicate for
email: docs/design.md#known-limits). Every publish of one message carries the same `message_id`
attribute, which is what the Slack notifier deduplicates on.
"""

from collections import Counter
from typing import Any

from tests.workflow.conftest import run

LOST_FIRST_PUBLISH = {"api": "sns:Publish", "lose_response": True, "calls": [1]}


def message_ids(summary: dict[str, Any]) -> list[str]:
    return [message["attributes"]["message_id"]["Value"] for message in summary["notifications"]]


def slack_texts(summary: dict[str, Any]) -> list[str]:
    return [str(post["payload"]["text"]) for post in summary["slack_messages"]]


def test_a_run_whose_publish_answer_was_lost_is_posted_to_slack_once_and_emailed_twice() -> None:
    summary = run("nightly-success", faults=[LOST_FIRST_PUBLISH], trigger="manual")

    assert summary["status"] == "SUCCEEDED"
    assert summary["faults_injected"] == [{"target": "sns:Publish", "call": 1, "error": "ResponseLost"}]
    # Report Run's SNS client retried the publish it never heard back from: SNS took both.
    assert len(summary["notifications"]) == 2
    (run_message,) = set(message_ids(summary))
    assert run_message.startswith("run:arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-")
    assert [post["status"] for post in summary["slack_messages"]] == [200]
    assert "output" in summary and not summary["output"].get("notificationError")


def test_the_plain_message_of_a_broken_report_is_posted_once_though_its_retry_published_it_again() -> None:
    """Report Run fails every time, so the state machine publishes the plain message itself; the
    first answer is lost and the state's Retry publishes again."""
    summary = run(
        "nightly-success",
        faults=[{"function": "ReportRunFunction", "error": "RuntimeError", "calls": "all"}, LOST_FIRST_PUBLISH],
        trigger="manual",
    )

    assert summary["status"] == "SUCCEEDED"
    assert "Notify Success Not Reported" in summary["states_entered"]
    assert len(summary["notifications"]) == 2
    assert len(set(message_ids(summary))) == 1
    assert len(summary["slack_messages"]) == 1
    assert "the report failed" in slack_texts(summary)[0]


def test_a_batch_posts_each_message_once_when_a_runs_and_the_batchs_answers_are_lost() -> None:
    """Five task runs publish one message each (one of them twice: call 1's answer is lost), so
    the batch's own first publish is call 7; its answer is lost too."""
    summary = run("nightly-batch", faults=[{"api": "sns:Publish", "lose_response": True, "calls": [1, 7]}])

    assert summary["status"] == "FAILED"  # one task fails, as in the scenario
    assert [call["call"] for call in summary["faults_injected"]] == [1, 7]
    assert len(summary["notifications"]) == 8  # 5 runs + the batch, two of them published twice
    per_message = Counter(message_ids(summary))
    assert sorted(per_message.values()) == [1, 1, 1, 1, 2, 2]
    assert sum(1 for message in per_message if message.startswith("batch:")) == 1
    assert [post["status"] for post in summary["slack_messages"]] == [200] * 6
    assert "batch: 4 of 5 tasks succeeded, 1 FAILED" in slack_texts(summary)[-1]
