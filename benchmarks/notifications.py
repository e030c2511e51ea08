"""Prints what one run's (or batch's) message weighs in each channel, and what rendering it costs.

Three messages: a typical successful run, the worst run the message's bounds allow (all failure
categories, five examples each at the longest kept length in four-byte characters, ten attempts,
each attempt's failed files unknown by an AWS call whose error text is as long as a cause keeps),
and a batch of 100 failed tasks (DataSync's task quota) with long reasons. For each: the email
text, the JSON that Lambda and SQS subscribers get, the Chatbot notification, the whole SNS
publish (the limit is 256 KiB), the Slack payload and its block count (Slack allows 50), what the
step adds to the workflow's state (256 KiB for the whole state), and the time to build and render
all of it (the range over `--rounds` rounds of `--repeat` renderings each). Figures, not
assertions. The table is Markdown; `--write-docs` also writes it into docs/benchmarks.md.

Then, on its own, the digest of a named schedule's firing of 500 tasks (five Regions of DataSync's
100) that all failed, so every task is a line to bound: long reasons, names of four-byte characters
and characters the filter escapes, the longest schedule name and route, its publish counted with its
message attributes.

Usage: python benchmarks/notifications.py [--repeat N] [--rounds N] [--write-docs]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from benchmarks.doc_tables import BENCHMARKS_PAGE, Column, Table, count, machine_line, span, write_blocks

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


def firing_digest() -> tuple[Message, Firing, dict[str, Any]]:
    """The digest of a firing of 500 tasks that all failed: the most lines to bound."""

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
    # The longest schedule name and route the schedules file allows (64 and 256 characters).
    firing = Firing(schedule="s" * 64, scheduled_time=T0, per_task_messages="problems", route="r" * 256)
    full_list = f"s3://datasync-scheduler-failurereportbucket-0123456789ab/digests/{'s' * 64}/{'n' * 80}.jsonl"
    return digest_message(summary, firing, full_list=full_list), firing, summary.to_dict()


def print_firing_digest() -> None:
    """The 500-task digest's sizes in each channel, its publish counted with its attributes."""
    message, firing, result = firing_digest()
    chatbot = render_chatbot(message)
    publication = sns_publication(message, chatbot=chatbot, workflow_execution=BATCH, route=firing.route)
    slack = render_slack(message)
    attributes = sum(
        len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
        for name, value in publication["attributes"].items()
    )
    published = len(publication["structured"].encode()) + len(publication["subject"].encode()) + attributes
    email = len(render_email(message).message.encode())
    as_json = len(json.dumps(message.to_json_dict(), ensure_ascii=False).encode())
    chatbot_bytes = len(json.dumps(chatbot, ensure_ascii=False).encode())
    slack_bytes = len(json.dumps(slack, ensure_ascii=False).encode())
    result_bytes = len(json.dumps(result, ensure_ascii=False).encode())
    print("\nA named schedule's firing of 500 tasks that all failed (its digest; not in the docs table):")
    print(f"  email {email:,} bytes, subject {len(publication['subject'])} characters (of 99)")
    print(f"  JSON {as_json:,}, Chatbot {chatbot_bytes:,}, Slack {slack_bytes:,} ({len(slack['blocks'])} blocks of 50)")
    print(f"  SNS publish with its attributes {published:,} ({published / SNS_PUBLISH_LIMIT:.0%} of 256 KiB)")
    print(f"  {len(message.tasks)} task lines, {message.tasks_not_listed:,} more counted")
    print(f"  Summarize Batch's result {result_bytes:,} bytes ({result_bytes / STATE_LIMIT:.0%} of 256 KiB)")


COLUMNS = (
    Column("message", right=False),
    Column("email"),
    Column("JSON"),
    Column("Chatbot"),
    Column("SNS publish (of 256 KiB)"),
    Column("Slack (blocks, of 50)"),
    Column("step output (of 256 KiB)"),
    Column("render", measured=True),
)
MESSAGES: dict[str, Callable[[], tuple[Message, dict[str, Any]]]] = {
    "typical successful run": typical_run,
    "worst run": worst_run,
    "100 failed tasks": big_batch,
}


@dataclass(frozen=True)
class Weighed:
    """One message's sizes in bytes, and the work of rendering it for every channel."""

    email: int
    json: int
    chatbot: int
    published: int
    slack: int
    slack_blocks: int
    step_output: int
    render: Callable[[], None]

    def cells(self, name: str, render_ms: str) -> tuple[str, ...]:
        return (
            name,
            count(self.email),
            count(self.json),
            count(self.chatbot),
            f"{self.published:,} ({self.published / SNS_PUBLISH_LIMIT:.0%})",
            f"{self.slack:,} ({self.slack_blocks})",
            f"{self.step_output:,} ({self.step_output / STATE_LIMIT:.0%})",
            render_ms,
        )


def weigh(name: str) -> Weighed:
    message, result = MESSAGES[name]()
    chatbot = render_chatbot(message)
    publication = sns_publication(message, chatbot=chatbot)
    slack = render_slack(message)

    def render_all() -> None:
        sns_publication(message, chatbot=render_chatbot(message))
        render_slack(message)

    # What the Report Run (Summarize Batch) step would hand back into the workflow's state if it
    # carried the renderings (it does not: it publishes them itself).
    output = json.dumps({"result": result, "notification": publication}, ensure_ascii=False)
    return Weighed(
        email=len(render_email(message).message.encode()),
        json=len(json.dumps(message.to_json_dict(), ensure_ascii=False).encode()),
        chatbot=len(json.dumps(chatbot, ensure_ascii=False).encode()),
        published=len(publication["structured"].encode()) + len(publication["subject"].encode()),
        slack=len(json.dumps(slack, ensure_ascii=False).encode()),
        slack_blocks=len(slack["blocks"]),
        step_output=len(output.encode()),
        render=render_all,
    )


def milliseconds_per_render(work: Callable[[], None], repeat: int, rounds: int) -> list[float]:
    """The mean time of one rendering in each of `rounds` rounds of `repeat` renderings."""
    means = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(repeat):
            work()
        means.append((time.perf_counter() - start) / repeat * 1000)
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="renderings per round (default 40)")
    parser.add_argument("--rounds", type=int, default=5, help="rounds (default 5)")
    parser.add_argument("--write-docs", action="store_true", help="also write the table into the docs")
    args = parser.parse_args()
    machine = machine_line()
    rows = []
    for name in MESSAGES:
        weighed = weigh(name)
        times = milliseconds_per_render(weighed.render, args.repeat, args.rounds)
        rows.append(weighed.cells(name, span(times, ".1f" if max(times) < 10 else ".0f", " ms")))
    part = (
        Table(COLUMNS, tuple(rows)).markdown()
        + f"\n\nRender: the mean of {args.repeat} renderings for every channel, lowest to highest of {args.rounds} "
        f"rounds. {machine}"
    )
    print(part)
    print(
        "\nSizes in bytes (UTF-8). SNS publish = all protocols' parts and the subject together (limit 256 KiB);"
        " step output = the result and the publication together (limit 256 KiB for the whole state)."
    )
    if args.write_docs:
        write_blocks({BENCHMARKS_PAGE: {"message-sizes": part}})
    print_firing_digest()


if __name__ == "__main__":
    main()
