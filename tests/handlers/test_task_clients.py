"""Calls about a task go where it lives: its Region, and in a member account through the member role."""

from collections.abc import Iterator

import boto3
import pytest
from moto import mock_aws

from datasync_scheduler.adapters.aws_clients import TaskClients, forget_clients
from datasync_scheduler.domain.where import Where

HOME_ACCOUNT = "123456789012"  # moto's default account: the functions' own credentials
MEMBER = "222222222222"
ROLE = "DataSyncSchedulerMember"


@pytest.fixture(autouse=True)
def moto() -> Iterator[None]:
    forget_clients()
    with mock_aws():
        yield
    forget_clients()


def test_a_call_in_a_member_account_uses_the_member_role_and_a_home_call_the_functions_own() -> None:
    clients = TaskClients("sts", frozenset({MEMBER}), ROLE)
    member = clients.at(Where("aws", "us-east-1", MEMBER)).get_caller_identity()
    assert member["Account"] == MEMBER
    assert member["Arn"] == f"arn:aws:sts::{MEMBER}:assumed-role/{ROLE}/datasync-scheduler"
    assert clients.at(Where("aws", "us-east-1", HOME_ACCOUNT)).get_caller_identity()["Account"] == HOME_ACCOUNT


def test_a_call_about_a_log_group_goes_to_its_region_and_account() -> None:
    clients = TaskClients("logs", frozenset({MEMBER}), ROLE)
    group_arn = f"arn:aws:logs:ap-south-1:{MEMBER}:log-group:/aws/datasync:*"
    clients.about(group_arn).create_log_group(logGroupName="/aws/datasync")
    # Not in the home account's Region, nor the member account's other Regions.
    home = boto3.client("logs", region_name="ap-south-1").describe_log_groups()["logGroups"]
    other_region = clients.at(Where("aws", "eu-west-1", MEMBER)).describe_log_groups()["logGroups"]
    there = clients.about(group_arn).describe_log_groups()["logGroups"]
    assert (home, other_region, [group["logGroupName"] for group in there]) == ([], [], ["/aws/datasync"])


def test_one_client_per_place() -> None:
    clients = TaskClients("logs", frozenset({MEMBER}), ROLE)
    where = Where("aws", "us-east-1", MEMBER)
    assert clients.at(where) is clients.at(where)
    assert clients.at(where) is not clients.at(Where("aws", "us-west-2", MEMBER))


def test_a_fixed_client_answers_every_call() -> None:
    fixed = object()
    assert TaskClients("datasync", fixed=fixed).about(f"arn:aws:datasync:eu-west-1:{MEMBER}:task/task-0") is fixed
