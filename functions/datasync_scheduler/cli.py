"""`datasync-scheduler`: the project's command line.

`demo` runs a scenario through the real workflow on the local emulator (no AWS account needed).
The emulator is imported only when a command needs it: it is development tooling, not Lambda code.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any, TextIO


def _print_human(summary: dict[str, Any]) -> None:
    out = print
    out(f"Scenario {summary['scenario']}: {summary['description']}")
    out(
        f"Workflow ended {summary['status']} after {summary['state_transitions']} state transitions "
        f"({summary['history_events']} history events); virtual time {summary['started_at']} -> {summary['ended_at']} "
        f"({_duration(summary['virtual_seconds'])}), real time {summary['real_seconds']:.2f} s"
    )
    if summary.get("error"):
        out(f"  {summary['error']}: {summary['cause']}")
    if summary.get("batch") is not None:
        # A batch: the run above is the BatchWorkflow; each task ran in its own SyncWorkflow execution.
        children = summary["batch"]["children"]
        out("")
        out(f"Task runs (one SyncWorkflow execution each): {len(children)}")
        for child in children:
            task = child.get("taskName") or str((child.get("input") or {}).get("taskArn", "?")).rsplit("/", 1)[-1]
            failure = f"  {child['error']}" if child.get("error") else ""
            out(
                f"  {child['name']}  {child['status']:<9} {task}  ({child['state_transitions']} transitions, "
                f"{child['history_events']} history events){failure}"
            )
    for execution in summary["executions"]:
        out("")
        out(
            f"DataSync execution {execution['executionArn'].rsplit('/', 1)[-1]} "
            f"({'started by the workflow' if execution.get('startedByWorkflow') else 'started outside the workflow'})"
        )
        for mark in execution["phases"]:
            out(f"  {mark['at']}  {mark['phase']}")
        counters = execution.get("counters") or {}
        if counters:
            out("  " + ", ".join(f"{key} {value:,}" for key, value in counters.items() if isinstance(value, int)))
        if execution.get("errorCode") or execution.get("errorDetail"):
            out(f"  error: {execution.get('errorCode')}: {execution.get('errorDetail')}")
    out("")
    out("Functions that ran (virtual time):")
    for call in summary["invocations"]:
        suffix = f"  raised {call['error']}" if call["error"] else ""
        out(f"  {call['at']}  {call['function']}{suffix}")
    events = summary["events"]
    out("")
    out(
        f"DataSync events: {events['emitted']} emitted, {events['delivered']} delivered, {events['dropped']} lost, "
        f"{events['duplicated']} duplicated"
    )
    if summary.get("reaction_seconds") is not None:
        out(f"Reaction to the end of the transfer: {summary['reaction_seconds']:.1f} s (virtual)")
    for notification in summary["notifications"]:
        out("")
        out(f"Notification sent: {notification['subject']}")
        for line in notification["message"].splitlines():
            out(f"  | {line}")
    _print_slack(summary)


def _print_slack(summary: dict[str, Any]) -> None:
    from datasync_scheduler.slack_readable import slack_readable

    for post in summary.get("slack_messages") or []:
        print("")
        print(f"Posted to Slack (the local webhook answered {post['status']}):")
        payload = post["payload"]
        shown = slack_readable(payload) if isinstance(payload, dict) else str(payload)
        for line in shown.splitlines():
            print(f"  | {line}")
    for queue, held in (summary.get("queue_messages") or {}).items():
        if held:
            print("")
            print(f"Kept in the {queue} queue after Lambda's retries: {len(held)} message(s)")
            for record in held:
                error = record.get("responsePayload") or {}
                print(f"  {error.get('errorType', '?')}: {error.get('errorMessage', '')}")


def _duration(seconds: float) -> str:
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes} min {secs} s" if hours else f"{minutes} min {secs} s"


def _demo(args: argparse.Namespace) -> int:
    from emulator.runner import run_scenario
    from emulator.scenario import DEFAULT_SCENARIO, ScenarioError, load_scenario, scenario_names

    if args.list:
        for name in scenario_names():
            print(name)
        return 0
    try:
        scenario = load_scenario(args.scenario or DEFAULT_SCENARIO)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    summary = run_scenario(scenario).to_dict()
    if args.json:
        print(json.dumps(summary, indent=2, default=str))
    else:
        _print_human(summary)
    expected = scenario.expect.get("status")
    if expected and expected != summary["status"]:
        print(f"error: scenario expects the workflow to end {expected}, it ended {summary['status']}", file=sys.stderr)
        return 1
    return 0


def _analyze_logs(args: argparse.Namespace) -> int:
    from datasync_scheduler.domain.log_parser import parse_events
    from datasync_scheduler.failure_output import PrintedFailures, read_log_input

    printed = PrintedFailures(sys.stdout, args.format)
    with ExitStack() as stack:
        source: TextIO = sys.stdin
        if args.path not in (None, "-"):
            source = stack.enter_context(Path(args.path).open(encoding="utf-8", errors="replace"))
        for failure in parse_events(read_log_input(source)):
            printed.write(failure)
    printed.finish()
    return 0


def _analyze_execution(args: argparse.Namespace) -> int:
    from datasync_scheduler.adapters.datasync import DataSync
    from datasync_scheduler.adapters.execution_logs import ExecutionLogs
    from datasync_scheduler.adapters.task_reports import TaskReports
    from datasync_scheduler.analysis import analyze
    from datasync_scheduler.clock import utc_now
    from datasync_scheduler.failure_output import PrintedFailures

    datasync = DataSync()
    snapshot = datasync.describe(args.execution_arn)
    printed = PrintedFailures(sys.stdout, args.format)
    summary = analyze(
        snapshot,
        datasync.task(snapshot.task_arn),
        logs=ExecutionLogs(),
        reports=TaskReports(),
        sink=printed,
        now=utc_now(),
    )
    printed.finish({"available": summary["available"], "source": summary["source"], "note": summary["note"]})
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="datasync-scheduler", description=__doc__.splitlines()[0] if __doc__ else None
    )
    commands = parser.add_subparsers(dest="command", required=True)
    demo = commands.add_parser("demo", help="run a scenario through the real workflow on the local emulator")
    demo.add_argument("--scenario", help="a scenario name from events/scenarios, or a path to a scenario file")
    demo.add_argument("--json", action="store_true", help="print the run summary as JSON")
    demo.add_argument("--list", action="store_true", help="list the available scenarios")
    demo.set_defaults(run=_demo)
    logs = commands.add_parser(
        "analyze-logs",
        help="list the failed files in DataSync log output",
        description="Reads DataSync log messages (one per line), the JSON of `aws logs filter-log-events` or "
        "`get-log-events`, or JSON Lines of Enhanced-mode events, and lists every failed file with its category.",
    )
    logs.add_argument("path", nargs="?", help="a file, or - (the default) for standard input")
    logs.add_argument("--format", choices=("text", "json"), default="text")
    logs.set_defaults(run=_analyze_logs)
    execution = commands.add_parser(
        "analyze-execution",
        help="list the failed files of one DataSync execution in your account",
        description="Reads the execution's task report or CloudWatch logs with your AWS credentials "
        "(AWS_ENDPOINT_URL points it at another endpoint).",
    )
    execution.add_argument("execution_arn")
    execution.add_argument("--format", choices=("text", "json"), default="text")
    execution.set_defaults(run=_analyze_execution)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    raise SystemExit(main())
