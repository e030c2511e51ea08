"""The emulated AWS served over HTTP, so the AWS CLI, boto3 in other processes and
`datasync-scheduler` work against it exactly as against AWS (`AWS_ENDPOINT_URL=http://127.0.0.1:4566`).

One process holds everything `local_aws()` sets up (moto with the Step Functions interpreter, the
DataSync emulator, the Lambda router, the virtual clock) and the template deployed under a stack
name. moto's own server application answers HTTP from the same in-memory backends the in-process
code uses (moto keeps them in module globals); a small middleware in front of it answers what moto
cannot answer the way this project needs:

- DataSync (JSON 1.1, `X-Amz-Target: FmrsService.<Operation>`) goes to the DataSync emulator of the
  Region the request is signed for and the account its credentials belong to (a member role's
  session: the member account), as AWS keeps each place's tasks apart;
- CloudFormation `DescribeStacks` describes the deployed stack with its Outputs, so the CLI finds
  the state machines and the ledger the way it does on AWS.

Code inside the process (the interpreter, the Lambda handlers, the emulator) keeps calling AWS's
default endpoints, which the mock and the hooks intercept; nothing there goes over HTTP. The clock
runs in real time: `speed` virtual seconds per real second.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs
from xml.sax.saxutils import escape

import boto3
from werkzeug.serving import BaseWSGIServer, make_server

from emulator import moto_internals
from emulator.local_aws import LocalAws, local_aws
from emulator.runner import stop_running
from emulator.scenario import Scenario
from emulator.scenario_tasks import create_task_for
from emulator.service_errors import EmulatedServiceError
from emulator.stack import ACCOUNT_ID, REGION, DeployedStack, stack_id

DEFAULT_PORT = 4566
# 10 virtual minutes per real second: an 8-hour transfer takes 48 s, a 15-minute fallback 1.5 s.
DEFAULT_SPEED = 600.0
DEFAULT_STACK_NAME = "datasync-scheduler"
_HOST = "127.0.0.1"
_logger = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass
class LocalStackServer:
    """A running local stack: where it listens and what it holds."""

    endpoint: str
    aws: LocalAws
    stack: DeployedStack
    task_arns: list[str]  # the tasks seeded from the scenario
    # What arrived over HTTP, in order: the X-Amz-Target (e.g. "FmrsService.DescribeTaskExecution")
    # or the Query action ("DescribeStacks"), else "<METHOD> <path>".
    requests: list[str] = field(default_factory=list)


class _Middleware:
    def __init__(self, app: WsgiApp, aws: LocalAws, stack: DeployedStack, requests: list[str]) -> None:
        self._app = app
        self._aws = aws
        self._stack = stack
        self._stack_id = stack_id(stack.name)
        self._created = datetime.now(UTC)
        self._requests = requests
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
        environ["wsgi.input"] = io.BytesIO(body)  # moto reads it again
        target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
        form = parse_qs(body.decode(errors="replace")) if not target else {}
        action = form.get("Action", [""])[0]
        with self._lock:
            self._requests.append(target or action or f"{environ.get('REQUEST_METHOD')} {environ.get('PATH_INFO')}")
        if target.startswith("FmrsService."):
            return self._datasync(target.split(".", 1)[1], body, start_response, _signed_for(environ))
        if action == "DescribeStacks" and "/cloudformation/aws4_request" in str(environ.get("HTTP_AUTHORIZATION")):
            return self._describe_stacks(form.get("StackName", [None])[0], start_response)
        return self._app(environ, start_response)

    def _datasync(
        self, operation: str, body: bytes, start_response: StartResponse, place: tuple[str, str]
    ) -> Iterable[bytes]:
        status, payload = 200, {}
        try:
            payload = self._aws.datasync_in(*place).handle(operation, json.loads(body or b"{}"))
        except EmulatedServiceError as error:
            status, payload = error.status, {"__type": error.code, "message": error.message, **error.extra}
        except NotImplementedError as error:
            status, payload = 400, {"__type": "InvalidRequestException", "message": str(error)}
        except Exception as error:  # the caller gets a 500, as from AWS; the server goes on
            _logger.exception("DataSync %s failed", operation)
            status, payload = 500, {"__type": "InternalException", "message": str(error)}
        return _respond(start_response, status, "application/x-amz-json-1.1", json.dumps(payload, default=_epoch))

    def _describe_stacks(self, name: str | None, start_response: StartResponse) -> Iterable[bytes]:
        if name not in (None, self._stack.name, self._stack_id):
            error = (
                "<ErrorResponse><Error><Type>Sender</Type><Code>ValidationError</Code>"
                f"<Message>Stack with id {escape(str(name))} does not exist</Message></Error>"
                f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
            )
            return _respond(start_response, 400, "text/xml", error)
        outputs = "".join(
            f"<member><OutputKey>{escape(key)}</OutputKey><OutputValue>{escape(value)}</OutputValue></member>"
            for key, value in self._stack.outputs.items()
        )
        parameters = "".join(
            f"<member><ParameterKey>{escape(key)}</ParameterKey><ParameterValue>{escape(value)}</ParameterValue></member>"
            for key, value in self._stack.parameters.items()
        )
        document = (
            '<DescribeStacksResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
            "<DescribeStacksResult><Stacks><member>"
            f"<StackName>{escape(self._stack.name)}</StackName><StackId>{self._stack_id}</StackId>"
            f"<CreationTime>{self._created.isoformat().replace('+00:00', 'Z')}</CreationTime>"
            "<StackStatus>CREATE_COMPLETE</StackStatus>"
            f"<Parameters>{parameters}</Parameters><Outputs>{outputs}</Outputs>"
            "</member></Stacks></DescribeStacksResult>"
            f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
            "</DescribeStacksResponse>"
        )
        return _respond(start_response, 200, "text/xml", document)


def _signed_for(environ: dict[str, Any]) -> tuple[str, str]:
    """The (Region, account) a request is for: the Region of its SigV4 credential scope
    (`Credential=<access key>/<date>/<region>/<service>/aws4_request`) and the account moto serves
    its access key as; ("", "") when it is not signed that way (then: the stack's home)."""
    authorization = str(environ.get("HTTP_AUTHORIZATION", ""))
    _, found, rest = authorization.partition("Credential=")
    scope = rest.split(",", 1)[0].split("/")
    if not found or len(scope) < 5:
        return ("", "")
    return (scope[2], moto_internals.account_of_access_key(scope[0]))


def _respond(start_response: StartResponse, status: int, content_type: str, body: str) -> Iterable[bytes]:
    data = body.encode()
    reason = {200: "OK", 400: "Bad Request", 404: "Not Found", 500: "Internal Server Error"}.get(status, "Error")
    start_response(
        f"{status} {reason}",
        [("Content-Type", content_type), ("Content-Length", str(len(data))), ("x-amzn-RequestId", str(uuid.uuid4()))],
    )
    return [data]


def _epoch(value: Any) -> Any:
    """JSON 1.1 sends timestamps as epoch seconds."""
    if isinstance(value, datetime):
        return value.timestamp()
    raise TypeError(f"{type(value).__name__} is not JSON serializable")


def _parameters(scenario: Scenario) -> dict[str, str]:
    """The scenario's stack parameters; the stack is set up for every Region and member account its
    tasks live in, as `make demo` deploys it (`emulator/runner.py`)."""
    parameters = dict(scenario.parameters)
    places = {(item.task.region or REGION, item.task.account or ACCOUNT_ID) for item in scenario.batch}
    if regions := sorted({region for region, _ in places} - {REGION}):
        parameters.setdefault("TaskRegions", ",".join(regions))
    if accounts := sorted({account for _, account in places} - {ACCOUNT_ID}):
        parameters.setdefault("MemberAccounts", ",".join(accounts))
    return parameters


def _seed(aws: LocalAws, scenario: Scenario) -> list[str]:
    """Creates the scenario's tasks through the DataSync API and gives them its execution scripts."""
    seeded = []
    for item in scenario.batch:
        task_arn = create_task_for(item.task)
        # Scripted in the DataSync of the task's own Region and account.
        aws.datasync_in(*task_arn.split(":")[3:5]).script_task(task_arn, item.executions)
        seeded.append(task_arn)
    if not scenario.batch:
        task_arn = create_task_for(scenario.task)
        if scenario.executions:
            aws.datasync.script_task(task_arn, scenario.executions)
        seeded.append(task_arn)
    return seeded


@contextmanager
def serve_local_stack(
    port: int = DEFAULT_PORT,
    speed: float = DEFAULT_SPEED,
    scenario: Scenario | None = None,
    stack_name: str = DEFAULT_STACK_NAME,
) -> Iterator[LocalStackServer]:
    """Serves the local stack on 127.0.0.1:`port` (0: any free port) until the block ends.

    With a scenario, its tasks are created and scripted, its template parameters deployed and its
    EventBridge faults applied; the workflow is not started: that is the caller's to do, over HTTP.
    """
    # Virtual time starts at the real time, so what the ledger and the history say looks like today.
    with local_aws(scenario.events if scenario else None, datetime.now(UTC).replace(microsecond=0)) as aws:
        stack = aws.deploy(_parameters(scenario) if scenario else {}, stack_name=stack_name)
        task_arns = _seed(aws, scenario) if scenario else []
        requests: list[str] = []
        app = _Middleware(moto_internals.moto_server_app(), aws, stack, requests)
        server: BaseWSGIServer = make_server(
            _HOST, port, app, threaded=True, request_handler=moto_internals.MOTO_REQUEST_HANDLER
        )
        serving = threading.Thread(target=server.serve_forever, name="local-stack-http", daemon=True)
        stop_clock = threading.Event()
        clock = threading.Thread(
            target=aws.clock.run_in_real_time, args=(speed, stop_clock), name="local-stack-clock", daemon=True
        )
        werkzeug_log = logging.getLogger("werkzeug")
        level = werkzeug_log.level
        werkzeug_log.setLevel(logging.WARNING)  # one line per request would bury what the operator reads
        serving.start()
        clock.start()
        try:
            yield LocalStackServer(f"http://{_HOST}:{server.server_port}", aws, stack, task_arns, requests)
        finally:
            # Executions still running would outlive the mock: stop them while the clock still runs.
            with suppress(Exception):
                stop_running(boto3.client("stepfunctions", region_name=REGION), stack)
            stop_clock.set()
            server.shutdown()
            serving.join(timeout=5)
            clock.join(timeout=5)
            werkzeug_log.setLevel(level)
