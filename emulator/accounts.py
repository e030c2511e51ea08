"""Clients in the local AWS's other accounts: what a member account's owner (or the member role)
would use, so that what lives in a member account is created and written there, not at home."""

from __future__ import annotations

from typing import Any

import boto3

from emulator.stack import ACCOUNT_ID, REGION

# The role the member stack creates in each member account (template.yaml's MemberRoleName default).
MEMBER_ROLE_NAME = "DataSyncSchedulerMember"


def client_in(service: str, region: str, account: str = ACCOUNT_ID) -> Any:
    """A client of `service` in `region` of `account`: the stack's own credentials at home, else the
    member role's (moto keeps each account's resources apart by the credentials' account)."""
    if account == ACCOUNT_ID:
        return boto3.client(service, region_name=region)  # type: ignore[call-overload]
    credentials = boto3.client("sts", region_name=REGION).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/{MEMBER_ROLE_NAME}", RoleSessionName="datasync-scheduler-owner"
    )["Credentials"]
    return boto3.client(  # type: ignore[call-overload]
        service,
        region_name=region,
        aws_access_key_id=credentials["AccessKeyId"],
        aws_secret_access_key=credentials["SecretAccessKey"],
        aws_session_token=credentials["SessionToken"],
    )
