"""The notification topic: publishes one message, rendered per protocol, with its attributes.

The client retries in botocore's standard mode (throttling, 5xx, connection errors, with
exponential back-off and jitter: docs/aws-facts.md#sns-publish-retries). A publish that still
fails raises `NotPublished`, which the caller turns into `notificationError`: the verdict never
depends on the message.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import boto3
from botocore.exceptions import ClientError

from datasync_scheduler.adapters.aws_clients import config

# Standard mode, as every client of the functions: up to 6 attempts in all (the first call
# included), each retryable error backed off.
PUBLISH_RETRIES = config("sns")


class NotPublished(Exception):
    """SNS did not accept the message after the client's retries (or refused it outright).

    `code` is SNS's error code (`InvalidParameter`, `AuthorizationError`, …) or, when no answer came,
    the client's exception name."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code


class SnsTopic:
    """`TopicPort` on an SNS topic; the message is `MessageStructure=json`, one rendering per protocol."""

    def __init__(self, topic_arn: str) -> None:
        self.topic_arn = topic_arn

    @cached_property
    def _sns(self) -> Any:
        return boto3.client("sns", config=PUBLISH_RETRIES)

    def publish(self, *, subject: str, structured: str, attributes: Mapping[str, Mapping[str, str]]) -> str:
        try:
            response = self._sns.publish(
                TopicArn=self.topic_arn,
                Subject=subject,
                Message=structured,
                MessageStructure="json",
                MessageAttributes={name: dict(value) for name, value in attributes.items()},
            )
        except Exception as error:  # any failure to publish is reported the same way
            raise NotPublished(_code(error), str(error)) from error
        return str(response["MessageId"])


def _code(error: Exception) -> str:
    code = error.response.get("Error", {}).get("Code") if isinstance(error, ClientError) else None
    return str(code or type(error).__name__)
