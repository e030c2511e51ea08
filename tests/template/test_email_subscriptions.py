"""What the NotificationEmail address receives in each EmailOn mode, by the template's own topics,
subscriptions and filter policies, evaluated as SNS documents them (emulator.sns_rules)."""

from pathlib import Path
from typing import Any

import pytest
from moto.sns.utils import FilterPolicyMatcher

from emulator.sns_rules import sns_as_documented
from emulator.template import Intrinsics, parameter_values
from tests.template.deployed_stack import as_one_stack

ROOT = Path(__file__).resolve().parents[2]
# With the alarms of the nested observability application inline.
TEMPLATE = as_one_stack()
TOPICS = [name for name, spec in TEMPLATE["Resources"].items() if spec["Type"] == "AWS::SNS::Topic"]
ADDRESS = "ops@example.com"

NO_ATTRIBUTES: dict[str, Any] = {}  # a CloudWatch alarm notification


def attributes(kind: str, outcome: str, severity: str) -> dict[str, Any]:
    values = {"kind": kind, "outcome": outcome, "severity": severity}
    return {name: {"Type": "String", "Value": value} for name, value in values.items()}


FAILED_RUN = attributes("run", "failed", "error")
RECOVERED_RUN = attributes("run", "recovered", "warning")
SUCCEEDED_BATCH = attributes("batch", "succeeded", "info")


def stack(email_on: str) -> Intrinsics:
    parameters = parameter_values(TEMPLATE, {"NotificationEmail": ADDRESS, "EmailOn": email_on})
    return Intrinsics(
        parameters=parameters,
        refs={name: f"arn:aws:sns:us-east-1:111122223333:{name}" for name in TOPICS},
        attributes={},
        conditions=TEMPLATE["Conditions"],
        pseudo={"AWS::AccountId": "111122223333", "AWS::Region": "us-east-1", "AWS::Partition": "aws"},
    )


def emails(email_on: str, published_to: list[str], message_attributes: dict[str, Any]) -> int:
    """How many emails the address gets for one message published to each of these topics."""
    deployed = stack(email_on)
    count = 0
    for spec in TEMPLATE["Resources"].values():
        if spec["Type"] != "AWS::SNS::Subscription" or not deployed.condition(spec["Condition"]):
            continue
        props = deployed.resolve(spec["Properties"])
        if props["Protocol"] != "email" or props["Endpoint"] != ADDRESS or props["TopicArn"] not in published_to:
            continue
        policy = props.get("FilterPolicy")
        with sns_as_documented():
            if policy is None or FilterPolicyMatcher(policy, None).matches(message_attributes, "text"):
                count += 1
    return count


def alarm_topics(email_on: str) -> list[str]:
    """The topics every alarm tells (they all tell the same ones)."""
    deployed = stack(email_on)
    actions = [
        deployed.resolve(spec["Properties"]["AlarmActions"])
        for spec in TEMPLATE["Resources"].values()
        if spec["Type"] == "AWS::CloudWatch::Alarm"
    ]
    assert actions and all(each == actions[0] for each in actions)
    return list(actions[0])


def run_topic(email_on: str) -> list[str]:
    return [stack(email_on).resolve({"Ref": "NotificationTopic"})]


@pytest.mark.parametrize("email_on", ["all", "problems", "failures"])
def test_every_alarm_reaches_the_email_address_once_whatever_email_on_says(email_on: str) -> None:
    assert emails(email_on, alarm_topics(email_on), NO_ATTRIBUTES) == 1


@pytest.mark.parametrize("email_on", ["all", "problems", "failures"])
def test_a_failed_run_is_emailed_once_whatever_email_on_says(email_on: str) -> None:
    assert emails(email_on, run_topic(email_on), FAILED_RUN) == 1


@pytest.mark.parametrize(("email_on", "expected"), [("all", 1), ("problems", 1), ("failures", 0)])
def test_a_recovered_run_is_emailed_unless_only_failures_are_wanted(email_on: str, expected: int) -> None:
    assert emails(email_on, run_topic(email_on), RECOVERED_RUN) == expected


@pytest.mark.parametrize(("email_on", "expected"), [("all", 1), ("problems", 0), ("failures", 0)])
def test_a_batch_that_succeeded_is_emailed_only_when_all_messages_are_wanted(email_on: str, expected: int) -> None:
    assert emails(email_on, run_topic(email_on), SUCCEEDED_BATCH) == expected


def test_slack_and_the_topics_other_subscribers_still_get_every_alarm() -> None:
    assert run_topic("failures")[0] in alarm_topics("failures")
