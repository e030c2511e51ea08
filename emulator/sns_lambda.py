"""SNS delivering to the template's functions the way SNS and Lambda do, in-process.

moto's SNS hands a `lambda` subscription's message to moto's own Lambda backend, which needs Docker.
While `sns_to_lambda(router)` is active, a `lambda` subscription whose endpoint is one of the
router's functions is delivered here instead (every other subscription stays moto's):

- the subscription's filter policy decides (moto's matcher, as emulator.sns_rules corrects it), and
  a message published with MessageStructure=json gives the function its `lambda` key, else
  `default` (moto's own parsing);
- the function gets the event the Lambda service builds for SNS: Records[].EventSource "aws:sns",
  Sns.Type, MessageId, TopicArn, Subject, Message, Timestamp, MessageAttributes {Type, Value}, …;
- Lambda's asynchronous invocation: a handler that raises is invoked again, up to the function's
  MaximumRetryAttempts (EventInvokeConfig; 2 unless set), and then the failure record (the event
  and the error, as Lambda destinations write it) goes to its OnFailure queue.

Unlike AWS, the retries follow at once (AWS waits about one and then two minutes), and delivery
happens in the publishing thread: `Publish` returns after the subscriber ran. A failing subscriber
still never fails the publish. The hook into moto is in emulator.moto_internals;
tests/emulator/test_sns_lambda.py pins this behaviour.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3

from emulator import moto_internals
from emulator.lambda_router import LambdaFunction, LambdaRouter
from emulator.service_errors import EmulatedServiceError


@dataclass(frozen=True)
class AsyncInvocation:
    """One message's delivery to one function, retries included."""

    function: str  # logical id
    message_id: str
    attempts: int
    error_type: str | None  # the last attempt's, None when it succeeded
    sent_to: str | None = None  # the OnFailure destination that got the event, when all attempts failed


@dataclass
class SnsLambdaDeliveries:
    """What was delivered while the patch was active, in order."""

    invocations: list[AsyncInvocation] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, invocation: AsyncInvocation) -> None:
        with self._lock:
            self.invocations.append(invocation)


def iso_millis(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


@contextmanager
def sns_to_lambda(router: LambdaRouter, now: Callable[[], datetime]) -> Iterator[SnsLambdaDeliveries]:
    """Routes `lambda` subscriptions of the router's functions to the router (see the module's docstring)."""
    deliveries = SnsLambdaDeliveries()

    def claims(subscription: moto_internals.SnsSubscription) -> bool:
        return _routed_function(router, subscription) is not None

    def deliver(delivery: moto_internals.SnsDelivery) -> None:
        function = _routed_function(router, delivery.subscription)
        assert function is not None  # claimed above
        event = sns_event(
            delivery.subscription,
            delivery.message,
            delivery.message_id,
            delivery.subject,
            delivery.message_attributes,
            now(),
        )
        deliveries.add(invoke_async(router, function, event, delivery.message_id, now))

    with moto_internals.lambda_subscriptions_delivered_by(claims, deliver):
        yield deliveries


def sns_event(
    subscription: moto_internals.SnsSubscription,
    message: str,
    message_id: str,
    subject: str | None,
    message_attributes: dict[str, Any] | None,
    at: datetime,
) -> dict[str, Any]:
    """The event the Lambda service passes a function subscribed to a topic (one record per message)."""
    region = subscription.topic_arn.split(":")[3]
    return {
        "Records": [
            {
                "EventSource": "aws:sns",
                "EventVersion": "1.0",
                "EventSubscriptionArn": subscription.arn,
                "Sns": {
                    "Type": "Notification",
                    "MessageId": message_id,
                    "TopicArn": subscription.topic_arn,
                    "Subject": subject,
                    "Message": message,
                    "Timestamp": iso_millis(at),
                    "SignatureVersion": "1",
                    "Signature": "RU1VTEFUT1I=",  # not signed locally
                    "SigningCertUrl": f"https://sns.{region}.amazonaws.com/SimpleNotificationService-local.pem",
                    "UnsubscribeUrl": f"https://sns.{region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn={subscription.arn}",
                    "MessageAttributes": {
                        name: {"Type": str(value["Type"]), "Value": str(value["Value"])}
                        for name, value in (message_attributes or {}).items()
                    },
                },
            }
        ]
    }


def invoke_async(
    router: LambdaRouter, function: LambdaFunction, event: dict[str, Any], message_id: str, now: Callable[[], datetime]
) -> AsyncInvocation:
    """Lambda's asynchronous invocation: retries on error, then the OnFailure destination."""
    attempts = 1 + function.max_retry_attempts
    error: dict[str, Any] | None = None
    for attempt in range(1, attempts + 1):
        try:
            _, error = router.invoke(function.arn, event)
        except Exception as failure:  # noqa: BLE001 - a handler that cannot even load fails the invocation
            error = {"errorType": "Runtime.ImportModuleError", "errorMessage": f"{type(failure).__name__}: {failure}"}
        if error is None:
            return AsyncInvocation(function.logical_id, message_id, attempt, None)
    assert error is not None
    sent_to = None
    if function.on_failure:
        try:
            _send_to_queue(function.on_failure, failure_record(function, event, error, attempts, now()))
            sent_to = function.on_failure
        except Exception:  # noqa: BLE001, S110 - Lambda drops what its destination refuses; the publish stands
            pass
    return AsyncInvocation(function.logical_id, message_id, attempts, str(error["errorType"]), sent_to)


def failure_record(
    function: LambdaFunction, event: dict[str, Any], error: dict[str, Any], attempts: int, at: datetime
) -> dict[str, Any]:
    """What Lambda sends an on-failure destination when the retries are exhausted."""
    return {
        "version": "1.0",
        "timestamp": iso_millis(at),
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": f"{function.arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
        "responsePayload": error,
    }


def _routed_function(router: LambdaRouter, subscription: moto_internals.SnsSubscription) -> LambdaFunction | None:
    try:
        return router.function(subscription.endpoint)
    except EmulatedServiceError:
        return None  # not one of the template's functions: moto's own delivery


def _send_to_queue(queue_arn: str, record: dict[str, Any]) -> None:
    _, _, _, region, account, name = queue_arn.split(":", 5)
    sqs = boto3.client("sqs", region_name=region)
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(record))
