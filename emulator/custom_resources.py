"""CloudFormation's side of a custom resource: the request to the provider function, and the answer.

CloudFormation invokes the function named by `ServiceToken` with Create, Update or Delete and waits
for the answer PUT to the request's presigned `ResponseURL`. Here the function runs in-process
(through the Lambda router) and the URL is a real HTTP listener on this machine's loopback, so
the function's own code answers exactly as it would on AWS. A request the function does not
answer, or answers FAILED, fails the deployment with the function's reason, as CloudFormation
fails the stack operation (docs/aws-facts.md#custom-resources).
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from emulator.lambda_router import LambdaRouter


@dataclass(frozen=True)
class CustomResource:
    logical_id: str
    resource_type: str
    service_token: str  # the provider function's ARN
    properties: dict[str, Any]  # resolved, ServiceToken included (CloudFormation sends it too)


@dataclass
class CustomResourceAnswer:
    status: str
    reason: str
    physical_id: str
    data: dict[str, Any] = field(default_factory=dict)


class CustomResourceFailed(RuntimeError):
    """The provider answered FAILED, or not at all: the stack operation fails with this reason."""


class _Listener:
    """A loopback HTTP listener standing in for the presigned S3 URL; keeps each body PUT to it."""

    def __init__(self) -> None:
        bodies: list[bytes] = []
        self.bodies = bodies

        class Handler(BaseHTTPRequestHandler):
            def do_PUT(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                bodies.append(self.rfile.read(length))
                self.send_response(200)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="cfn-response-url", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_port}/cloudformation-response/{uuid.uuid4().hex}"

    def __enter__(self) -> _Listener:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def send_request(
    router: LambdaRouter,
    resource: CustomResource,
    request_type: str,
    *,
    stack_id: str,
    physical_id: str | None = None,
    old_properties: dict[str, Any] | None = None,
) -> CustomResourceAnswer:
    """Sends one request to the provider and returns its answer; raises CustomResourceFailed when
    it answered FAILED or gave no answer."""
    with _Listener() as listener:
        event: dict[str, Any] = {
            "RequestType": request_type,
            "ServiceToken": resource.service_token,
            "ResponseURL": listener.url,
            "StackId": stack_id,
            "RequestId": str(uuid.uuid4()),
            "ResourceType": resource.resource_type,
            "LogicalResourceId": resource.logical_id,
            "ResourceProperties": resource.properties,
        }
        if physical_id is not None:
            event["PhysicalResourceId"] = physical_id
        if old_properties is not None:
            event["OldResourceProperties"] = old_properties
        _, error = router.invoke(resource.service_token, event)
        bodies = list(listener.bodies)
    if not bodies:
        detail = f" (it raised {error['errorType']}: {error['errorMessage']})" if error else ""
        raise CustomResourceFailed(
            f"{resource.logical_id}: the function gave CloudFormation no answer{detail}; "
            "CloudFormation would wait for the resource's ServiceTimeout, then fail the stack operation"
        )
    answer = json.loads(bodies[-1])
    result = CustomResourceAnswer(
        status=str(answer.get("Status")),
        reason=str(answer.get("Reason") or ""),
        physical_id=str(answer.get("PhysicalResourceId") or ""),
        data=dict(answer.get("Data") or {}),
    )
    if result.status != "SUCCESS":
        raise CustomResourceFailed(f"{resource.logical_id}: {result.reason}")
    return result
