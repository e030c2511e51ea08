"""The optional S3 → EFS stack (examples/s3-to-efs): valid, least privilege, and the recipe's task exactly."""

import gzip
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import botocore
import pytest

from emulator.stack import ACCOUNT_ID, REGION
from emulator.task_template import template_intrinsics
from emulator.template import Intrinsics, load_template

ROOT = Path(__file__).resolve().parents[2]
STACK_DIR = ROOT / "examples" / "s3-to-efs"
TEMPLATE_PATH = STACK_DIR / "template.yaml"
TEMPLATE = load_template(TEMPLATE_PATH)
RESOURCES: dict[str, Any] = TEMPLATE["Resources"]
BIN = Path(sys.executable).parent
ENV = {**os.environ, "AWS_DEFAULT_REGION": "us-east-1"}

# The task options the issue (and the recipe it fixes) asks for, word for word.
RECIPE_OPTIONS = {
    "VerifyMode": "POINT_IN_TIME_CONSISTENT",
    "OverwriteMode": "ALWAYS",
    "Atime": "BEST_EFFORT",
    "Mtime": "PRESERVE",
    "Uid": "INT_VALUE",
    "Gid": "INT_VALUE",
    "PreserveDeletedFiles": "PRESERVE",
    "PreserveDevices": "NONE",
    "PosixPermissions": "PRESERVE",
    "BytesPerSecond": -1,
    "TaskQueueing": "ENABLED",
    "LogLevel": "TRANSFER",
}
# What DataSync's guide lists for an S3 source location: read and list, nothing that writes.
S3_SOURCE_BUCKET_ACTIONS = {"s3:GetBucketLocation", "s3:ListBucket", "s3:ListBucketMultipartUploads"}
S3_SOURCE_OBJECT_ACTIONS = {
    "s3:GetObject",
    "s3:GetObjectTagging",
    "s3:GetObjectVersion",
    "s3:GetObjectVersionTagging",
    "s3:ListMultipartUploadParts",
}


def of_type(kind: str) -> dict[str, dict[str, Any]]:
    return {name: spec for name, spec in RESOURCES.items() if spec["Type"] == kind}


def resolver(**parameters: str) -> Intrinsics:
    return template_intrinsics(TEMPLATE, "s3-to-efs", parameters)


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def run_tool(*command: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=ROOT, env=env or ENV, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.slow
def test_cfn_lint_finds_nothing() -> None:
    result = run_tool(str(BIN / "cfn-lint"), str(TEMPLATE_PATH.relative_to(ROOT)))
    assert result.returncode == 0, result.stdout + result.stderr


def _checkov() -> str | None:
    # `make install` puts checkov in a virtualenv of its own (it pins an older boto3 than ours).
    for local in (ROOT / ".tools" / "checkov" / "bin" / "checkov", BIN / "checkov"):
        if local.exists():
            return str(local)
    return shutil.which("checkov")


@pytest.mark.slow
def test_checkov_finds_nothing_that_is_not_suppressed_with_a_reason() -> None:
    checkov = _checkov()
    if checkov is None:
        # `make install` provides it; only a bare `pytest` outside the Makefile gets here.
        pytest.skip("checkov is not installed: run `make install` (it gets a virtualenv of its own)")
    result = run_tool(
        checkov,
        "--file",
        str(TEMPLATE_PATH.relative_to(ROOT)),
        "--framework",
        "cloudformation",
        "--output",
        "json",
        "--compact",
        "--skip-download",
        # Offline: no Bridgecrew platform mapping of check ids.
        env={**ENV, "BC_SKIP_MAPPING": "TRUE"},
    )
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"checkov printed no JSON report: {result.stdout}{result.stderr}")
    (report,) = reports if isinstance(reports, list) else [reports]
    results = report["results"]
    failed = [(check["check_id"], check["resource"]) for check in results["failed_checks"]]
    assert failed == [], failed
    assert results["parsing_errors"] == []
    assert results["passed_checks"], "checkov checked nothing"
    for check in results["skipped_checks"]:
        assert check["check_result"].get("suppress_comment", "").strip(), check["check_id"]


def test_every_checkov_suppression_says_why() -> None:
    skips = [
        (name, skip)
        for name, spec in RESOURCES.items()
        for skip in spec.get("Metadata", {}).get("checkov", {}).get("skip", [])
    ]
    assert skips
    for name, skip in skips:
        assert skip["id"].startswith("CKV"), name
        assert len(skip["comment"].split()) >= 10, f"{name} suppresses {skip['id']} without a real reason"


def test_the_task_has_exactly_the_recipes_options() -> None:
    (task,) = of_type("AWS::DataSync::Task").values()
    assert task["Properties"]["Options"] == RECIPE_OPTIONS
    assert task["Properties"]["TaskMode"] == "BASIC"


def test_the_task_logs_to_its_own_log_group_with_retention() -> None:
    (task,) = of_type("AWS::DataSync::Task").values()
    assert task["Properties"]["CloudWatchLogGroupArn"] == {"Fn::GetAtt": ["TaskLogGroup", "Arn"]}
    log_group = RESOURCES["TaskLogGroup"]
    assert log_group["Type"] == "AWS::Logs::LogGroup"
    assert log_group["Properties"]["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert int(TEMPLATE["Parameters"]["LogRetentionDays"]["Default"]) > 0
    # DataSync can only write once the resource policy exists.
    assert "TaskLogResourcePolicy" in as_list(task["DependsOn"])


def test_the_task_excludes_temporary_files() -> None:
    (task,) = of_type("AWS::DataSync::Task").values()
    (rule,) = task["Properties"]["Excludes"]
    assert rule["FilterType"] == "SIMPLE_PATTERN"
    patterns = resolver().resolve(rule["Value"]).split("|")
    assert {"*.tmp", "*.swp"} <= set(patterns)
    # Each pattern matches at any depth, so a file's folder cannot smuggle it past the filter.
    assert all(pattern.startswith("*") for pattern in patterns)


def test_the_logs_resource_policy_admits_only_datasync_tasks_of_this_account_to_this_log_group() -> None:
    policy_spec = RESOURCES["TaskLogResourcePolicy"]
    assert policy_spec["Type"] == "AWS::Logs::ResourcePolicy"
    intrinsics = resolver()
    policy = json.loads(intrinsics.resolve(policy_spec["Properties"]["PolicyDocument"]))
    (statement,) = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "datasync.amazonaws.com"}
    assert set(as_list(statement["Action"])) == {"logs:PutLogEvents", "logs:CreateLogStream"}
    assert as_list(statement["Resource"]) == [intrinsics.resolve({"Fn::GetAtt": ["TaskLogGroup", "Arn"]})]
    assert statement["Condition"] == {
        "ArnLike": {"aws:SourceArn": f"arn:aws:datasync:{REGION}:{ACCOUNT_ID}:task/*"},
        "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
    }


def _role_statements(name: str, intrinsics: Intrinsics) -> list[dict[str, Any]]:
    role = intrinsics.resolve(RESOURCES[name]["Properties"])
    return [statement for policy in role["Policies"] for statement in policy["PolicyDocument"]["Statement"]]


def test_no_iam_policy_uses_a_wildcard_action_or_resource() -> None:
    intrinsics = resolver()
    roles = of_type("AWS::IAM::Role")
    assert set(roles) == {"SourceBucketAccessRole", "TaskReportRole"}
    for name in roles:
        for statement in _role_statements(name, intrinsics):
            assert statement["Effect"] == "Allow"
            assert all("*" not in action for action in as_list(statement["Action"])), name
            assert all(resource != "*" and ":::*" not in resource for resource in as_list(statement["Resource"]))
        assert "ManagedPolicyArns" not in RESOURCES[name]["Properties"], f"{name}: managed policies are too broad"


def test_datasync_reads_only_the_source_bucket_and_its_objects_with_the_documented_actions() -> None:
    intrinsics = resolver()
    bucket = intrinsics.resolve({"Fn::GetAtt": ["SourceBucket", "Arn"]})
    granted = {
        resource: set(as_list(statement["Action"]))
        for statement in _role_statements("SourceBucketAccessRole", intrinsics)
        for resource in as_list(statement["Resource"])
    }
    assert granted == {bucket: S3_SOURCE_BUCKET_ACTIONS, f"{bucket}/*": S3_SOURCE_OBJECT_ACTIONS}


def test_datasync_writes_task_reports_only_under_the_reports_prefix() -> None:
    intrinsics = resolver()
    bucket = intrinsics.resolve({"Fn::GetAtt": ["TaskReportBucket", "Arn"]})
    (statement,) = _role_statements("TaskReportRole", intrinsics)
    assert as_list(statement["Action"]) == ["s3:PutObject"]
    (task,) = of_type("AWS::DataSync::Task").values()
    prefix = intrinsics.resolve(task["Properties"]["TaskReportConfig"])["Destination"]["S3"]["Subdirectory"]
    assert as_list(statement["Resource"]) == [f"{bucket}/{prefix}/*"]


def test_only_datasync_of_this_account_and_region_can_assume_the_roles() -> None:
    intrinsics = resolver()
    for name in of_type("AWS::IAM::Role"):
        trust = intrinsics.resolve(RESOURCES[name]["Properties"]["AssumeRolePolicyDocument"])
        (statement,) = trust["Statement"]
        assert statement["Principal"] == {"Service": "datasync.amazonaws.com"}, name
        assert statement["Action"] == "sts:AssumeRole"
        assert statement["Condition"] == {
            "StringEquals": {"aws:SourceAccount": ACCOUNT_ID},
            "ArnLike": {"aws:SourceArn": f"arn:aws:datasync:{REGION}:{ACCOUNT_ID}:*"},
        }, name


def test_the_security_group_admits_only_nfs_from_inside_the_vpc() -> None:
    assert not of_type("AWS::EC2::SecurityGroupIngress")
    assert not of_type("AWS::EC2::SecurityGroupEgress")
    (group,) = of_type("AWS::EC2::SecurityGroup").values()
    rules = group["Properties"]["SecurityGroupIngress"] + group["Properties"]["SecurityGroupEgress"]
    for rule in rules:
        assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == ("tcp", 2049, 2049)
        assert rule["CidrIp"] == {"Ref": "VpcCidr"}
        assert not {"CidrIpv6", "SourcePrefixListId", "SourceSecurityGroupId"} & set(rule)
        assert rule["Description"]
    # VpcCidr is the created VPC's own range; it is nowhere near 0.0.0.0/0.
    assert RESOURCES["Vpc"]["Properties"]["CidrBlock"] == {"Ref": "VpcCidr"}
    assert TEMPLATE["Parameters"]["VpcCidr"]["Default"].split("/")[1] != "0"
    assert "0.0.0.0/0" not in TEMPLATE_PATH.read_text()


def test_the_file_system_is_encrypted_and_reached_over_tls_through_the_security_group() -> None:
    file_system = RESOURCES["FileSystem"]["Properties"]
    assert file_system["Encrypted"] is True
    # General Purpose: the only performance mode EFS Archive works with (docs/aws-facts.md#efs-lifecycle-policies).
    assert file_system["PerformanceMode"] == "generalPurpose"
    assert file_system["ThroughputMode"] == {"Ref": "ThroughputMode"}
    location = RESOURCES["DestinationLocation"]
    assert location["Properties"]["InTransitEncryption"] == "TLS1_2"
    assert "MountTarget" in as_list(location["DependsOn"])
    assert RESOURCES["MountTarget"]["Properties"]["SecurityGroups"] == [{"Ref": "NfsSecurityGroup"}]
    (group_arn,) = location["Properties"]["Ec2Config"]["SecurityGroupArns"]
    assert "${NfsSecurityGroup.GroupId}" in group_arn["Fn::Sub"]


@pytest.mark.parametrize("bucket", ["SourceBucket", "TaskReportBucket"])
def test_buckets_are_encrypted_private_and_tls_only(bucket: str) -> None:
    props = RESOURCES[bucket]["Properties"]
    (rule,) = props["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"
    assert set(props["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    (policy,) = [
        spec for spec in of_type("AWS::S3::BucketPolicy").values() if spec["Properties"]["Bucket"] == {"Ref": bucket}
    ]
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert (statement["Effect"], statement["Principal"], statement["Action"]) == ("Deny", "*", "s3:*")
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": False}}


def test_task_reports_are_optional() -> None:
    assert resolver().condition("HasTaskReports") is True
    assert resolver(TaskReportLevel="NONE").condition("HasTaskReports") is False
    for name in ("TaskReportBucket", "TaskReportBucketPolicy", "TaskReportRole"):
        assert RESOURCES[name]["Condition"] == "HasTaskReports"
    (task,) = of_type("AWS::DataSync::Task").values()
    assert resolver(TaskReportLevel="NONE").resolve(task["Properties"]).get("TaskReportConfig") is None


def test_the_outputs_are_the_scheduler_stacks_parameters() -> None:
    scheduler_parameters = set(load_template(ROOT / "template.yaml")["Parameters"])
    handed_over = {"DataSyncTaskArn", "TaskReportBucketName"}
    assert handed_over <= scheduler_parameters
    assert handed_over <= set(TEMPLATE["Outputs"])
    assert TEMPLATE["Outputs"]["DataSyncTaskArn"]["Value"] == {"Ref": "Task"}
    assert {"TaskLogGroupName", "TaskLogGroupArn", "SourceBucketName"} <= set(TEMPLATE["Outputs"])
    overrides = resolver().resolve(TEMPLATE["Outputs"]["SchedulerParameterOverrides"]["Value"])
    assert overrides.split() == ["DataSyncTaskArn=s3-to-efs-Task", "TaskReportBucketName=s3-to-efs-taskreportbucket"]


def test_an_existing_vpc_and_subnet_replace_the_created_network() -> None:
    intrinsics = resolver(ExistingVpcId="vpc-0123456789abcdef0", ExistingSubnetId="subnet-0123456789abcdef0")
    assert not intrinsics.condition("CreateVpc")
    assert not intrinsics.condition("CreateSubnet")
    assert RESOURCES["Vpc"]["Condition"] == "CreateVpc"
    assert RESOURCES["PrivateSubnet"]["Condition"] == "CreateSubnet"
    mount_target = intrinsics.resolve(RESOURCES["MountTarget"]["Properties"])
    assert mount_target["SubnetId"] == "subnet-0123456789abcdef0"
    assert intrinsics.resolve(RESOURCES["NfsSecurityGroup"]["Properties"]["VpcId"]) == "vpc-0123456789abcdef0"


# --- Storage tiering (docs/aws-facts.md#efs-lifecycle-policies) ------------------------------------

# botocore's EFS model: what EFS accepts, so the parameters cannot drift from it.
_EFS_MODEL = json.loads(
    gzip.decompress((Path(botocore.__file__).parent / "data" / "efs" / "2015-02-01" / "service-2.json.gz").read_bytes())
)["shapes"]
TIERING_PARAMETERS = ("TransitionToIA", "TransitionToArchive", "TransitionToPrimaryStorageClass")


def _days(value: str) -> int:
    """AFTER_30_DAYS -> 30, the order EFS gives its transition values."""
    return int(value.removeprefix("AFTER_").split("_", 1)[0])


def _rule_value(expression: Any, parameters: dict[str, str]) -> Any:
    """CloudFormation's rule functions, evaluated over the parameter values the stack is created with."""
    if isinstance(expression, dict):
        ((function, argument),) = expression.items()
        if function == "Ref":
            return parameters[argument]
        values = [_rule_value(item, parameters) for item in argument]
        if function == "Fn::Equals":
            return values[0] == values[1]
        if function == "Fn::Not":
            return not values[0]
        if function == "Fn::And":
            return all(values)
        if function == "Fn::Or":
            return any(values)
        if function == "Fn::Contains":
            return values[1] in values[0]
        raise AssertionError(f"rule function {function} is not evaluated here")
    if isinstance(expression, list):
        return [_rule_value(item, parameters) for item in expression]
    return expression


def refusals(**overrides: str) -> list[str]:
    """What CloudFormation says when it refuses these parameters, before any resource is created:
    values outside AllowedValues and the template's Rules whose assertions fail."""
    declared = TEMPLATE["Parameters"]
    parameters = {name: str(spec.get("Default", "")) for name, spec in declared.items()} | overrides
    refused = [
        f"{name}={parameters[name]} is not allowed"
        for name, spec in declared.items()
        if "AllowedValues" in spec and parameters[name] not in [str(value) for value in spec["AllowedValues"]]
    ]
    for rule in TEMPLATE["Rules"].values():
        if "RuleCondition" in rule and not _rule_value(rule["RuleCondition"], parameters):
            continue
        refused += [
            assertion["AssertDescription"]
            for assertion in rule["Assertions"]
            if not _rule_value(assertion["Assert"], parameters)
        ]
    return refused


def lifecycle_policies(**parameters: str) -> list[dict[str, str]]:
    policies: list[dict[str, str]] = (
        resolver(**parameters).resolve(RESOURCES["FileSystem"]["Properties"]).get("LifecyclePolicies", [])
    )
    return policies


def test_the_tiering_parameters_offer_exactly_what_efs_accepts_or_none() -> None:
    parameters = TEMPLATE["Parameters"]
    for name, shape in zip(
        TIERING_PARAMETERS,
        ("TransitionToIARules", "TransitionToArchiveRules", "TransitionToPrimaryStorageClassRules"),
        strict=True,
    ):
        assert set(parameters[name]["AllowedValues"]) == {"NONE", *_EFS_MODEL[shape]["enum"]}, name
    assert set(parameters["ThroughputMode"]["AllowedValues"]) <= set(_EFS_MODEL["ThroughputMode"]["enum"])


def test_by_default_files_move_to_infrequent_access_after_30_days_and_stay_there() -> None:
    assert refusals() == []
    assert lifecycle_policies() == [{"TransitionToIA": "AFTER_30_DAYS"}]
    # Bursting: no per-GB throughput charge for the nightly sync's writes.
    assert resolver().resolve(RESOURCES["FileSystem"]["Properties"]["ThroughputMode"]) == "bursting"


def test_every_tiering_parameter_reaches_the_file_system_one_transition_per_policy() -> None:
    chosen = {
        "ThroughputMode": "elastic",
        "TransitionToIA": "AFTER_7_DAYS",
        "TransitionToArchive": "AFTER_90_DAYS",
        "TransitionToPrimaryStorageClass": "AFTER_1_ACCESS",
    }
    assert refusals(**chosen) == []
    assert lifecycle_policies(**chosen) == [
        {"TransitionToIA": "AFTER_7_DAYS"},
        {"TransitionToArchive": "AFTER_90_DAYS"},
        {"TransitionToPrimaryStorageClass": "AFTER_1_ACCESS"},
    ]
    file_system = resolver(**chosen).resolve(RESOURCES["FileSystem"]["Properties"])
    assert (file_system["ThroughputMode"], file_system["PerformanceMode"]) == ("elastic", "generalPurpose")


def test_no_tiering_at_all_leaves_every_file_in_standard() -> None:
    assert refusals(TransitionToIA="NONE") == []
    assert lifecycle_policies(TransitionToIA="NONE") == []


def test_archive_is_refused_without_elastic_throughput() -> None:
    (refusal,) = refusals(TransitionToArchive="AFTER_90_DAYS")
    assert "ThroughputMode" in refusal and "elastic" in refusal
    assert refusals(TransitionToArchive="AFTER_90_DAYS", ThroughputMode="elastic") == []


def test_archive_is_refused_without_infrequent_access_first() -> None:
    refused = refusals(TransitionToArchive="AFTER_90_DAYS", ThroughputMode="elastic", TransitionToIA="NONE")
    assert refused and all("TransitionToIA" in refusal for refusal in refused)


@pytest.mark.parametrize("to_ia", _EFS_MODEL["TransitionToIARules"]["enum"])
def test_archive_must_come_strictly_later_than_infrequent_access(to_ia: str) -> None:
    for to_archive in _EFS_MODEL["TransitionToArchiveRules"]["enum"]:
        refused = refusals(TransitionToIA=to_ia, TransitionToArchive=to_archive, ThroughputMode="elastic")
        if _days(to_archive) > _days(to_ia):
            assert refused == [], (to_ia, to_archive)
        else:
            assert refused, f"{to_ia} then {to_archive} should be refused"
            assert all("TransitionToArchive" in refusal for refusal in refused)


def test_a_value_efs_does_not_know_is_refused() -> None:
    assert refusals(TransitionToIA="AFTER_2_DAYS") == ["TransitionToIA=AFTER_2_DAYS is not allowed"]
    assert refusals(ThroughputMode="provisioned")  # would need ProvisionedThroughputInMibps, which the stack lacks


def test_the_deploy_guide_gives_each_tiering_parameter_with_its_default() -> None:
    guide = (ROOT / "docs" / "deploy.md").read_text(encoding="utf-8")
    for name in (*TIERING_PARAMETERS, "ThroughputMode"):
        default = TEMPLATE["Parameters"][name]["Default"]
        assert f"| `{name}` | `{default}` |" in guide, name
