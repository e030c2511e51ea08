"""A scenario can take its DataSync task from a CloudFormation template (`"task": {"fromTemplate": …}`)."""

from pathlib import Path
from typing import Any

import boto3
import pytest

from emulator.local_aws import local_aws
from emulator.scenario import ScenarioError, parse_scenario
from emulator.scenario_tasks import create_task
from emulator.stack import ACCOUNT_ID, REGION
from emulator.task_template import task_from_template
from emulator.template import NO_VALUE, Intrinsics, load_template

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = "examples/s3-to-efs/template.yaml"
SCRIPT = {"phases": [{"status": "LAUNCHING", "seconds": 10}], "outcome": "SUCCESS"}


def scenario_with(task: dict[str, Any]) -> Any:
    return parse_scenario("from-template", {"task": task, "executions": [SCRIPT]})


def test_the_task_is_read_with_its_locations_options_filters_log_group_and_report() -> None:
    task = task_from_template(ROOT / EXAMPLE)
    template_task = load_template(ROOT / EXAMPLE)["Resources"]["Task"]["Properties"]
    assert task["name"] == "s3-to-efs"  # the stack name: the template's folder
    assert task["options"] == template_task["Options"]
    assert task["taskMode"] == "BASIC"
    assert task["source"] == {"type": "S3", "bucket": "s3-to-efs-sourcebucket", "subdirectory": "/"}
    assert task["destination"]["type"] == "EFS"
    assert task["destination"]["fileSystemId"].startswith("fs-")
    assert task["logGroup"] == "/aws/datasync/s3-to-efs"
    assert task["excludes"] == load_template(ROOT / EXAMPLE)["Parameters"]["ExcludePatterns"]["Default"]
    assert "includes" not in task
    assert task["taskReport"] == {
        "bucket": "s3-to-efs-taskreportbucket",
        "subdirectory": "datasync-reports",
        "outputType": "STANDARD",
        "reportLevel": "ERRORS_ONLY",
    }


def test_template_parameters_apply_like_parameter_overrides() -> None:
    task = task_from_template(ROOT / EXAMPLE, parameters={"TaskReportLevel": "NONE", "ExcludePatterns": "*.bak"})
    assert "taskReport" not in task
    assert task["excludes"] == "*.bak"
    with pytest.raises(ValueError, match="TaskReportLevel"):
        task_from_template(ROOT / EXAMPLE, parameters={"TaskReportLevel": "SOMETIMES"})


def test_the_emulated_task_is_created_with_the_templates_settings_and_log_group() -> None:
    scenario = scenario_with({"fromTemplate": EXAMPLE, "logicalId": "Task"})
    with local_aws():
        task_arn = create_task(scenario)
        described = boto3.client("datasync", region_name=REGION).describe_task(TaskArn=task_arn)
        groups = boto3.client("logs", region_name=REGION).describe_log_groups()["logGroups"]
    assert described["Name"] == "s3-to-efs"
    assert described["CloudWatchLogGroupArn"] == f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/datasync/s3-to-efs"
    assert [group["logGroupName"] for group in groups] == ["/aws/datasync/s3-to-efs"]
    assert described["Options"]["LogLevel"] == "TRANSFER"
    assert described["Excludes"][0]["Value"].startswith("*.tmp|")
    report_destination = described["TaskReportConfig"]["Destination"]["S3"]
    assert report_destination["S3BucketArn"] == "arn:aws:s3:::s3-to-efs-taskreportbucket"


@pytest.mark.parametrize(
    ("task", "message"),
    [
        ({"fromTemplate": EXAMPLE, "name": "mine"}, "name come"),
        ({"fromTemplate": EXAMPLE, "logicalId": "SourceBucket"}, "no AWS::DataSync::Task named SourceBucket"),
        ({"fromTemplate": "examples/nowhere/template.yaml"}, "examples/nowhere/template.yaml"),
        ({"fromTemplate": EXAMPLE, "parameters": {"Nope": "1"}}, "unknown template parameters: Nope"),
    ],
)
def test_a_template_task_that_cannot_be_read_is_a_scenario_error(task: dict[str, Any], message: str) -> None:
    with pytest.raises(ScenarioError, match=message):
        scenario_with(task)


def test_aws_novalue_removes_the_property_that_holds_it() -> None:
    intrinsics = Intrinsics(
        parameters={"Level": "NONE"},
        refs={},
        attributes={},
        conditions={"HasReports": {"Fn::Not": [{"Fn::Equals": [{"Ref": "Level"}, "NONE"]}]}},
    )
    value = {"A": 1, "Report": {"Fn::If": ["HasReports", {"Level": {"Ref": "Level"}}, {"Ref": "AWS::NoValue"}]}}
    assert intrinsics.resolve(value) == {"A": 1}
    assert intrinsics.resolve([1, {"Ref": "AWS::NoValue"}, 2]) == [1, 2]
    assert intrinsics.resolve({"Ref": "AWS::NoValue"}) is NO_VALUE
