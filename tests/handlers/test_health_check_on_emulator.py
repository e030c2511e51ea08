"""The Health Check on the emulated stack: an agent goes offline in the afternoon; the check that
runs within the schedule's lead time finds the task UNAVAILABLE and sends one preflight message on
the notification topic, with the schedule's attributes; the checks before and after send nothing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3

from emulator import moto_internals
from emulator.local_aws import local_aws
from emulator.stack import ACCOUNT_ID, REGION

# finance-nightly fires at 01:00 Berlin (00:00 UTC in winter); the agent goes offline at 17:00 UTC.
FIRING = datetime(2026, 11, 27, 0, 0, tzinfo=UTC)
AFTERNOON = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)


def test_an_offline_agent_found_before_the_window_sends_one_preflight_message() -> None:
    with local_aws(clock_start=AFTERNOON - timedelta(hours=1)) as aws:
        aws.deploy()
        datasync = boto3.client("datasync", region_name=REGION)
        agent = datasync.create_agent(ActivationKey="AAAAA-BBBBB-CCCCC-DDDDD-EEEEE", AgentName="ledger-agent")[
            "AgentArn"
        ]
        share = datasync.create_location_nfs(
            ServerHostname="ledger.example.internal", Subdirectory="/ledger", OnPremConfig={"AgentArns": [agent]}
        )["LocationArn"]
        bucket = datasync.create_location_s3(
            S3BucketArn="arn:aws:s3:::finance-archive",
            S3Config={"BucketAccessRoleArn": f"arn:aws:iam::{ACCOUNT_ID}:role/datasync-s3-access"},
        )["LocationArn"]
        logs = boto3.client("logs", region_name=REGION)
        logs.create_log_group(logGroupName="/aws/datasync/ledger")
        task = datasync.create_task(
            SourceLocationArn=share,
            DestinationLocationArn=bucket,
            Name="ledger-share",
            Options={"LogLevel": "BASIC"},
            CloudWatchLogGroupArn=f"arn:aws:logs:{REGION}:{ACCOUNT_ID}:log-group:/aws/datasync/ledger",
        )["TaskArn"]
        aws.schedules = {
            "schedules": [
                {
                    "name": "finance-nightly",
                    "expression": "cron(0 1 * * ? *)",
                    "timezone": "Europe/Berlin",
                    "tasks": [{"taskArn": task}],
                    "messages": {"route": "finance"},
                }
            ]
        }
        aws.datasync.set_agent_status(agent, "OFFLINE", AFTERNOON)

        published = []
        for before in (45, 25, 20, 5):  # minutes before the firing; the lead time is 30
            aws.clock.advance((FIRING - timedelta(minutes=before) - aws.clock.now()).total_seconds())
            result, error = aws.router.invoke("HealthCheckFunction", {})
            assert error is None, error
            published.append(result["published"])
        notifications = moto_internals.sns_sent_notifications(ACCOUNT_ID, REGION, aws.stack.topics["NotificationTopic"])

    assert published == [[], ["preflight#finance-nightly#2026-11-27T00:00:00Z"], [], []]
    [(message, subject, attributes)] = notifications
    assert "will FAIL" in subject and "01:00 CET" in subject
    assert attributes["schedule"]["Value"] == "finance-nightly"
    assert attributes["route"]["Value"] == "finance"
    email = json.loads(message)["email"]
    assert "is UNAVAILABLE: an agent it uses is offline" in email
    assert "What preflight found:" in email
