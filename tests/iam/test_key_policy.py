"""The notification key lets CloudWatch alarms publish to the encrypted topic, whatever CloudWatch sends.

Whether CloudWatch includes aws:SourceAccount in the KMS requests made when an alarm publishes to an
SSE-KMS topic is not documented. A condition that requires a key the request may lack would make
every alarm message fail silently; so the statement requires only what SNS itself always supplies
(the topic, in the encryption context) and checks the source account only when it is present.
"""

from __future__ import annotations

from typing import Any

from emulator.template import load_template
from tests.iam.permissions import ROOT

# The keys CloudWatch's requests may or may not carry: a condition on them must tolerate their absence.
_SOURCE_KEYS = {"aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths"}


def _cloudwatch_statement() -> dict[str, Any]:
    key = load_template(ROOT / "template.yaml")["Resources"]["NotificationKey"]
    (statement,) = [
        statement
        for statement in key["Properties"]["KeyPolicy"]["Statement"]
        if statement.get("Principal", {}).get("Service") == "cloudwatch.amazonaws.com"
    ]
    return dict(statement)


def test_an_alarm_can_publish_to_the_encrypted_topic_whether_or_not_cloudwatch_names_its_account() -> None:
    conditions = _cloudwatch_statement().get("Condition", {})
    required = {
        key.lower() for operator, keys in conditions.items() if not operator.endswith("IfExists") for key in keys
    }
    assert not required & _SOURCE_KEYS, f"alarms fail if CloudWatch does not send {required & _SOURCE_KEYS}"


def test_cloudwatch_may_use_the_key_only_for_this_accounts_topics() -> None:
    statement = _cloudwatch_statement()
    assert sorted(statement["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey*"]
    topic_condition = statement["Condition"]["StringLike"]["kms:EncryptionContext:aws:sns:topicArn"]
    assert topic_condition == {"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:*"}
    assert statement["Condition"]["StringEqualsIfExists"] == {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
