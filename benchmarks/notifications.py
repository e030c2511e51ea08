"""Prints what one run's (or batch's) message weighs in each channel, and what rendering it costs.

Three messages: a typical successful run, the worst run the message's bounds allow (all failure
categories, five examples each at the longest kept length in four-byte characters, ten attempts,
each attempt's failed files unknown by an AWS call whose error text is as long as a cause keeps),
a batch of 100 failed tasks (DataSync's task quota) with long reasons, and the digest of a named
schedule's firing of 500 tasks that all failed (every task a line to bound, long reasons, names made
of four-byte characters and characters the filter escapes). For each: the email
text, the JSON that Lambda and SQS subscribers get, the Chatbot notification, the whole SNS
publish (the limit is 256 KiB), the Slack payload and its block count (Slack allows 50), what the
step adds to the workflow's state (256 KiB for the whole state), and the time to build and render
all of it. Figures, not assertions.

Usage: python benchmarks/notifications.py [--repeat N]
"""

from __future__ import annotations

import argparse
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from datasync_scheduler.domain.batch import TaskOutcome, failed_outcome, summarize_batch
from datasync_scheduler.domain.causes import MESSAGE_LIMIT, Cause
from datasync_scheduler.domain.execution import ExecutionSnapshot
from datasync_scheduler.domain.failures import CATEGORIES, EXAMPLE_PATH_LIMIT, EXAMPLES_PER_CATEGORY
from datasync_scheduler.domain.run_result import RunResult, judge_execution, timeline
from datasync_scheduler.domain.schedules import Firing
from datasync_scheduler.messages.chatbot import render_chatbot
from datasync_scheduler.messages.digest import digest_message
from datasync_scheduler.messages.email import render_email
from datasync_scheduler.messages.message import Message, batch_message, run_message
from datasync_scheduler.messages.publication import SNS_PUBLISH_LIMIT, sns_publication
from datasync_scheduler.messages.slack_blocks import render_slack

TASK = "arn:aws:datasync:eu-west-1:123456789012:task/task-0123456789abcdef0"
EXECUTION = f"{TASK}/execution/exec-0123456789abcdef0"
WORKFLOW = "arn:aws:states:eu-west-1:123456789012:execution:datasync-scheduler-SyncWorkflow:nightly"
BATCH = "arn:aws:states:eu-west-1:123456789012:execution:datasync-scheduler-BatchWorkflow:nightly"
STATE_LIMIT = 256 * 1024  # Step Functions: a state's input or output
T0 = datetime(2026, 11, 21, 23, 0, tzinfo=UTC)
PHASES = {"QUEUED": T0, "LAUNCHING": T0, "PREPARING": T0 + timedelta(seconds=20)}
PHASES |= {
    "TRANSFERRING": T0 + timedelta(minutes=5),
    "VERIFYING": T0 + timedelta(hours=7),
    "SUCCESS": T0 + timedelta(hours=8),
}


def _snapshot(status: str) -> ExecutionSnapshot:
    counters = {"FilesTransferred": 1_234_567, "EstimatedFilesToTransfer": 1_234_567, "BytesTransferred": 5 << 40}
    return ExecutionSnapshot.from_api({"TaskExecutionArn": EXECUTION, "Status": status, **counters})


def typical_run() -> tuple[Message, dict[str, Any]]:
    done = _snapshot("SUCCESS")
    report = RunResult(
        judge_execution(done, watchdog_note=None, abandoned=False),
        task_arn=TASK,
        task_name="nightly-archive",
        execution_arn=EXECUTION,
        workflow_execution=WORKFLOW,
        snapshot=done,
        phases=timeline(PHASES),
    )
    return run_message(report), report.to_dict()


def worst_run() -> tuple[Message, dict[str, Any]]:
    path = "/" + "\U0001f4c1" * (EXAMPLE_PATH_LIMIT - 1)
    failures = {
        "available": True,
        "totalFailures": 9_000_000,
        "byCategory": dict.fromkeys(CATEGORIES, 1_000_000),
        "byRetryClass": {"transient": 5_000_000, "permanent": 4_000_000},
        "examples": {category: [path] * EXAMPLES_PER_CATEGORY for category in CATEGORIES},
        "report": "s3://reports/failure-reports/task-0123456789abcdef0/exec-0123456789abcdef0.jsonl",
        "executionArn": EXECUTION,
        "logGroupArn": "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/datasync:*",
    }
    # A cause keeps at most MESSAGE_LIMIT characters of AWS's text, here all four-byte ones.
    cause = Cause.of("FilterLogEvents", "ServiceUnavailableException", "\U0001f4a5" * MESSAGE_LIMIT)
    failures["reportError"] = cause.to_dict()
    attempts = tuple(
        {
            "attempt": n,
            "executionArn": EXECUTION,
            "status": "ERROR",
            "failures": dict.fromkeys(CATEGORIES, 1),
            "unknownBecause": cause.to_dict(),
        }
        for n in range(1, 11)
    )
    failed = _snapshot("ERROR")
    report = RunResult(
        judge_execution(failed, watchdog_note=None, abandoned=False),
        task_arn=TASK,
        task_name="nightly-" + "\U0001f4c1" * 200,
        execution_arn=EXECUTION,
        workflow_execution=WORKFLOW,
        snapshot=failed,
        phases=timeline(PHASES),
        failures=failures,
        attempts=attempts,
        unread=(("the task's name", cause),),
    )
    return run_message(report), report.to_dict()


def big_batch() -> tuple[Message, dict[str, Any]]:
    def failed(index: int) -> TaskOutcome:
        # A child run that failed, as Summarize Batch reads it back from Step Functions.
        task_arn = f"{TASK.rsplit('-', 1)[0]}-{index:017x}"
        described = {
            "executionArn": f"{BATCH}-{index}",
            "status": "FAILED",
            "error": "DataSync.ExecutionError",
            "cause": "\U0001f4a5" * 500,
        }
        return failed_outcome(index, task_arn, "States.TaskFailed", described, None)

    # DataSync allows 100 tasks per account and Region: the largest batch there can be.
    summary = summarize_batch([failed(i) for i in range(100)], max_concurrency=40, batch_execution=BATCH)
    return batch_message(summary), summary.to_dict()


def firing_digest() -> tuple[Message, dict[str, Any]]:
    """A firing of 500 tasks (five Regions of DataSync's 100), every one failed: the most lines to bound."""

    def failed(index: int) -> TaskOutcome:
        return TaskOutcome(
            index=index,
            task_arn=f"{TASK.rsplit('-', 1)[0]}-{index:017x}",
            status="FAILED",
            execution_arn=f"{WORKFLOW}-{index}",
            task_name="\U0001f4c1\u202e<!channel>\n" + "t" * 240,
            error="DataSync.ExecutionError",
            cause="\U0001f4a5" * 500,
        )

    summary = summarize_batch([failed(i) for i in range(500)], max_concurrency=100, batch_execution=BATCH)
    firing = Firing(schedule="s" * 64, scheduled_time=T0, per_task_messages="problems", route="r" * 256)
    return digest_message(summary, firing), summary.to_dict()


def _timed(work: Callable[[], Any], repeat: int) -> float:
    start = time.perf_counter()
    for _ in range(repeat):
        work()
    return (time.perf_counter() - start) / repeat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    print(
        f"{'message':<14}{'email':>10}{'JSON':>10}{'Chatbot':>10}{'SNS publish':>13}{'of limit':>10}"
        f"{'Slack':>10}{'blocks':>8}{'step output':>13}{'of state':>10}{'render ms':>11}"
    )
    builds = (
        ("typical run", typical_run),
        ("worst run", worst_run),
        ("100 tasks", big_batch),
        ("500 digest", firing_digest),
    )
    for name, build in builds:
        message, result = build()
        email = render_email(message).message
        as_json = json.dumps(message.to_json_dict(), ensure_ascii=False)
        chatbot = render_chatbot(message)
        route = "r" * 256 if message.schedule else None  # the longest route a schedule may set
        publication = sns_publication(message, chatbot=chatbot, workflow_execution=BATCH, route=route)
        slack = render_slack(message)
        published = (
            len(publication["structured"].encode())
            + len(publication["subject"].encode())
            + sum(
                len(attribute.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
                for attribute, value in publication["attributes"].items()
            )
        )

        def render_all(message: Message = message) -> None:
            sns_publication(message, chatbot=render_chatbot(message))
            render_slack(message)

        seconds = _timed(render_all, args.repeat)
        # What the Report Run (Summarize Batch) step hands back into the workflow's state.
        output = len(json.dumps({"result": result, "notification": publication}, ensure_ascii=False).encode())
        print(
            f"{name:<14}{len(email.encode()):>10,}{len(as_json.encode()):>10,}"
            f"{len(json.dumps(chatbot, ensure_ascii=False).encode()):>10,}{published:>13,}"
            f"{published / SNS_PUBLISH_LIMIT:>10.0%}{len(json.dumps(slack, ensure_ascii=False).encode()):>10,}"
            f"{len(slack['blocks']):>8}{output:>13,}{output / STATE_LIMIT:>10.0%}{seconds * 1000:>11.2f}"
        )
    print(
        "Sizes in bytes (UTF-8). SNS publish = all protocols' parts, the subject and the attributes (limit 256 KiB);"
        " step output = the result and the publication the step adds to the state (limit 256 KiB for the whole state)."
    )


if __name__ == "__main__":
    main()
