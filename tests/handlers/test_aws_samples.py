"""The handlers on AWS's own samples (tests/fixtures/aws), and the emulator's events, SNS deliveries
and Chatbot notifications in the shape of those samples: the same keys, with values of the same types."""

import json
from pathlib import Path
from typing import Any

import boto3
import jsonschema
import pytest

from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.message import run_message
from emulator.local_aws import LocalAws, local_aws
from emulator.scenario import load_scenario
from emulator.scenario_tasks import create_task
from emulator.webhook import SlackWebhookStandIn
from tests.handlers.test_handlers import invoke
from tests.handlers.test_slack_notifier import publish_message
from tests.slack_payloads import assert_valid_block_kit
from tests.unit.test_messages import success
from tests.unit.test_slack_message import HOSTILE_PATHS, failed_run, group

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "fixtures" / "aws"
REGION = "us-east-1"
# Objects whose keys are names chosen by the publisher, not fields.
NAMED_ENTRIES = frozenset({"MessageAttributes"})


def sample(name: str) -> Any:
    return json.loads((SAMPLES / name).read_text(encoding="utf-8"))


def shape(value: Any, key: str = "") -> Any:
    """The keys and value types of a JSON document; the entries of a named map share one shape."""
    if isinstance(value, dict):
        if key in NAMED_ENTRIES:
            return {"<name>": shape(next(iter(value.values())))} if value else {}
        return {name: shape(item, name) for name, item in value.items()}
    if isinstance(value, list):
        return [shape(item) for item in value[:1]]
    return type(value).__name__


def payload_text(payload: dict[str, Any]) -> str:
    return json.dumps(payload, ensure_ascii=False)


# --- DataSync's execution event -------------------------------------------------------------------


def test_the_execution_events_handler_records_datasyncs_documented_event() -> None:
    event = sample("events/datasync-task-execution-state-change.json")
    with local_aws() as aws:
        aws.deploy()
        outcome = invoke(aws, "ExecutionEventsFunction", event)
    assert outcome == {"executionArn": event["resources"][0], "status": "SUCCESS", "recorded": True, "resumed": False}


@pytest.mark.parametrize("example", sorted((ROOT / "events").glob("execution-state-change-*.json")))
def test_the_example_events_for_sam_local_invoke_have_datasyncs_shape(example: Path) -> None:
    documented = sample("events/datasync-task-execution-state-change.json")
    assert shape(json.loads(example.read_text(encoding="utf-8"))) == shape(documented)


def test_the_emulators_datasync_events_have_datasyncs_shape() -> None:
    documented = shape(sample("events/datasync-task-execution-state-change.json"))
    emitted: list[dict[str, Any]] = []
    with local_aws() as aws:
        forward = aws.datasync.lifecycle.event_sink
        aws.datasync.lifecycle.event_sink = lambda event: (emitted.append(event), forward(event))[1]
        task = create_task(load_scenario("nightly-success"))
        boto3.client("datasync", region_name=REGION).start_task_execution(TaskArn=task)
        aws.clock.advance(24 * 3600)
    assert emitted and [event["detail"]["State"] for event in emitted][-1] == "SUCCESS"
    for event in emitted:
        assert shape(event) == documented, event["detail"]["State"]


# --- SNS deliveries to the Slack notifier ----------------------------------------------------------


def test_the_slack_notifier_posts_a_plain_sns_message_as_it_is(
    slack_stack: tuple[LocalAws, SlackWebhookStandIn],
) -> None:
    aws, stand_in = slack_stack
    result, error = aws.router.invoke("NotifySlackFunction", sample("sns/lambda-guide-sns-event.json"))
    assert error is None and result == {"delivered": 1, "alreadyPosted": 0}
    (payload,) = stand_in.delivered
    assert_valid_block_kit(payload)
    assert "Hello from SNS!" in payload_text(payload)


def test_the_slack_notifier_posts_a_cloudwatch_alarm_as_an_alarm(
    slack_stack: tuple[LocalAws, SlackWebhookStandIn],
) -> None:
    aws, stand_in = slack_stack
    event = sample("sns/cloudwatch-alarm-sns-event.json")
    # The test data writes EXAMPLE where SNS always sends URLs (Powertools' model checks them): the
    # Lambda guide's sample lends its URLs.
    urls = sample("sns/lambda-guide-sns-event.json")["Records"][0]["Sns"]
    for key in ("SigningCertUrl", "UnsubscribeUrl"):
        event["Records"][0]["Sns"][key] = urls[key]
    result, error = aws.router.invoke("NotifySlackFunction", event)
    assert error is None and result == {"delivered": 1, "alreadyPosted": 0}
    (payload,) = stand_in.delivered
    assert_valid_block_kit(payload)
    text = payload_text(payload)
    assert "EXAMPLE" in text and "ALARM" in text and "Threshold Crossed" in text


def test_the_emulators_sns_delivery_to_a_function_has_the_shape_lambda_documents(
    slack_stack: tuple[LocalAws, SlackWebhookStandIn], monkeypatch: pytest.MonkeyPatch
) -> None:
    aws, _ = slack_stack
    delivered: list[Any] = []
    original = aws.router.invoke

    def recording(function: str, event: Any) -> Any:
        delivered.append(event)
        return original(function, event)

    monkeypatch.setattr(aws.router, "invoke", recording)
    # A plain-text publish, as in the sample: SNS passes attributes on only for those.
    boto3.client("sns", region_name="us-east-1").publish(
        TopicArn=aws.stack.topics["NotificationTopic"],
        Subject="DataSync run: the report failed",
        Message="The sync of DataSync task … did not succeed.",
        MessageAttributes={"kind": {"DataType": "String", "StringValue": "run"}},
    )
    publish_message(aws, failed_run(()).to_json_dict())

    plain, structured = delivered
    assert shape(plain) == shape(sample("sns/lambda-guide-sns-event.json"))
    # A MessageStructure=json publish reaches the function without its attributes
    # (docs/aws-facts.md#sns-delivery-guarantees).
    assert structured["Records"][0]["Sns"]["MessageAttributes"] == {}


# --- AWS Chatbot ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        failed_run((group("checksum_mismatch", 5, HOSTILE_PATHS),)),
        failed_run(()),
    ],
    ids=["failed-with-files", "failed-without-files"],
)
def test_the_chatbot_notification_follows_the_documented_schema(message: Any) -> None:
    jsonschema.validate(render_chatbot(message), sample("chatbot/custom-notification.schema.json"))


def test_a_successful_runs_chatbot_notification_follows_the_documented_schema() -> None:
    jsonschema.validate(render_chatbot(run_message(success())), sample("chatbot/custom-notification.schema.json"))
