"""The BatchWorkflow's wiring: what `.sync` needs on AWS, and parameters that agree with the code."""

import json
from pathlib import Path
from typing import Any

from datasync_scheduler.domain.batch import MAX_CONCURRENCY
from emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
BATCH = TEMPLATE["Resources"]["BatchWorkflow"]["Properties"]


def statements() -> list[dict[str, Any]]:
    return [item for policy in BATCH["Policies"] if "Statement" in policy for item in policy["Statement"]]


def allowed(action: str) -> list[Any]:
    return [statement["Resource"] for statement in statements() if action in statement["Action"]]


def test_the_batch_may_start_only_the_sync_workflow_and_its_own_map_runs_children_and_follow_and_stop_them() -> None:
    # https://docs.aws.amazon.com/step-functions/latest/dg/iam-policies-eg-dist-map.html
    sync_workflow, itself = allowed("states:StartExecution")
    assert sync_workflow == {"Ref": "SyncWorkflow"}
    assert itself["Fn::Sub"][0].endswith(":stateMachine:BatchWorkflow-${StackUuid}")
    assert BATCH["Name"]["Fn::Sub"][0] == "BatchWorkflow-${StackUuid}"
    runs, children = allowed("states:DescribeExecution")
    assert allowed("states:StopExecution") == [runs, children]
    assert runs["Fn::Sub"][0].endswith(":execution:SyncWorkflow-${StackUuid}:*")
    assert children["Fn::Sub"][0].endswith(":execution:BatchWorkflow-${StackUuid}/*")


def test_the_batch_reads_its_items_and_writes_its_results_only_under_batches() -> None:
    for action in ("s3:GetObject", "s3:PutObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"):
        assert allowed(action) == [{"Fn::Sub": "${FailureReportBucket.Arn}/batches/*"}]


def test_the_batch_may_manage_the_rule_step_functions_uses_to_await_a_sync_child() -> None:
    # https://docs.aws.amazon.com/step-functions/latest/dg/stepfunctions-iam.html (Synchronous)
    for action in ("events:PutTargets", "events:PutRule", "events:DescribeRule"):
        (rule,) = allowed(action)
        assert rule["Fn::Sub"].endswith(":rule/StepFunctionsGetEventsForStepFunctionsExecutionRule")


def test_the_batch_publishes_to_the_encrypted_topic_like_the_sync_workflow() -> None:
    assert {"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["NotificationTopic", "TopicName"]}}} in BATCH[
        "Policies"
    ]
    assert allowed("kms:GenerateDataKey*") == [{"Fn::GetAtt": ["NotificationKey", "Arn"]}]


def test_every_arn_in_the_definition_is_a_substitution() -> None:
    definition = json.loads((ROOT / BATCH["DefinitionUri"]).read_text())
    run_task = definition["States"]["Run Tasks"]["ItemProcessor"]["States"]["Run Task"]
    assert run_task["Resource"] == "arn:${Partition}:states:::states:startExecution.sync:2"
    assert run_task["Parameters"]["StateMachineArn"] == "${SyncWorkflowArn}"
    assert BATCH["DefinitionSubstitutions"]["SyncWorkflowArn"] == {"Ref": "SyncWorkflow"}


def test_the_nightly_concurrency_parameter_allows_what_the_batch_accepts() -> None:
    parameter = TEMPLATE["Parameters"]["NightlyMaxConcurrency"]
    assert (parameter["MinValue"], parameter["MaxValue"]) == (1, MAX_CONCURRENCY)
    assert TEMPLATE["Parameters"]["NightlyTasks"]["Default"] == "[]"


def test_summarize_batch_may_publish_the_batchs_message_once_to_the_encrypted_topic() -> None:
    summarize = TEMPLATE["Resources"]["SummarizeBatchFunction"]["Properties"]
    assert summarize["Environment"]["Variables"]["NOTIFICATION_TOPIC_ARN"] == {"Ref": "NotificationTopic"}
    policies = summarize["Policies"]
    assert {"SNSPublishMessagePolicy": {"TopicName": {"Fn::GetAtt": ["NotificationTopic", "TopicName"]}}} in policies
    # The batch message's mark (its MessageId) is read and written in the run ledger.
    marks = [
        statement
        for policy in policies
        if "Statement" in policy
        for statement in policy["Statement"]
        if statement.get("Sid") == "MarkTheBatchMessage"
    ]
    assert marks == [
        {
            "Sid": "MarkTheBatchMessage",
            "Effect": "Allow",
            "Action": ["dynamodb:GetItem", "dynamodb:PutItem"],
            "Resource": {"Fn::GetAtt": ["RunLedger", "Arn"]},
        }
    ]
    keys = [
        statement["Resource"]
        for policy in policies
        if "Statement" in policy
        for statement in policy["Statement"]
        if "kms:GenerateDataKey*" in statement["Action"]
    ]
    assert keys == [{"Fn::GetAtt": ["NotificationKey", "Arn"]}]
