"""CloudFormation's custom resource protocol, written once: every request gets its one answer.

CloudFormation sends Create, Update or Delete and waits for an answer PUT to the request's
presigned `ResponseURL`, up to the resource's ServiceTimeout (default and most: one hour). A
provider that raises, times out or forgets to answer holds the stack for that long
(docs/aws-facts.md#custom-resources). So the handler built here answers on every path: SUCCESS
with what the operation returned, FAILED with the error's sentence (cut to fit the 4,096-byte
answer) when it raised, and it is the operation's job to stop while there is time to answer.

Neither Powertools nor the Lambda runtime ship a helper for this (`cfnresponse` exists only for
functions whose code is inline in the template), and the protocol is one JSON document: this
module is it.
"""

from __future__ import annotations

import functools
import json
import urllib.request
from collections.abc import Callable
from typing import Any, Literal

from aws_lambda_powertools import Logger
from aws_lambda_powertools.utilities.typing import LambdaContext
from pydantic import BaseModel, ConfigDict

from datasync_scheduler.domain.untrusted import one_line

# CloudFormation's limit on the whole answer; the reason is cut so that the answer fits.
RESPONSE_LIMIT = 4096
REASON_LIMIT = 2000
# How long one PUT of the answer may take before it is tried again (then given up).
_PUT_TIMEOUT_SECONDS = 10
_PUT_ATTEMPTS = 3


class CustomResourceRequest(BaseModel):
    """The parts of CloudFormation's request the provider reads (others are ignored)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    RequestType: Literal["Create", "Update", "Delete"]
    ResponseURL: str
    StackId: str
    RequestId: str
    LogicalResourceId: str
    PhysicalResourceId: str | None = None
    ResourceProperties: dict[str, Any] = {}
    OldResourceProperties: dict[str, Any] | None = None


Operation = Callable[[CustomResourceRequest, LambdaContext], tuple[str, dict[str, str]]]
Send = Callable[[str, bytes], None]


def put_response(url: str, body: bytes) -> None:
    """PUTs the answer to the presigned URL; an empty Content-Type, as the URL was signed without one."""
    last: Exception | None = None
    for _ in range(_PUT_ATTEMPTS):
        request = urllib.request.Request(url, data=body, method="PUT", headers={"Content-Type": ""})  # noqa: S310
        try:
            with urllib.request.urlopen(request, timeout=_PUT_TIMEOUT_SECONDS) as answer:  # noqa: S310
                answer.read()
            return
        except OSError as error:  # URLError, HTTPError and timeouts are all OSErrors
            last = error
    raise RuntimeError(f"could not answer CloudFormation: {last}")


def response_body(
    request: CustomResourceRequest,
    status: Literal["SUCCESS", "FAILED"],
    physical_id: str,
    reason: str = "",
    data: dict[str, str] | None = None,
) -> bytes:
    answer: dict[str, Any] = {
        "Status": status,
        "Reason": one_line(reason)[:REASON_LIMIT],
        "PhysicalResourceId": physical_id[:1024],
        "StackId": request.StackId,
        "RequestId": request.RequestId,
        "LogicalResourceId": request.LogicalResourceId,
        "Data": data or {},
    }
    body = json.dumps(answer).encode()
    if len(body) > RESPONSE_LIMIT:  # Data too big: answer without it, and say so
        answer["Data"] = {}
        if status == "SUCCESS":
            answer["Reason"] = "the answer's data did not fit CloudFormation's 4,096 bytes"
        body = json.dumps(answer).encode()
    return body


def custom_resource_handler(
    logger: Logger,
    send: Send = put_response,
    physical_id: Callable[[CustomResourceRequest], Any] = lambda request: None,
) -> Callable[[Operation], Callable[[dict[str, Any], LambdaContext], None]]:
    """Makes `operation(request, context) -> (physical id, data)` a handler that always answers.

    `physical_id(request)` names the resource when the operation fails before naming it, so that
    the Delete CloudFormation sends after a failed Create finds what the Create made."""

    def decorate(operation: Operation) -> Callable[[dict[str, Any], LambdaContext], None]:
        @functools.wraps(operation)
        def handler(event: dict[str, Any], context: LambdaContext) -> None:
            try:
                request = CustomResourceRequest.model_validate(event)
            except ValueError:
                # Not CloudFormation's request; answer it all the same if it says where.
                _answer_unreadable(event, send)
                raise
            # Until the operation names it, the resource is the one CloudFormation named (Update,
            # Delete), or the one `physical_id` says, or one no other request can mistake for its own.
            named = request.PhysicalResourceId or physical_id(request)
            fallback = str(named) if named else f"{request.LogicalResourceId}-{request.RequestId}"
            try:
                made, data = operation(request, context)
                body = response_body(request, "SUCCESS", made, data=data)
            except Exception as error:
                logger.exception("custom resource request failed", extra={"requestType": request.RequestType})
                body = response_body(request, "FAILED", fallback, reason=f"{type(error).__name__}: {error}")
            send(request.ResponseURL, body)

        return handler

    return decorate


def _answer_unreadable(event: Any, send: Send) -> None:
    if isinstance(event, dict) and isinstance(event.get("ResponseURL"), str):
        answer = {
            "Status": "FAILED",
            "Reason": "the custom resource request could not be read",
            "PhysicalResourceId": str(event.get("PhysicalResourceId") or event.get("RequestId") or "unreadable"),
            "StackId": str(event.get("StackId", "")),
            "RequestId": str(event.get("RequestId", "")),
            "LogicalResourceId": str(event.get("LogicalResourceId", "")),
        }
        send(event["ResponseURL"], json.dumps(answer).encode())
