"""A scenario's faults: functions that raise or time out, AWS calls that fail, counted call by call."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ReadTimeoutError

from datasync_scheduler_cli.cli import main
from emulator import call_recorder, moto_internals
from emulator.faults import RESPONSE_LOST, TIMEOUT_ERROR, FaultError, FaultInjector, api_error, injecting, parse_faults
from emulator.lambda_router import LambdaFunction
from emulator.runner import LocalAws, create_task_for, local_aws, run_scenario
from emulator.scenario import Location, ScenarioError, TaskSpec, parse_scenario, template_functions
from tests.emulator import received_events

HERE = Path(__file__).resolve().parent
SAMPLE_FUNCTIONS = HERE / "sample_functions"  # a function's code: the sample handlers' folder
REGION = "us-east-1"
ACCOUNT = "123456789012"
FUNCTIONS = {"ReportRunFunction", "CheckSyncFunction"}
# How the stack's functions build their clients (layers/core/datasync_scheduler/adapters/aws_clients.py).
STANDARD = Config(retries={"mode": "standard", "max_attempts": 5})


def faults(*entries: dict[str, Any]) -> FaultInjector:
    return FaultInjector(parse_faults(list(entries), FUNCTIONS))


def register(aws: LocalAws, name: str, handler: str) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    aws.router.register(LambdaFunction(name, name, arn, f"sample_handlers.{handler}", SAMPLE_FUNCTIONS, 30, 128))
    return arn


def as_function(name: str = "ReportRunFunction") -> Any:
    return call_recorder.acting_as(call_recorder.function(name))


# -- the format ----------------------------------------------------------------------------------


def test_the_issues_example_is_a_valid_list_of_faults() -> None:
    parsed = parse_faults(
        [
            {"function": "ReportRunFunction", "error": "RuntimeError", "calls": [1, 2, 3]},
            {"function": "CheckSyncFunction", "timeout": True, "calls": "all"},
            {"api": "datasync:DescribeTaskExecution", "error": "ThrottlingException", "calls": [2]},
            {"api": "sns:Publish", "error": "InternalError", "calls": "all"},
        ],
        template_functions(),
    )
    assert [fault.describe() for fault in parsed] == [
        "ReportRunFunction raises RuntimeError on call(s) 1, 2, 3",
        "CheckSyncFunction times out on every call",
        "datasync:DescribeTaskExecution raises ThrottlingException on call(s) 2",
        "sns:Publish raises InternalError on every call",
    ]


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ({"function": "ReportRun", "error": "RuntimeError", "calls": "all"}, "faults[0].function"),
        ({"api": "datasnyc:StartTaskExecution", "error": "InternalException", "calls": "all"}, "faults[0].api"),
        ({"api": "datasync:StartExecution", "error": "InternalException", "calls": "all"}, "faults[0].api"),
        ({"api": "datasync:StartTaskExecution", "error": "Oops", "calls": "all"}, "faults[0].error"),
        ({"api": "datasync:StartTaskExecution", "timeout": True, "calls": "all"}, "faults[0].timeout"),
        ({"function": "ReportRunFunction", "error": "RuntimeError", "calls": [0]}, "faults[0].calls"),
        ({"function": "ReportRunFunction", "error": "RuntimeError", "calls": "some"}, "faults[0].calls"),
        ({"function": "ReportRunFunction", "error": "Runtime Error", "calls": "all"}, "faults[0].error"),
        ({"function": "ReportRunFunction", "calls": "all"}, "faults[0]"),
        ({"function": "ReportRunFunction", "error": "RuntimeError", "calls": "all", "when": 1}, "when"),
        ({"api": "sns:Publish", "error": "InternalError", "calls": "all", "forSeconds": 0}, "faults[0].forSeconds"),
        (
            {"api": "sns:Publish", "error": "InternalError", "calls": "all", "afterSeconds": -1},
            "faults[0].afterSeconds",
        ),
        ({"api": "sns:Publish", "error": "InternalError", "calls": "all", "forSeconds": "1h"}, "faults[0].forSeconds"),
        ({"api": "sns:Publish", "error": "InternalError", "calls": "all", "forSeconds": True}, "faults[0].forSeconds"),
        ({"function": "ReportRunFunction", "lose_response": True, "calls": "all"}, "faults[0].lose_response"),
        ({"api": "sns:Publish", "lose_response": True, "error": "InternalError", "calls": [1]}, "faults[0]"),
        ({"api": "sns:Publish", "lose_response": "yes", "calls": [1]}, "faults[0].lose_response"),
    ],
)
def test_a_fault_that_cannot_be_injected_is_refused_naming_its_field(entry: dict[str, Any], named: str) -> None:
    with pytest.raises(FaultError, match=named.replace("[", r"\[").replace("]", r"\]")):
        parse_faults([entry], FUNCTIONS)


def test_a_scenario_naming_a_function_the_template_lacks_is_refused() -> None:
    raw = json.loads((HERE.parents[1] / "events" / "scenarios" / "nightly-success.json").read_text())
    raw["faults"] = [{"function": "ReportFunction", "error": "RuntimeError", "calls": "all"}]
    with pytest.raises(ScenarioError, match=r"faults\[0\]\.function: 'ReportFunction' is not a function"):
        parse_scenario("nightly-success", raw)


def test_an_error_code_gets_the_status_aws_answers_it_with() -> None:
    sns = boto3.session.Session().client("sns", region_name=REGION)._service_model
    datasync = boto3.session.Session().client("datasync", region_name=REGION)._service_model
    assert (api_error(sns, "InternalError").status, api_error(sns, "InvalidParameter").status) == (500, 400)  # type: ignore[union-attr]
    # JSON models give no status: a server error (`fault`) is a 500, a client error a 400.
    assert api_error(datasync, "InternalException").status == 500  # type: ignore[union-attr]
    assert api_error(datasync, "InvalidRequestException").status == 400  # type: ignore[union-attr]
    # Errors of every API, from the API references' Common Errors.
    assert api_error(datasync, "ThrottlingException").status == 400  # type: ignore[union-attr]
    assert api_error(datasync, "ServiceUnavailable").status == 503  # type: ignore[union-attr]
    assert api_error(datasync, "NoSuchThing") is None


def test_an_outage_holds_for_its_window_of_virtual_time_and_not_outside_it() -> None:
    """An hour-long outage that starts an hour into the run: calls before and after it succeed."""
    (outage,) = parse_faults(
        [
            {
                "api": "datasync:DescribeTaskExecution",
                "error": "ServiceUnavailable",
                "calls": "all",
                "afterSeconds": 3600,
                "forSeconds": 3600,
            }
        ],
        FUNCTIONS,
    )
    assert outage.describe() == (
        "datasync:DescribeTaskExecution raises ServiceUnavailable on every call from 3600 s to 7200 s into the run"
    )
    assert [outage.hits(1, elapsed) for elapsed in (0, 3599.9, 3600, 7199.9, 7200, 90_000)] == [
        False,
        False,
        True,
        True,
        False,
        False,
    ]
    # Before the run starts (the harness deploying), a fault with a window never holds.
    assert not outage.hits(1, None)


def test_the_injector_reads_the_runs_virtual_time_and_counts_every_call_inside_or_outside_the_window() -> None:
    injector = faults({"api": "sns:Publish", "error": "InternalError", "calls": [2, 3], "afterSeconds": 60})
    now = [0.0]
    injector.elapsed = lambda: now[0]
    assert injector.on_request("sns", "Publish") is None  # call 1: not named
    assert injector.on_request("sns", "Publish") is None  # call 2: named, but before the window
    now[0] = 61.0
    assert injector.on_request("sns", "Publish") is not None  # call 3: named and inside the window
    assert injector.calls("sns:Publish") == 3
    assert [call.call for call in injector.injected] == [3]


# -- functions -----------------------------------------------------------------------------------


def test_a_function_raises_on_the_calls_named_and_only_those() -> None:
    with local_aws() as aws:
        arn = register(aws, "ReportRunFunction", "echo")
        aws.router.faults = faults({"function": "ReportRunFunction", "error": "RuntimeError", "calls": [2]})
        outcomes = [aws.router.invoke(arn, {"n": n}) for n in (1, 2, 3)]
    assert outcomes[0][1] is None and outcomes[2][1] is None
    assert outcomes[1][0] is None
    error = outcomes[1][1]
    assert error is not None
    assert error["errorType"] == "RuntimeError"
    assert "ReportRunFunction invocation 2" in error["errorMessage"]


def test_an_exception_python_lacks_is_raised_as_a_class_of_that_name() -> None:
    with local_aws() as aws:
        arn = register(aws, "ReportRunFunction", "echo")
        aws.router.faults = faults({"function": "ReportRunFunction", "error": "DataSyncThrottled", "calls": "all"})
        _, error = aws.router.invoke(arn, {})
    assert error is not None and error["errorType"] == "DataSyncThrottled"


def test_a_timed_out_invocation_did_its_work_but_its_caller_sees_lambdas_timeout() -> None:
    with local_aws() as aws:
        arn = register(aws, "CheckSyncFunction", "remember")
        aws.router.faults = faults({"function": "CheckSyncFunction", "timeout": True, "calls": "all"})
        sfn = boto3.client("stepfunctions", region_name=REGION)
        definition = {"StartAt": "Check", "States": {"Check": {"Type": "Task", "Resource": arn, "End": True}}}
        machine = sfn.create_state_machine(
            name="timeouts", definition=json.dumps(definition), roleArn=f"arn:aws:iam::{ACCOUNT}:role/x"
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine, input='{"look": "timeouts"}')["executionArn"]
        aws.clock.run_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING", 30)
        described = sfn.describe_execution(executionArn=execution)
    received = received_events.RECEIVED
    assert ("CheckSyncFunction", {"look": "timeouts"}) in received  # the handler ran to its end
    assert described["status"] == "FAILED"
    assert described["error"] == TIMEOUT_ERROR
    cause = json.loads(described["cause"])
    assert cause["errorType"] == TIMEOUT_ERROR
    assert cause["errorMessage"].endswith("Error: Task timed out after 30.00 seconds")


# -- AWS calls -----------------------------------------------------------------------------------


def test_an_api_fails_on_the_calls_named_each_http_attempt_counting_as_one() -> None:
    """InternalError is a 500: botocore retries it, so call 1 failing is never seen by the caller."""
    injector = faults({"api": "sns:Publish", "error": "InternalError", "calls": [1]})
    with local_aws(), injecting(injector):
        sns = boto3.client("sns", region_name=REGION, config=STANDARD)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        with as_function():
            response = sns.publish(TopicArn=topic, Message="hello")
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [call.to_dict() for call in injector.injected] == [
        {"target": "sns:Publish", "call": 1, "error": "InternalError"}
    ]
    assert injector.calls("sns:Publish") == 2


def test_an_api_that_fails_every_call_fails_after_botocores_last_attempt() -> None:
    injector = faults({"api": "sns:Publish", "error": "InternalError", "calls": "all"})
    with local_aws(), injecting(injector):
        sns = boto3.client("sns", region_name=REGION, config=STANDARD)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        with as_function(), pytest.raises(ClientError) as raised:
            sns.publish(TopicArn=topic, Message="hello")
        published = sns.list_subscriptions_by_topic(TopicArn=topic)  # the harness's own call still works
    assert raised.value.response["Error"]["Code"] == "InternalError"
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    # Config's `max_attempts` counts the retries; botocore adds the first attempt: six in all.
    assert raised.value.response["ResponseMetadata"]["RetryAttempts"] == 5
    assert injector.calls("sns:Publish") == 6
    assert published["Subscriptions"] == []


def sent(topic: str) -> list[tuple[str, str | None, Any]]:
    return moto_internals.sns_sent_notifications(ACCOUNT, REGION, topic)


def test_a_publish_whose_response_is_lost_was_published_and_botocore_publishes_it_again() -> None:
    """SNS took the message, the answer never came: the caller sees a read timeout, and botocore's
    standard mode retries it like any connection error. Two messages are out, SNS's MessageId of
    the first was never seen."""
    injector = faults({"api": "sns:Publish", "lose_response": True, "calls": [1]})
    with local_aws(), injecting(injector):
        sns = boto3.client("sns", region_name=REGION, config=STANDARD)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        with as_function():
            response = sns.publish(TopicArn=topic, Message="hello")
        published = sent(topic)
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [message for message, _, _ in published] == ["hello", "hello"]
    assert [call.to_dict() for call in injector.injected] == [
        {"target": "sns:Publish", "call": 1, "error": RESPONSE_LOST}
    ]
    assert injector.calls("sns:Publish") == 2


def test_a_lost_response_without_retries_reaches_the_caller_as_a_read_timeout_after_the_publish() -> None:
    injector = faults({"api": "sns:Publish", "lose_response": True, "calls": "all"})
    with local_aws(), injecting(injector):
        sns = boto3.client(
            "sns", region_name=REGION, config=Config(retries={"mode": "standard", "total_max_attempts": 1})
        )
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        with as_function(), pytest.raises(ReadTimeoutError):
            sns.publish(TopicArn=topic, Message="hello")
        published = sent(topic)
    assert len(published) == 1  # it was published all the same


def test_a_lost_response_of_an_emulated_service_was_served_too() -> None:
    """DataSync is the emulator's own: a start whose response is lost has started the execution."""
    injector = faults({"api": "datasync:ListTasks", "lose_response": True, "calls": [1]})
    with local_aws(), injecting(injector):
        datasync = boto3.client("datasync", region_name=REGION, config=STANDARD)
        with as_function():
            response = datasync.list_tasks()
    assert response["Tasks"] == []
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert injector.calls("datasync:ListTasks") == 2


def test_a_throttled_datasync_call_is_retried_by_botocore_before_the_code_sees_it() -> None:
    injector = faults({"api": "datasync:ListTasks", "error": "ThrottlingException", "calls": [1, 2]})
    with local_aws(), injecting(injector):
        datasync = boto3.client("datasync", region_name=REGION, config=STANDARD)
        with as_function():
            response = datasync.list_tasks()
    assert response["Tasks"] == []
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert injector.calls("datasync:ListTasks") == 3


def test_an_error_botocore_does_not_retry_reaches_the_caller_at_once() -> None:
    injector = faults({"api": "datasync:ListTasks", "error": "InvalidRequestException", "calls": "all"})
    with local_aws(), injecting(injector):
        datasync = boto3.client("datasync", region_name=REGION, config=STANDARD)
        with as_function(), pytest.raises(ClientError) as raised:
            datasync.list_tasks()
    assert raised.value.response["Error"]["Code"] == "InvalidRequestException"
    assert injector.calls("datasync:ListTasks") == 1


def test_calls_nobody_makes_for_the_stack_are_neither_failed_nor_counted() -> None:
    injector = faults({"api": "sns:Publish", "error": "InternalError", "calls": "all"})
    with local_aws(), injecting(injector):
        sns = boto3.client("sns", region_name=REGION, config=STANDARD)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sns.publish(TopicArn=topic, Message="the harness's own")
    assert injector.calls("sns:Publish") == 0


def run_one_publish_state(injector: FaultInjector) -> tuple[dict[str, Any], list[tuple[str, str | None, Any]]]:
    """Runs a state machine of one `sns:publish` state (retried twice) with `injector`'s faults:
    how its execution ended, and what the topic received."""
    with local_aws() as aws, injecting(injector):
        sns = boto3.client("sns", region_name=REGION)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sfn = boto3.client("stepfunctions", region_name=REGION)
        notify = {
            "Type": "Task",
            "Resource": "arn:aws:states:::sns:publish",
            "Parameters": {"TopicArn": topic, "Message": "done"},
            "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 5, "MaxAttempts": 2}],
            "End": True,
        }
        machine = sfn.create_state_machine(
            name="notify",
            definition=json.dumps({"StartAt": "Notify", "States": {"Notify": notify}}),
            roleArn=f"arn:aws:iam::{ACCOUNT}:role/x",
        )["stateMachineArn"]
        execution = sfn.start_execution(stateMachineArn=machine)["executionArn"]
        aws.clock.run_until(lambda: sfn.describe_execution(executionArn=execution)["status"] != "RUNNING", 30)
        return dict(sfn.describe_execution(executionArn=execution)), sent(topic)


def test_a_state_machines_service_integration_meets_the_fault_too() -> None:
    """Step Functions calls an integration once per state attempt; the ASL's Retry does the rest."""
    injector = faults({"api": "sns:Publish", "error": "InternalError", "calls": "all"})
    described, _ = run_one_publish_state(injector)
    assert described["status"] == "FAILED"
    assert described["error"].startswith("SNS.") and "InternalError" in described["error"]
    assert injector.calls("sns:Publish") == 3  # the first attempt and two retries


def test_a_state_machines_publish_whose_response_is_lost_is_published_again_by_its_retry() -> None:
    """The integration's call times out after SNS took the message; the state's Retry publishes it again."""
    injector = faults({"api": "sns:Publish", "lose_response": True, "calls": [1]})
    described, published = run_one_publish_state(injector)
    assert described["status"] == "SUCCEEDED"
    assert [message for message, _, _ in published] == ["done", "done"]
    assert injector.calls("sns:Publish") == 2


def test_the_run_summary_lists_the_calls_that_failed() -> None:
    raw = json.loads((HERE.parents[1] / "events" / "scenarios" / "nightly-success.json").read_text())
    raw["faults"] = [{"api": "datasync:DescribeTaskExecution", "error": "ThrottlingException", "calls": [2]}]
    summary = run_scenario(parse_scenario("nightly-success", raw))
    assert summary.status == "SUCCEEDED"
    assert summary.faults_injected == [
        {"target": "datasync:DescribeTaskExecution", "call": 2, "error": "ThrottlingException"}
    ]


def test_an_invoke_that_botocore_retries_gets_the_functions_answer_on_the_next_attempt() -> None:
    """Lambda's ServiceException is a 500: the retry reaches the function, whose result comes back whole."""
    injector = faults({"api": "lambda:Invoke", "error": "ServiceException", "calls": [1]})
    with local_aws() as aws, injecting(injector):
        arn = register(aws, "echo", "echo")
        client = boto3.client("lambda", region_name=REGION, config=STANDARD)
        with as_function():
            response = client.invoke(FunctionName=arn, Payload=b'{"a": 1}')
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert json.loads(response["Payload"].read()) == {"echo": {"a": 1}, "function": "echo"}
    assert response["ResponseMetadata"]["RetryAttempts"] == 1
    assert [(call.target, call.call) for call in injector.injected] == [("lambda:Invoke", 1)]


def test_the_demo_lists_the_calls_a_scenarios_faults_failed(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--scenario", "throttled-status-checks"]) == 0  # it ends as it expects: SUCCEEDED
    printed = capsys.readouterr().out.split("Faults injected (each HTTP attempt of an API counts as one call):\n", 1)
    assert len(printed) == 2, "the demo does not list the faults"
    listed = printed[1].split("\n\n", 1)[0].splitlines()
    assert listed == [f"  datasync:StartTaskExecution call {n}: ThrottlingException" for n in range(1, 7)] + [
        f"  datasync:DescribeTaskExecution call {n}: ThrottlingException" for n in range(1, 4)
    ]


# -- slow calls ----------------------------------------------------------------------------------


def test_a_slow_call_is_a_fault_of_its_own_or_comes_with_an_error() -> None:
    parsed = parse_faults(
        [
            {"api": "datasync:DescribeTask", "latency_seconds": 0.3, "calls": "all"},
            {"api": "sns:Publish", "error": "InternalError", "latency_seconds": 2, "calls": [1]},
        ],
        FUNCTIONS,
    )
    assert [fault.describe() for fault in parsed] == [
        "datasync:DescribeTask is slow after 0.3 s on every call",
        "sns:Publish raises InternalError after 2 s on call(s) 1",
    ]


@pytest.mark.parametrize(
    "entry",
    [
        {"function": "ReportRunFunction", "latency_seconds": 1, "calls": "all"},
        {"api": "datasync:DescribeTask", "latency_seconds": 0, "calls": "all"},
        {"api": "datasync:DescribeTask", "latency_seconds": True, "calls": "all"},
        {"api": "datasync:DescribeTask", "latency_seconds": 901, "calls": "all"},
        {"api": "datasync:DescribeTask", "latency_seconds": "0.3", "calls": "all"},
    ],
)
def test_a_latency_that_cannot_be_injected_is_refused_naming_its_field(entry: dict[str, Any]) -> None:
    with pytest.raises(FaultError, match=r"faults\[0\]\.latency_seconds"):
        parse_faults([entry], FUNCTIONS)


def test_a_slow_datasync_answer_describes_the_task_as_it_was_when_the_call_arrived() -> None:
    # What a race depends on: while the answer travels back, another caller starts the task.
    injector = faults({"api": "datasync:DescribeTask", "latency_seconds": 0.3, "calls": "all"})
    waited: list[float] = []
    with local_aws(), injecting(injector):
        task_arn = create_task_for(
            TaskSpec("slow", Location("S3", {"bucket": "slow-source"}), Location("S3", {"bucket": "slow-target"}))
        )
        datasync = boto3.client("datasync", region_name=REGION, config=STANDARD)

        def meanwhile(seconds: float) -> None:
            waited.append(seconds)
            datasync.start_task_execution(TaskArn=task_arn)  # the harness's own call: another caller

        injector.sleep = meanwhile
        with as_function():
            answer = datasync.describe_task(TaskArn=task_arn)
        now = datasync.describe_task(TaskArn=task_arn)
    assert waited == [0.3]
    assert answer["Status"] == "AVAILABLE"
    assert now["Status"] != "AVAILABLE" and "CurrentTaskExecutionArn" in now
    assert [call.to_dict() for call in injector.injected] == [
        {"target": "datasync:DescribeTask", "call": 1, "error": "after 0.3 s"}
    ]


def test_two_runs_started_at_the_same_moment_are_both_summarised() -> None:
    raw = json.loads((HERE.parents[1] / "events" / "scenarios" / "nightly-success.json").read_text())
    raw.update(trigger="manual", concurrentStarts=2, parameters={"WhenTaskBusy": "fail"})
    summary = run_scenario(parse_scenario("nightly-success", raw)).to_dict()
    (other,) = summary["other_runs"]
    assert other["executionArn"].endswith(":nightly-success-run-2")
    # One of the two took the task; the other was refused, and the summary says which is which.
    assert sorted([summary["status"], other["status"]]) == ["FAILED", "SUCCEEDED"]
    assert "DataSync.StartRefused" in (summary["error"], other["error"])


@pytest.mark.parametrize("value", [0, 11, True, "2"])
def test_concurrent_starts_outside_one_to_ten_are_refused(value: Any) -> None:
    raw = json.loads((HERE.parents[1] / "events" / "scenarios" / "nightly-success.json").read_text())
    raw["concurrentStarts"] = value
    with pytest.raises(ScenarioError, match="concurrentStarts"):
        parse_scenario("nightly-success", raw)


def test_two_slow_invocations_that_end_out_of_order_leave_no_variable_behind() -> None:
    """One function's slow call starts first and ends first; the other's ends last. Each sees only
    its own variables after its call, and once both ended the process holds neither's."""
    with local_aws() as aws:
        for name, variable in (("FirstFunction", "ONLY_FIRST"), ("SecondFunction", "ONLY_SECOND")):
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
            function = LambdaFunction(
                name, name, arn, "sample_handlers.slow_call", SAMPLE_FUNCTIONS, 30, 128, environment={variable: name}
            )
            aws.router.register(function)
        names = ["ONLY_FIRST", "ONLY_SECOND"]
        seen: dict[str, Any] = {}

        def invoke(name: str, seconds: float) -> None:
            seen[name] = aws.router.invoke(name, {"router": aws.router, "seconds": seconds, "names": names})[0]

        threads = [
            aws.clock.start_thread(lambda: invoke("FirstFunction", 5), "first"),
            aws.clock.start_thread(lambda: invoke("SecondFunction", 10), "second"),
        ]
        aws.clock.run_until(lambda: len(seen) == 2, real_timeout=30)
        for thread in threads:
            thread.join()
        assert seen == {
            "FirstFunction": {"ONLY_FIRST": "FirstFunction", "ONLY_SECOND": None},
            "SecondFunction": {"ONLY_FIRST": None, "ONLY_SECOND": "SecondFunction"},
        }
        assert [name for name in names if name in os.environ] == []
