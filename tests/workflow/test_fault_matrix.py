"""Whatever breaks, the run ends with the right verdict and one message that says what broke.

The matrix injects, through a scenario's `faults` (events/scenarios/README.md):
- for every Lambda-backed state of both workflows, an exception on every invocation of its
  function, and a timeout on every invocation;
- for every AWS API the functions and state machines call, the service down: an error on every
  call (botocore retries what it retries; each attempt fails).
(tests/workflow/fault_cases.py derives both lists from the product.) A SyncWorkflow fault runs
`checksum-failure-recovers`, a nightly run that visits every state (it fails, is analysed,
retried and recovers); a BatchWorkflow fault runs `nightly-batch` (five tasks, one failing).

What every case must show:
- the run ends, within a bound of virtual time (never hangs);
- its verdict is DataSync's: SUCCEEDED when the last execution of the run (of every task, for a
  batch) succeeded, FAILED otherwise;
- exactly one message per run on the notification topic (a batch: one for the batch and one per
  task run), and the message of the run the fault broke names the cause: the failing step or API
  and its error. A fault that only a subscriber meets (Slack's function reading its secret) comes
  after the message and is kept in that function's on-failure queue instead;
- where SNS itself is down: no message, `notificationError` in the run's result and the
  NotificationsNotPublished count for the alarm; never a silent end;
- never a second DataSync execution for one attempt: a task's executions are at most the times
  its run entered Start Sync.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from emulator.faults import TIMEOUT_ERROR
from emulator.runner import run_scenario
from emulator.scenario import SCENARIO_DIR, parse_scenario
from tests.workflow.fault_cases import SYNC_BASE, ApiCase, LambdaState, api_cases, lambda_states

# The base runs take under 3 h 15 min of virtual time; a run that needs two days is hanging.
VIRTUAL_BOUND_SECONDS = 2 * 24 * 3600
REAL_BOUND_SECONDS = 60.0
SNS_DOWN = "sns:Publish"
# How Step Functions names a service integration's errors: the service, a dot, the error.
INTEGRATION_ERROR_PREFIX = {"states": "StepFunctions.", "sns": "SNS.", "lambda": "Lambda.", "cloudwatch": "CloudWatch."}


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "api_case" in metafunc.fixturenames:
        metafunc.parametrize("api_case", api_cases(metafunc.config), ids=str)


STATES = lambda_states()
# Functions no state runs (Slack's notifier, the DataSync event handler): they act on messages and
# events after the fact, and the workflow does not wait for them. Their faults must not change the
# run; a message cannot name them, as they fail after it was sent or the fallback check covers them.
STEPS = {state.function for state in STATES} | {state.workflow for state in STATES}


def run_with(scenario: str, faults: list[dict[str, Any]], **changes: Any) -> dict[str, Any]:
    raw = json.loads((SCENARIO_DIR / f"{scenario}.json").read_text(encoding="utf-8"))
    raw.update(changes, faults=faults)
    summary = run_scenario(
        parse_scenario(scenario, raw), virtual_timeout=VIRTUAL_BOUND_SECONDS, real_timeout=REAL_BOUND_SECONDS
    ).to_dict()
    assert summary["faults_injected"], f"the fault never fired: {faults}"
    return summary


# -- what the outcome must be ------------------------------------------------------------------


def workflow_executions(summary: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The DataSync executions the workflow started, by task ARN, oldest first."""
    by_task: dict[str, list[dict[str, Any]]] = {}
    for execution in summary["executions"]:
        if execution["startedByWorkflow"]:
            by_task.setdefault(execution["executionArn"].split("/execution/")[0], []).append(execution)
    return by_task


def datasync_verdict(summary: dict[str, Any], tasks: int) -> str:
    """SUCCEEDED when the last execution of each of the run's tasks succeeded."""
    by_task = workflow_executions(summary)
    succeeded = len(by_task) == tasks and all(runs[-1]["status"] == "SUCCESS" for runs in by_task.values())
    return "SUCCEEDED" if succeeded else "FAILED"


def text_of(message: dict[str, Any]) -> str:
    return f"{message['subject']}\n{message['message']}"


# The steps that publish the run's or batch's one message themselves.
MESSAGE_PUBLISHERS = frozenset({"ReportRunFunction", "SummarizeBatchFunction"})


def kind(message: dict[str, Any]) -> str:
    return str(message["attributes"].get("kind", {}).get("Value", ""))


def assert_names_cause(message: dict[str, Any], where: list[str], error: list[str]) -> None:
    text = text_of(message)
    assert any(word in text for word in where) and any(word in text for word in error), (
        f"the message does not name the cause ({' or '.join(where)}; {' or '.join(error)}):\n{text}"
    )


def assert_no_second_execution(summary: dict[str, Any]) -> None:
    """Each attempt (an entry into Start Sync) starts at most one DataSync execution of its task."""
    if summary["batch"]:
        runs = [(child["input"]["taskArn"], child["states_entered"]) for child in summary["batch"]["children"]]
    else:
        runs = [(task, summary["states_entered"]) for task in workflow_executions(summary)]
    attempts = Counter[str]()
    for task, entered in runs:
        attempts[task] += entered.count("Start Sync")
    for task, executions in workflow_executions(summary).items():
        assert len(executions) <= attempts[task], (
            f"{len(executions)} executions for {attempts[task]} attempt(s) of {task}"
        )


def assert_outcome(summary: dict[str, Any], *, tasks: int, where: list[str], error: list[str], sns_down: bool) -> None:
    expected = datasync_verdict(summary, tasks)
    assert summary["status"] == expected, (summary["status"], summary["error"], summary["cause"])
    assert_no_second_execution(summary)
    messages = summary["notifications"]
    if sns_down:
        assert messages == []
        result = summary["output"] if summary["status"] == "SUCCEEDED" else None
        if result is not None:
            assert result.get("notificationError"), "the result does not say the message was lost"
        counted = [d for d in summary["metric_data"] if d["name"] == "NotificationsNotPublished"]
        assert counted, "the lost message was not counted for the alarm"
        return
    if summary["batch"]:
        assert Counter(kind(m) for m in messages)["batch"] == 1, [m["subject"] for m in messages]
        runs = [child for child in summary["batch"]["children"] if child["status"] != "RUNNING"]
        per_task = Counter(m["attributes"]["task"]["Value"] for m in messages if kind(m) == "run")
        assert all(per_task[child["taskName"]] == 1 for child in runs), per_task
        assert max(per_task.values(), default=0) <= 1, per_task
        broken = next(m for m in messages if kind(m) == "batch")
    else:
        assert len(messages) == 1, [m["subject"] for m in messages]
        broken = messages[0]
    if where:
        assert_names_cause(broken, where, error)


# -- the matrix --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", STATES, ids=lambda state: f"{state}-raises-RuntimeError-every-time")
def test_a_step_that_raises_every_time(state: LambdaState) -> None:
    summary = run_with(state.scenario, [{"function": state.function, "error": "RuntimeError", "calls": "all"}])
    assert_outcome(
        summary,
        tasks=tasks_of(state.scenario),
        where=[state.state, state.function],
        error=["RuntimeError"],
        sns_down=False,
    )


@pytest.mark.parametrize("state", STATES, ids=lambda state: f"{state}-times-out-every-time")
def test_a_step_that_times_out_every_time(state: LambdaState) -> None:
    summary = run_with(state.scenario, [{"function": state.function, "timeout": True, "calls": "all"}])
    # A timed-out invocation has run to its end: the step that publishes the message has sent the
    # complete one before its timeout, so that message cannot name the timeout, and a second one
    # to say so would break "one message per run". Every other step's timeout is named.
    publishes_before_timing_out = state.function in MESSAGE_PUBLISHERS
    assert_outcome(
        summary,
        tasks=tasks_of(state.scenario),
        where=[] if publishes_before_timing_out else [state.state, state.function],
        error=[TIMEOUT_ERROR, "timed out"],
        sns_down=False,
    )


# Calls whose failure is never a run's cause: a run's or batch's own event is best effort (its verdict
# and its message never depend on it; the failure is logged: docs/events.md), so the run ends on
# DataSync's outcome with its one message, which has no reason to name EventBridge.
BEST_EFFORT = frozenset({"events:PutEvents"})


def test_an_aws_api_that_is_down(api_case: ApiCase) -> None:
    summary = run_with(api_case.scenario, [{"api": api_case.api, "error": api_case.error, "calls": "all"}])
    outside_the_steps = not set(api_case.callers) & STEPS or api_case.api in BEST_EFFORT
    service, operation = api_case.api.split(":")
    where = [operation, api_case.api] + (
        [INTEGRATION_ERROR_PREFIX[service]] if service in INTEGRATION_ERROR_PREFIX else []
    )
    assert_outcome(
        summary,
        tasks=tasks_of(api_case.scenario),
        where=[] if outside_the_steps else where,
        error=[api_case.error],
        sns_down=api_case.api == SNS_DOWN,
    )
    if "NotifySlackFunction" in api_case.callers and outside_the_steps:
        assert any(summary["queue_messages"].values()), "Slack's failed deliveries were not kept"


def test_a_start_that_timed_out_after_starting_the_execution_adopts_it_instead_of_starting_another() -> None:
    """Start Sync's first invocation starts the execution and then runs out of time: the workflow
    is told "timed out" about a start that happened. It must not start a second execution, nor
    leave the first unwatched: the run follows it to its end and takes its verdict."""
    summary = run_with(
        "nightly-success", [{"function": "StartSyncFunction", "timeout": True, "calls": [1]}], trigger="manual"
    )
    assert [execution["status"] for execution in summary["executions"]] == ["SUCCESS"]
    assert summary["status"] == "SUCCEEDED", (summary["error"], summary["cause"])
    assert len(summary["notifications"]) == 1


def test_the_alarm_path_down_too_still_ends_the_run_with_its_verdict() -> None:
    """SNS and CloudWatch both down: nothing can be sent or counted, the result still says so."""
    summary = run_with(
        SYNC_BASE,
        [
            {"api": "sns:Publish", "error": "InternalError", "calls": "all"},
            {"api": "cloudwatch:PutMetricData", "error": "InternalServiceError", "calls": "all"},
        ],
    )
    assert summary["status"] == datasync_verdict(summary, 1) == "SUCCEEDED"
    assert summary["notifications"] == []
    assert summary["output"]["notificationError"]


def test_no_definition_depends_on_which_name_a_lambda_timeout_gets() -> None:
    """Step Functions' guide calls a function's timeout Lambda.Unknown, Lambda's Sandbox.Timedout
    (docs/aws-facts.md#lambda-timeouts): a Retry or Catch may name one only with the other."""
    for path in sorted((SCENARIO_DIR.parents[1] / "statemachine").glob("*.asl.json")):
        for rule in _rules(json.loads(path.read_text(encoding="utf-8"))):
            names = set(rule["ErrorEquals"]) & {"Lambda.Unknown", TIMEOUT_ERROR}
            assert names in (set(), {"Lambda.Unknown", TIMEOUT_ERROR}), (path.name, rule)


def _rules(node: Any) -> list[dict[str, Any]]:
    if isinstance(node, dict):
        found = [rule for key in ("Retry", "Catch") for rule in node.get(key, [])]
        return found + [rule for value in node.values() for rule in _rules(value)]
    if isinstance(node, list):
        return [rule for value in node for rule in _rules(value)]
    return []


def tasks_of(scenario: str) -> int:
    raw = json.loads((SCENARIO_DIR / f"{scenario}.json").read_text(encoding="utf-8"))
    return len(raw.get("tasks", [])) or 1


def test_when_the_report_breaks_and_its_plain_message_is_refused_too_the_loss_is_counted() -> None:
    """Report Run fails every time and SNS refuses every publish: no message can go out, so the
    alarm's count says one was lost, and the run still ends on DataSync's outcome."""
    summary = run_with(
        "nightly-success",
        [
            {"function": "ReportRunFunction", "error": "RuntimeError", "calls": "all"},
            {"api": "sns:Publish", "error": "InternalError", "calls": "all"},
        ],
        trigger="manual",
    )
    assert "Count Plain Message Not Published" in summary["states_entered"]
    assert summary["status"] == datasync_verdict(summary, 1) == "SUCCEEDED"
    assert summary["notifications"] == []
    assert [d for d in summary["metric_data"] if d["name"] == "NotificationsNotPublished"]


# The base run's first attempt ends (ERROR, checksum mismatches) this many seconds in: its analysis,
# plan and retry all come right after, so an outage from then on meets each of their calls.
FIRST_ATTEMPT_ENDS = 20 + 300 + 7200 + 900
# What each API answers during its outage (botocore retries each throttled call before the step
# sees it; the emulator skips botocore's pauses).
OUTAGE_APIS = {
    "datasync:DescribeTaskExecution": "ThrottlingException",
    "datasync:DescribeTask": "ThrottlingException",
    "dynamodb:GetItem": "ThrottlingException",
    "dynamodb:UpdateItem": "InternalServerError",
    "logs:FilterLogEvents": "ThrottlingException",
}


# Writes to DynamoDB fail during the first attempt's transfer instead: Start Sync's idempotency
# record is written after DataSync started the execution, and an outage then fails the start
# (docs/design.md#known-limits), so the write outage is placed where the run only watches.
OUTAGE_STARTS = {"dynamodb:UpdateItem": 600}


@pytest.mark.parametrize("minutes", [30, 120], ids=lambda minutes: f"{minutes}-minutes")
@pytest.mark.parametrize("api", OUTAGE_APIS)
def test_an_outage_of_an_api_the_run_watches_through_is_waited_out(api: str, minutes: int) -> None:
    """The API fails every call for N minutes from the moment the first attempt ends: the run waits
    it out (Check Sync's looks, Analyze Run's and Plan Next Attempt's Retry) and ends on DataSync's
    own outcome, the retry that recovers, with one message."""
    after = OUTAGE_STARTS.get(api, FIRST_ATTEMPT_ENDS)
    outage = {"api": api, "error": OUTAGE_APIS[api], "calls": "all", "afterSeconds": after}
    summary = run_with(SYNC_BASE, [{**outage, "forSeconds": minutes * 60}])
    assert summary["status"] == "SUCCEEDED", (summary["error"], summary["cause"])
    assert_outcome(summary, tasks=1, where=[], error=[], sns_down=False)


@pytest.mark.parametrize("scenario", [SYNC_BASE, "nightly-batch"])
def test_a_publish_whose_answer_is_lost_is_sent_again_and_posted_to_slack_once(scenario: str) -> None:
    """SNS takes the first message of the run but its answer is lost: botocore publishes it again.
    The verdict stays DataSync's, no message is reported lost, every message reaches Slack once
    (all publishes of one message carry its `message_id`), and email gets the second copy."""
    summary = run_with(scenario, [{"api": "sns:Publish", "lose_response": True, "calls": [1]}])
    assert summary["status"] == datasync_verdict(summary, tasks_of(scenario))
    assert_no_second_execution(summary)
    ids = Counter(m["attributes"]["message_id"]["Value"] for m in summary["notifications"])
    runs = len(summary["batch"]["children"]) if summary["batch"] else 1
    assert len(ids) == runs + (1 if summary["batch"] else 0), ids
    assert sorted(ids.values())[-1] == 2 and sum(ids.values()) == len(ids) + 1  # one message twice
    assert [post["status"] for post in summary["slack_messages"]] == [200] * len(ids)
    assert not [d for d in summary["metric_data"] if d["name"] == "NotificationsNotPublished"]
