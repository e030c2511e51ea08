"""Every place the emulator relies on moto's internals, each behind one small named function.

moto's public API is `mock_aws` and the AWS APIs it serves. The emulator needs more: virtual time
inside the Step Functions interpreter, AWS's documented behaviour where moto is friendlier, Lambda
deliveries without Docker, and a look at what moto's backends recorded. Each function below says
what it relies on and why the public API does not do it. Nothing else in the emulator reaches into
moto's private members or its module globals.

All of this is checked against one moto version: importing this module fails, with a message
naming the installed and the tested versions, when any other is installed. tests/emulator has a
test for each reliance, so an upgrade of moto that moves one fails there first.
"""

from __future__ import annotations

import importlib.metadata
import json
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

# The moto versions every reliance below was checked against: the pin in constraints.txt (a test
# keeps the two equal). To upgrade moto, install the new version, run tests/emulator, fix what
# moved here, and add the version.
TESTED_MOTO_VERSIONS = ("5.2.5",)


class UntestedMotoVersion(ImportError):
    """The installed moto is not one the emulator's reliance on its internals was checked against."""


def check_moto_version(installed: str) -> None:
    if installed not in TESTED_MOTO_VERSIONS:
        raise UntestedMotoVersion(
            f"the emulator relies on moto internals checked against moto {', '.join(TESTED_MOTO_VERSIONS)}, "
            f"but moto {installed} is installed. Install the tested version "
            f"(pip install -c constraints.txt -e '.[dev]'), or check each reliance in "
            f"emulator/moto_internals.py against moto {installed} (tests/emulator) and add it to "
            "TESTED_MOTO_VERSIONS."
        )


check_moto_version(importlib.metadata.version("moto"))

# Imported only after the check: on another version these paths may not even exist.
import moto.logs.models  # noqa: E402
from moto.cloudwatch.models import MetricDatum, cloudwatch_backends  # noqa: E402
from moto.core.models import botocore_stubber  # noqa: E402
from moto.dynamodb.models import DynamoDBBackend  # noqa: E402
from moto.events.models import EventPattern  # noqa: E402
from moto.moto_server.werkzeug_app import (  # noqa: E402
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.sns.exceptions import SNSInvalidParameter  # noqa: E402
from moto.sns.models import SNSBackend, Subscription, sns_backends  # noqa: E402
from moto.sns.utils import FilterPolicyMatcher  # noqa: E402
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails, TaskTimedOut  # noqa: E402
from moto.stepfunctions.parser.asl.component.common.error_name import error_equals_decl  # noqa: E402
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import FailureEvent  # noqa: E402
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (  # noqa: E402
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (  # noqa: E402
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl  # noqa: E402
from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import TimeoutSeconds  # noqa: E402
from moto.stepfunctions.parser.asl.component.program import program  # noqa: E402
from moto.stepfunctions.parser.asl.component.state.exec import execute_state  # noqa: E402
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (  # noqa: E402
    inline_iteration_component,
    job,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor import (  # noqa: E402  # noqa: E402
    distributed_item_processor_worker,
    map_run_record,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (  # noqa: E402
    resource_eval_s3 as result_writer_s3,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import (  # noqa: E402
    branch_worker,
    branches_decl,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (  # noqa: E402
    state_task_service_callback,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_sfn import (  # noqa: E402
    StateTaskServiceSfn,
)
from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import (  # noqa: E402
    WaitFunction,
)
from moto.stepfunctions.parser.asl.eval import count_down_latch  # noqa: E402
from moto.stepfunctions.parser.asl.eval.callback import callback  # noqa: E402
from moto.stepfunctions.parser.asl.eval.environment import Environment  # noqa: E402
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails  # noqa: E402
from moto.stepfunctions.parser.asl.eval.program_state import ProgramError, ProgramStopped  # noqa: E402
from moto.stepfunctions.parser.backend import execution_worker  # noqa: E402
from moto.stepfunctions.parser.backend.execution import BaseExecutionWorkerCommunication  # noqa: E402

if TYPE_CHECKING:
    from emulator.clock import VirtualClock

# A Task's TimeoutSeconds when its definition gives none (99999999): moto waits that long, which a
# virtual clock would reach in one jump; the emulator treats it as "no timeout" instead, so a task
# that waits on nothing is reported as a deadlock. See docs/aws-facts.md#step-functions-task-timeout.
TASK_TIMEOUT_FOREVER: int = TimeoutSeconds.DEFAULT_TIMEOUT_SECONDS

SnsSubscription = Subscription


_MISSING = object()


@contextmanager
def _replaced(owner: Any, name: str, value: Any) -> Iterator[Any]:
    """Sets `owner.name` for the block and yields what was there; restores it after."""
    original = getattr(owner, name)
    own = vars(owner).get(name, _MISSING)  # a class may inherit it: then it is removed again, not copied down
    setattr(owner, name, value)
    try:
        yield original
    finally:
        if own is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, own)


# -- DynamoDB: one write at a time -------------------------------------------------------------

# DynamoDB applies each write atomically, its condition included (docs/aws-facts.md#the-task-lease).
# moto's backend checks a condition and then writes, in two steps and without a lock, so two threads
# (a function's Start Sync and a state machine's Release Task) could interleave between them. These
# are the backend's writing methods; each runs whole under one lock.
_DYNAMODB_WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")


@contextmanager
def dynamodb_writes_atomic() -> Iterator[None]:
    """Every DynamoDB write of moto's backend runs alone: its condition and its change are one step."""
    lock = threading.RLock()

    def serialized(method: Callable[..., Any]) -> Callable[..., Any]:
        def write(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return write

    with ExitStack() as stack:
        for name in _DYNAMODB_WRITES:
            stack.enter_context(_replaced(DynamoDBBackend, name, serialized(getattr(DynamoDBBackend, name))))
        yield


# -- Step Functions interpreter: threads and waits -------------------------------------------------

# The interpreter's modules that create threads or wait on events/conditions, with the names they
# use for them. An execution, a Map iteration, a Parallel branch, a Task with a timeout and a
# task-token wait each get a thread of their own; parents wait for children on events, joins and a
# count-down latch. The interpreter has no hook for any of it, so these module globals are swapped.
_INTERPRETER_THREADING_MODULES: tuple[types.ModuleType, ...] = (
    program,  # threading.Thread + join(timeout): the execution's body, with the machine's TimeoutSeconds
    execute_state,  # threading.Event, Thread: a Task with a timeout runs in a thread of its own
    inline_iteration_component,  # threading.Thread: one per Map iteration worker
    job,  # threading.Event: a Map waits for its iterations
    map_run_record,  # threading.Event
    branch_worker,  # threading.Thread: one per Parallel branch
    branches_decl,  # threading.Event: a Parallel waits for its branches
    state_task_service_callback,  # threading.Thread: a task-token wait beside a `.sync` poll
    count_down_latch,  # threading.Condition
)
_FROM_IMPORTS: tuple[tuple[types.ModuleType, str], ...] = (
    (execute_state, "Thread"),
    (execution_worker, "Thread"),  # one thread per execution
    (callback, "Event"),  # task-token, heartbeat and activity waits
)


@contextmanager
def interpreter_threads_on(clock: VirtualClock) -> Iterator[None]:
    """Every thread the interpreter starts is a participant of `clock`; every event, condition and
    join it waits on is a wait the clock sees, with timeouts in virtual seconds."""
    import threading

    thread_class = clock.participant_thread()

    def event() -> threading.Event:
        return clock.event(forever_from=TASK_TIMEOUT_FOREVER)

    def condition(lock: Any = None) -> threading.Condition:
        return clock.condition(lock)

    on_clock = types.SimpleNamespace(
        **{name: getattr(threading, name) for name in dir(threading) if not name.startswith("__")}
    )
    on_clock.Thread, on_clock.Event, on_clock.Condition = thread_class, event, condition
    replacement = {"Thread": thread_class, "Event": event}
    with ExitStack() as stack:
        for module in _INTERPRETER_THREADING_MODULES:
            stack.enter_context(_replaced(module, "threading", on_clock))
        for module, name in _FROM_IMPORTS:
            stack.enter_context(_replaced(module, name, replacement[name]))
        yield


@contextmanager
def wait_state_sleep(sleep: Callable[[float], None]) -> Iterator[None]:
    """A Wait state's pause goes to `sleep` (WaitFunction._wait_interval; moto waits in real time)."""

    def wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        if wait_seconds > 0:
            sleep(wait_seconds)

    with _replaced(WaitFunction, "_wait_interval", wait_interval):
        yield


@contextmanager
def retry_backoff_sleep(sleep: Callable[[float], None]) -> Iterator[None]:
    """A Retry's back-off goes to `sleep`: the retrier calls its module's `time.sleep` directly."""
    import time

    virtual_time = types.SimpleNamespace(
        **{name: getattr(time, name) for name in dir(time) if not name.startswith("_")}
    )
    virtual_time.sleep = sleep
    with _replaced(retrier_decl, "time", virtual_time):
        yield


# (env.is_running, resolve the child's outcome, timeout seconds or None, the task's callback id) -> outcome
SyncWait = Callable[[Callable[[], bool], Callable[[], Any], float | None, str], Any]


@contextmanager
def sync_task_wait(wait: SyncWait) -> Iterator[None]:
    """A `.sync`/`.sync:2` task waits for the execution it started through `wait`.

    moto (StateTaskServiceCallback._eval_sync) polls every 0.5 s of real time and parks a second
    thread on a task token AWS has no use for in a `.sync` integration."""
    original = state_task_service_callback.StateTaskServiceCallback._eval_sync

    def eval_sync(
        self: Any,
        env: Environment,
        sync_resolver: Callable[[], Any] | None,
        timeout_seconds: int | None,
        callback_endpoint: Any,
        heartbeat_endpoint: Any,
    ) -> Any:
        if sync_resolver is None:  # not a `.sync` of a service moto resolves: moto's own way
            return original(self, env, sync_resolver, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        limit = None if not timeout_seconds or timeout_seconds >= TASK_TIMEOUT_FOREVER else float(timeout_seconds)
        callback_id = callback_endpoint.callback_id if callback_endpoint else ""
        return wait(env.is_running, sync_resolver, limit, callback_id)

    with _replaced(state_task_service_callback.StateTaskServiceCallback, "_eval_sync", eval_sync):
        yield


def sync_task_timed_out(callback_id: str) -> Any:
    """The outcome that makes a `.sync` task fail with States.Timeout."""
    return callback.CallbackOutcomeTimedOut(callback_id=callback_id)


@contextmanager
def on_execution_end(ended: Callable[[], None]) -> Iterator[None]:
    """Calls `ended` after any execution recorded its final status (the interpreter's
    BaseExecutionWorkerCommunication.terminated; the API offers only polling)."""
    original = BaseExecutionWorkerCommunication.terminated

    def terminated(self: BaseExecutionWorkerCommunication) -> None:
        original(self)
        ended()

    with _replaced(BaseExecutionWorkerCommunication, "terminated", terminated):
        yield


# -- Step Functions interpreter: behaviour as on AWS ----------------------------------------------


@contextmanager
def task_tokens_spent_at_timeout() -> Iterator[None]:
    """A task token whose wait timed out is spent: SendTaskSuccess, SendTaskFailure and
    SendTaskHeartbeat answer TaskTimedOut (docs/aws-facts.md#task-token-after-timeout).

    moto leaves the token's endpoint open after its task timed out, so a later SendTaskSuccess is
    taken and writes a TaskSucceeded after the TaskTimedOut. Its endpoint can record why its
    consumer left (CallbackEndpoint.report) and its pool refuses a notify then, but nothing reports
    a timeout, and the API's handlers map the refusal to TaskDoesNotExist (they test the wrapping
    error, not the reported one). Here the task-token wait (StateTaskServiceCallback.
    _eval_wait_for_task_token) reports its timeout, and the pool (CallbackPoolManager.notify,
    .heartbeat) answers TaskTimedOut for such a token; one lock makes "time out" and "take the
    token" exclude each other."""
    lock = threading.Lock()
    original_wait = state_task_service_callback.StateTaskServiceCallback._eval_wait_for_task_token
    original_notify = callback.CallbackPoolManager.notify
    original_heartbeat = callback.CallbackPoolManager.heartbeat

    def eval_wait_for_task_token(
        self: Any, env: Environment, timeout_seconds: int, callback_endpoint: Any, heartbeat_endpoint: Any
    ) -> Any:
        outcome = original_wait(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        if isinstance(outcome, callback.CallbackOutcomeTimedOut | callback.HeartbeatTimedOut):
            with lock:
                callback_endpoint.report(callback.CallbackConsumerTimeout())
        return outcome

    def refusing_spent(original: Callable[..., bool]) -> Callable[..., bool]:
        def call(self: Any, callback_id: str, *args: Any, **kwargs: Any) -> bool:
            with lock:
                endpoint = self.get(callback_id)
                if endpoint is not None and isinstance(endpoint.consumer_error, callback.CallbackConsumerTimeout):
                    # The error's description in the API reference. moto's class names its code
                    # where moto's AWSError does not read it: the code is given as its type.
                    raise TaskTimedOut(
                        "The task token has either expired or the task associated with the token "
                        "has already been closed.",
                        exception_type="TaskTimedOut",
                    )
                return original(self, callback_id, *args, **kwargs)

        return call

    with (
        _replaced(
            state_task_service_callback.StateTaskServiceCallback, "_eval_wait_for_task_token", eval_wait_for_task_token
        ),
        _replaced(callback.CallbackPoolManager, "notify", refusing_spent(original_notify)),
        _replaced(callback.CallbackPoolManager, "heartbeat", refusing_spent(original_heartbeat)),
    ):
        yield


@contextmanager
def states_all_not_catching(error_names: frozenset[str]) -> Iterator[None]:
    """`States.ALL` in Retry/Catch leaves `error_names` uncaught (ErrorEqualsDecl._eval_body, which
    pops the error from the interpreter's stack and pushes whether it matched)."""
    states_all = StatesErrorName(typ=StatesErrorNameType.StatesALL)
    original = error_equals_decl.ErrorEqualsDecl._eval_body

    def eval_body(self: Any, env: Environment) -> None:
        error_name: Any = env.stack[-1]
        original(self, env)
        if self.error_names == [states_all] and getattr(error_name, "error_name", None) in error_names:
            env.stack[-1] = False

    with _replaced(error_equals_decl.ErrorEqualsDecl, "_eval_body", eval_body):
        yield


def moto_answer(event_name: str, request: Any) -> Any:
    """What moto answers one HTTP request with (its `before-send` handler), or None when moto does
    not serve it: for a fault that lets the service act on a call and then loses the answer."""
    return botocore_stubber(event_name=event_name, request=request)


@contextmanager
def integration_errors_failing_the_task(matches: Callable[[Exception], bool]) -> Iterator[None]:
    """A service integration's exception that `matches` accepts fails the task with
    `States.TaskFailed` (a Retry or Catch can take it), instead of moto's `States.Runtime` for
    anything but a ClientError (ExecutionState._from_error)."""
    original = execute_state.ExecutionState._from_error
    task_failed = StatesErrorNameType.StatesTaskFailed

    def from_error(self: Any, env: Environment, ex: Exception) -> Any:
        if not matches(ex):
            return original(self, env, ex)
        details = TaskFailedEventDetails(error=task_failed.to_name(), cause=str(ex))
        return FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=task_failed),
            event_type=HistoryEventType.TaskFailed,
            # moto's TypedDict lists every kind of detail; an event has one, as in moto's own code.
            event_details=EventDetails(taskFailedEventDetails=details),  # type: ignore[typeddict-item]
        )

    with _replaced(execute_state.ExecutionState, "_from_error", from_error):
        yield


@contextmanager
def stepfunctions_integration_shaped(operations: dict[str, Any]) -> Iterator[None]:
    """The `states:` integration's parameters and results go through botocore's shapes.

    The interpreter's StateTaskServiceSfn has the translation (`_to_boto_request`,
    `_from_boto_response`) but leaves its two hooks (`_normalise_parameters`, `_normalise_response`)
    without it. `operations`: botocore operation models by snake_case name."""
    original_parameters = StateTaskServiceSfn._normalise_parameters
    original_response = StateTaskServiceSfn._normalise_response

    def normalise_parameters(
        self: StateTaskServiceSfn,
        parameters: dict[str, Any],
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        original_parameters(self, parameters, boto_service_name, service_action_name)  # Input as JSON text
        shape = operations[service_action_name or self._get_boto_service_action()].input_shape
        if shape is not None:
            self._to_boto_request(parameters, shape)

    def normalise_response(
        self: StateTaskServiceSfn,
        response: Any,
        boto_service_name: str | None = None,
        service_action_name: str | None = None,
    ) -> None:
        original_response(self, response, boto_service_name, service_action_name)
        shape = operations[service_action_name or self._get_boto_service_action()].output_shape
        if shape is not None:
            self._from_boto_response(response, shape)
        if isinstance(response, dict):
            for key, value in response.items():
                if isinstance(value, datetime):
                    response[key] = round(value.timestamp() * 1000)  # AWS: epoch milliseconds

    with (
        _replaced(StateTaskServiceSfn, "_normalise_parameters", normalise_parameters),
        _replaced(StateTaskServiceSfn, "_normalise_response", normalise_response),
    ):
        yield


@dataclass
class MapRunChild:
    """One item of a Distributed Map run, as its child workflow execution ended."""

    index: int
    input: Any
    output: Any
    status: str  # SUCCEEDED, FAILED or ABORTED
    started: datetime
    stopped: datetime
    error: str | None = None
    cause: str | None = None


# (the map run's ARN, its state machine's ARN for the children, each child, bucket, prefix) -> what
# the Map state returns: `{"MapRunArn", "ResultWriterDetails": {"Bucket", "Key"}}`.
ResultExport = Callable[[str, str, list[MapRunChild], str, str], dict[str, Any]]


@contextmanager
def distributed_map_results(now: Callable[[], datetime], export: ResultExport) -> Iterator[None]:
    """A Distributed Map's ResultWriter exports every child's result through `export`.

    moto's ResultWriter (result_writer ResourceEvalS3._handle_put_object) writes a manifest that
    lists no result file and drops the children's outputs. Each child's input, output, status and
    times are recorded as its item ends (DistributedItemProcessorWorker._eval_job), on the Map run's
    record, which the ResultWriter then hands to `export`."""
    worker = distributed_item_processor_worker.DistributedItemProcessorWorker
    original_eval_job = worker._eval_job

    def eval_job(self: Any, env: Environment, job: Any) -> None:
        started = now()
        try:
            original_eval_job(self, env, job)
        finally:
            state = env.program_state()
            error = state.error if isinstance(state, ProgramError) else None
            if job.job_output is not None and not isinstance(job.job_output, Exception) and error is None:
                status = "SUCCEEDED"
            else:
                status = "ABORTED" if isinstance(state, ProgramStopped) else "FAILED"
            child = MapRunChild(
                index=job.job_index,
                input=job.job_input,
                output=job.job_output if status == "SUCCEEDED" else None,
                status=status,
                started=started,
                stopped=now(),
                error=(error or {}).get("error") if status == "FAILED" else None,
                cause=(error or {}).get("cause") if status == "FAILED" else None,
            )
            record = self._map_run_record
            with _MAP_RUN_CHILDREN_LOCK:
                children = getattr(record, "emulator_children", None)
                if children is None:
                    children = []
                    record.emulator_children = children  # type: ignore[attr-defined]
                children.append(child)

    def put_object(env: Environment, resource_runtime_part: Any, state_credentials: Any) -> None:
        parameters = env.stack.pop()
        env.stack.pop()  # the Map's outputs: exported from the children's records instead
        record = env.map_run_record_pool_manager.get_all()[-1]
        children = sorted(getattr(record, "emulator_children", []), key=lambda child: child.index)
        env.stack.append(
            export(
                record.map_run_arn,
                record.map_state_machine_arn,
                children,
                str(parameters["Bucket"]),
                str(parameters.get("Prefix") or ""),
            )
        )

    with (
        _replaced(worker, "_eval_job", eval_job),
        _replaced(result_writer_s3.ResourceEvalS3, "_handle_put_object", staticmethod(put_object)),
    ):
        yield


_MAP_RUN_CHILDREN_LOCK = threading.Lock()


def state_machine_of(env: object) -> str | None:
    """The state machine's id, when `env` is an interpreter's Environment (its context object)."""
    if not isinstance(env, Environment):
        return None
    return str(env.states.context_object.context_object_data["StateMachine"]["Id"])


# -- SNS ---------------------------------------------------------------------------------------------


@contextmanager
def sns_publish_checked(check: Callable[[str, str | None, dict[str, Any] | None], None]) -> Iterator[None]:
    """`check(message, subject, attributes)` runs before every Publish (SNSBackend.publish; moto's own
    checks are looser than SNS's) and may raise `sns_invalid_parameter`."""
    original = SNSBackend.publish

    def publish(
        self: SNSBackend,
        message: str,
        arn: str | None,
        phone_number: str | None = None,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> str:
        check(message, subject, message_attributes)
        return original(self, message, arn, phone_number, subject, message_attributes, **kwargs)

    with _replaced(SNSBackend, "publish", publish):
        yield


def sns_invalid_parameter(message: str) -> Exception:
    """SNS's InvalidParameter error, as moto answers it."""
    return SNSInvalidParameter(message)


@contextmanager
def sns_filter_policy_on_no_attributes(rewrite: Callable[[Any], Any]) -> Iterator[None]:
    """A MessageAttributes filter policy meets a message without attributes as `rewrite(policy)`
    (FilterPolicyMatcher.matches; moto has no option for it)."""
    original = FilterPolicyMatcher.matches

    def matches(self: FilterPolicyMatcher, message_attributes: dict[str, Any] | None, message: str) -> bool:
        if self.filter_policy_scope == "MessageAttributes" and not message_attributes:
            rewritten = FilterPolicyMatcher(rewrite(self.filter_policy), self.filter_policy_scope)
            return original(rewritten, message_attributes, message)
        return original(self, message_attributes, message)

    with _replaced(FilterPolicyMatcher, "matches", matches):
        yield


def sns_filter_policy_matches(policy: dict[str, Any], scope: str, attributes: dict[str, Any], message: str) -> bool:
    """moto's filter-policy matcher, for tests that compare with it."""
    return bool(FilterPolicyMatcher(policy, scope).matches(attributes, message))


@dataclass(frozen=True)
class SnsDelivery:
    """One message as a subscription delivers it (after its filter policy and MessageStructure)."""

    subscription: Subscription
    message: str
    message_id: str
    subject: str | None
    message_attributes: dict[str, Any] | None


@contextmanager
def lambda_subscriptions_delivered_by(
    claims: Callable[[Subscription], bool], deliver: Callable[[SnsDelivery], None]
) -> Iterator[None]:
    """A `lambda` subscription that `claims` accepts is delivered to `deliver` instead of moto's
    Lambda backend (which needs Docker). Subscription.publish is the only place moto routes by
    protocol; its filter matcher and MessageStructure parsing are private members used here."""
    original = Subscription.publish

    def publish(
        self: Subscription,
        message: str,
        message_id: str,
        subject: str | None = None,
        message_attributes: dict[str, Any] | None = None,
        group_id: str | None = None,
        deduplication_id: str | None = None,
        message_structure: str | None = None,
    ) -> None:
        if self.protocol != "lambda" or not claims(self):
            original(
                self,
                message,
                message_id,
                subject=subject,
                message_attributes=message_attributes,
                group_id=group_id,
                deduplication_id=deduplication_id,
                message_structure=message_structure,
            )
            return
        matcher = self._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return
        if message_structure == "json":
            message = self._parse_message_structure(message, self.protocol)
            # "Message attributes are sent only when the message structure is String, not JSON"
            # (docs/aws-facts.md#sns-delivery-guarantees): they filter, but do not reach the function.
            message_attributes = None
        deliver(SnsDelivery(self, message, message_id, subject, message_attributes))

    with _replaced(Subscription, "publish", publish):
        yield


def sns_sent_notifications(account_id: str, region: str, topic_arn: str) -> list[tuple[str, str | None, Any]]:
    """(message, subject, attributes) of every message published to the topic. moto records them
    (Topic.sent_notifications) but SNS has no API to read them back."""
    topic = sns_backends[account_id][region].topics[topic_arn]
    return [(message, subject, attributes) for _, message, subject, attributes, _ in topic.sent_notifications]


# -- CloudWatch, CloudWatch Logs, EventBridge, the server ---------------------------------------------


def cloudwatch_metric_data(account_id: str, region: str) -> list[dict[str, Any]]:
    """Every metric datum put so far. GetMetricData would need the exact dimensions of each."""
    return [
        {
            "namespace": datum.namespace,
            "name": datum.name,
            "value": datum.value,
            "dimensions": {dimension.name: dimension.value for dimension in datum.dimensions},
        }
        for datum in cloudwatch_backends[account_id][region].metric_data
        if isinstance(datum, MetricDatum)
    ]


@contextmanager
def logs_clock(now: Callable[[], datetime]) -> Iterator[None]:
    """moto's CloudWatch Logs reads its time from `now` (naive UTC): it drops events more than 14
    days before or 2 hours after its own clock, and moto has no time setting but this module's
    `utcnow`."""
    with _replaced(moto.logs.models, "utcnow", lambda: now().astimezone(UTC).replace(tzinfo=None)):
        yield


def event_pattern_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """EventBridge's pattern matching as moto implements it (moto.events.models.EventPattern;
    TestEventPattern would need a whole event with every top-level field)."""
    return bool(EventPattern.load(json.dumps(pattern)).matches_event(event))  # type: ignore[arg-type]


def moto_server_app() -> Any:
    """moto's WSGI application for every service, as `moto_server` builds it."""
    return DomainDispatcherApplication(create_backend_app)


MOTO_REQUEST_HANDLER = MotoRequestHandler


def account_of_access_key(access_key: str) -> str:
    """The account moto serves a caller with this access key as: the IAM user's, or for an assumed
    role's session the role's account, as STS's credentials are on AWS (moto.iam.models.get_account_id_from)."""
    from moto.iam.models import get_account_id_from

    return str(get_account_id_from(access_key))
