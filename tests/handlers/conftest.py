"""Handlers run as Lambda would run them (through the router), against moto and the DataSync emulator."""

import json
from collections.abc import Iterator

import boto3
import pytest

from emulator.local_aws import LocalAws, local_aws
from emulator.scenario import load_scenario
from emulator.scenario_tasks import create_task
from emulator.stack import REGION
from emulator.webhook import SlackWebhookStandIn


@pytest.fixture
def aws() -> Iterator[LocalAws]:
    with local_aws() as emulated:
        emulated.deploy()
        yield emulated


@pytest.fixture
def task_arn(aws: LocalAws) -> str:
    return create_task(load_scenario("nightly-success"))


@pytest.fixture
def slack_stack() -> Iterator[tuple[LocalAws, SlackWebhookStandIn]]:
    """The stack with its Slack webhook secret pointing at a local stand-in for Slack."""
    with SlackWebhookStandIn() as stand_in, local_aws() as aws:
        secret = boto3.client("secretsmanager", region_name=REGION).create_secret(
            Name="slack-webhook", SecretString=json.dumps({"url": stand_in.url})
        )
        aws.deploy({"SlackWebhookSecretArn": secret["ARN"]})
        yield aws, stand_in
