"""The example check of examples/verify-s3-source: after a successful run, what DataSync copied is
compared with the objects under the source prefix, and a difference is reported."""

from __future__ import annotations

import importlib.util
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import boto3
import pytest
from moto import mock_aws

from emulator import aws_hooks
from emulator.clock import VirtualClock
from emulator.datasync import DataSyncEmulator
from emulator.template import load_template
from tests.iam.permissions import sam_transformed

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "verify-s3-source"
REGION = "us-east-1"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("verify_s3_source", EXAMPLE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is made
    spec.loader.exec_module(module)
    return module


app = _load()


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    emulator = DataSyncEmulator(VirtualClock())
    aws_hooks.serve("datasync", emulator.handle)
    try:
        with mock_aws():
            s3 = boto3.client("s3", region_name=REGION)
            s3.create_bucket(Bucket="exports")
            for key, size in [("nightly/a.csv", 100), ("nightly/b/c.csv", 50), ("nightly/b/", 0), ("other/x", 7)]:
                s3.put_object(Bucket="exports", Key=key, Body=b"x" * size)
            yield {"s3": s3, "datasync": boto3.client("datasync", region_name=REGION)}
    finally:
        aws_hooks.stop("datasync")


def _task(datasync: Any, transfer_mode: str) -> str:
    role = "arn:aws:iam::123456789012:role/datasync"
    source = datasync.create_location_s3(
        S3BucketArn="arn:aws:s3:::exports", Subdirectory="/nightly", S3Config={"BucketAccessRoleArn": role}
    )["LocationArn"]
    destination = datasync.create_location_efs(
        EfsFilesystemArn="arn:aws:elasticfilesystem:us-east-1:123456789012:file-system/fs-0123456789abcdef0",
        Ec2Config={
            "SubnetArn": "arn:aws:ec2:us-east-1:123456789012:subnet/subnet-0123456789abcdef0",
            "SecurityGroupArns": ["arn:aws:ec2:us-east-1:123456789012:security-group/sg-0123456789abcdef0"],
        },
    )["LocationArn"]
    return str(
        datasync.create_task(
            SourceLocationArn=source, DestinationLocationArn=destination, Options={"TransferMode": transfer_mode}
        )["TaskArn"]
    )


def _ended(task_arn: str, status: str = "SUCCEEDED", **counters: int) -> dict[str, Any]:
    return {
        "source": "datasync-scheduler",
        "detail-type": "Sync Run Ended",
        "detail": {
            "workflowExecution": "arn:aws:states:us-east-1:123456789012:execution:SyncWorkflow-x:run-1",
            "taskArn": task_arn,
            "verdict": {"status": status, "error": "", "reason": ""},
            "counters": counters,
        },
    }


def test_a_full_copy_that_wrote_every_byte_of_the_prefix_matches(aws: dict[str, Any]) -> None:
    task = _task(aws["datasync"], "ALL")
    # Two objects and the folder DataSync creates for b/: three items, 150 bytes.
    result = app.check(
        _ended(task, filesTransferred=3, bytesWritten=150), "exports", "nightly/", aws["datasync"], aws["s3"]
    )
    assert (result.objects, result.object_bytes, result.differences) == (2, 150, ())


def test_a_full_copy_that_wrote_less_than_the_prefix_holds_is_a_difference(aws: dict[str, Any]) -> None:
    task = _task(aws["datasync"], "ALL")
    result = app.check(
        _ended(task, filesTransferred=1, bytesWritten=100), "exports", "nightly/", aws["datasync"], aws["s3"]
    )
    assert result.differences == (
        "DataSync wrote 100 bytes; the source holds 150",
        "DataSync transferred 1 items; the source holds 2 objects",
    )


def test_a_copy_of_what_changed_is_only_checked_for_writing_more_than_the_prefix_holds(aws: dict[str, Any]) -> None:
    task = _task(aws["datasync"], "CHANGED")
    quiet = app.check(
        _ended(task, filesTransferred=0, bytesWritten=0), "exports", "nightly/", aws["datasync"], aws["s3"]
    )
    assert quiet.matches
    odd = app.check(
        _ended(task, filesTransferred=9, bytesWritten=999), "exports", "nightly/", aws["datasync"], aws["s3"]
    )
    assert odd.differences == ("DataSync wrote 999 bytes, more than the source holds (150)",)


def test_a_run_that_failed_is_not_checked(aws: dict[str, Any]) -> None:
    task = _task(aws["datasync"], "ALL")
    assert app.check(_ended(task, "FAILED"), "exports", "nightly/", aws["datasync"], aws["s3"]) is None


def test_a_difference_is_published_to_the_topic(aws: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    task = _task(aws["datasync"], "ALL")
    sns, sqs = boto3.client("sns", region_name=REGION), boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="differences")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    monkeypatch.setenv("SOURCE_BUCKET", "exports")
    monkeypatch.setenv("SOURCE_PREFIX", "nightly/")
    monkeypatch.setenv("DIFFERENCE_TOPIC_ARN", topic)
    answer = app.handler(_ended(task, filesTransferred=1, bytesWritten=100), None)
    assert answer["checked"] and not answer["matches"]
    (message,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert "DataSync wrote 100 bytes; the source holds 150" in json.loads(message["Body"])["Message"]


def test_its_template_follows_only_successful_runs_of_its_task_with_least_privilege() -> None:
    template = load_template(EXAMPLE / "template.yaml")
    pattern = template["Resources"]["VerifySourceFunction"]["Properties"]["Events"]["RunEnded"]["Properties"]["Pattern"]
    assert pattern["source"] == ["datasync-scheduler"] and pattern["detail-type"] == ["Sync Run Ended"]
    assert pattern["detail"]["verdict"] == {"status": ["SUCCEEDED"]}
    transformed = sam_transformed(template)
    role = transformed["Resources"]["VerifySourceFunctionRole"]["Properties"]
    actions = {
        action
        for policy in role["Policies"]
        for statement in _statements(policy)
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }
    assert actions == {"datasync:DescribeTask", "s3:ListBucket", "sns:Publish"}


def _statements(policy: Any) -> list[dict[str, Any]]:
    if "Fn::If" in policy:  # the topic's policy, only when a topic is given
        branches = [branch for branch in policy["Fn::If"][1:] if "PolicyDocument" in branch]
        return [statement for branch in branches for statement in _statements(branch)]
    statements = policy["PolicyDocument"]["Statement"]
    return statements if isinstance(statements, list) else [statements]
