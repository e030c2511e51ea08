"""Where a task lives decides where the stack calls; a task where the stack is not set up is refused."""

import pytest

from datasync_scheduler.domain.sync_request import InvalidSyncRequest, StackHome, parse_sync_request
from datasync_scheduler.domain.where import Reach, Where

HOME = Where("aws", "eu-west-1", "111111111111")
MEMBER = "222222222222"
FUNCTION = "arn:aws:lambda:eu-west-1:111111111111:function:ValidateSyncRequest"


def task(region: str, account: str, partition: str = "aws") -> str:
    return f"arn:{partition}:datasync:{region}:{account}:task/task-0123456789abcdef0"


def test_a_task_arn_says_its_partition_region_and_account() -> None:
    assert Where.of_arn(task("us-east-1", MEMBER)) == Where("aws", "us-east-1", MEMBER)
    assert Where.of_arn("arn:aws-cn:logs:cn-north-1:111111111111:log-group:/x:*").partition == "aws-cn"
    with pytest.raises(ValueError, match="not an ARN"):
        Where.of_arn("arn:aws:s3:::bucket")  # S3 bucket ARNs name no Region and no account


def test_a_stack_set_up_for_two_regions_and_a_member_account_reaches_each_pair() -> None:
    reach = Reach.of(HOME, "us-east-1, eu-west-1", MEMBER, "DataSyncSchedulerMember")
    assert reach.all_regions == ["eu-west-1", "us-east-1"]
    assert [(w.region, w.account) for w in reach.places()] == [
        ("eu-west-1", "111111111111"),
        ("us-east-1", "111111111111"),
        ("eu-west-1", MEMBER),
        ("us-east-1", MEMBER),
    ]
    for where in reach.places():
        assert reach.problem(where) is None
    # Calls at home use the function's own role; in a member account, the member stack's role.
    assert reach.role_arn(Where("aws", "us-east-1", HOME.account)) is None
    assert reach.role_arn(Where("aws", "us-east-1", MEMBER)) == f"arn:aws:iam::{MEMBER}:role/DataSyncSchedulerMember"


def test_a_region_or_account_the_stack_is_not_set_up_for_is_refused_saying_what_to_deploy() -> None:
    reach = Reach.of(HOME, "us-east-1", MEMBER, "DataSyncSchedulerMember")
    region = reach.problem(Where("aws", "ap-south-1", HOME.account))
    assert region is not None
    assert "Region ap-south-1 is not among the stack's Regions (eu-west-1, us-east-1)" in region
    assert "member/template.yaml in ap-south-1" in region and "TaskRegions" in region
    account = reach.problem(Where("aws", "eu-west-1", "333333333333"))
    assert account is not None and "account 333333333333" in account and "MemberAccounts" in account
    partition = reach.problem(Where("aws-cn", "cn-north-1", HOME.account))
    assert partition is not None and "partition aws-cn" in partition


def test_the_stack_parameters_are_checked_naming_the_parameter() -> None:
    with pytest.raises(ValueError, match="TaskRegions: 'Ireland'"):
        Reach.of(HOME, "Ireland")
    with pytest.raises(ValueError, match="MemberAccounts: '2222'"):
        Reach.of(HOME, "", "2222", "Role")
    with pytest.raises(ValueError, match="MemberRoleName"):
        Reach.of(HOME, "", MEMBER, "")
    with pytest.raises(ValueError, match="MemberAccounts: 111111111111 is the stack's own account"):
        Reach.of(HOME, "", f"{HOME.account},{MEMBER}", "Role")


def test_a_run_of_a_task_in_a_set_up_region_and_account_is_accepted_and_elsewhere_refused() -> None:
    home = StackHome.of_function(FUNCTION, regions="us-east-1", accounts=MEMBER, member_role_name="Member")
    request = parse_sync_request({"taskArn": task("us-east-1", MEMBER)}, home=home)
    assert request.taskArn == task("us-east-1", MEMBER)
    with pytest.raises(InvalidSyncRequest) as caught:
        parse_sync_request({"taskArn": task("ap-south-1", MEMBER)}, home=home)
    assert "taskArn: Region ap-south-1 is not among the stack's Regions" in str(caught.value)


def test_a_stack_without_other_regions_refuses_a_task_elsewhere_as_before() -> None:
    home = StackHome.of_function(FUNCTION)
    with pytest.raises(InvalidSyncRequest) as caught:
        parse_sync_request({"taskArn": task("us-east-1", HOME.account)}, home=home)
    assert "taskArn: Region us-east-1 is not among the stack's Regions (eu-west-1)" in str(caught.value)
