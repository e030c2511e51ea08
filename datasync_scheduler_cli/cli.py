"""`datasync-scheduler`: the project's command line.

`run`, `watch`, `history` and `analyze-execution` operate a deployed stack with your AWS
credentials (AWS_ENDPOINT_URL points them at another endpoint, e.g. `local serve`). `demo` runs a
scenario through the real workflow on the local emulator, and `local serve` serves that emulator
over HTTP (no AWS account needed). The emulator is imported only when a command needs it: it is
development tooling, not Lambda code.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from datasync_scheduler.domain.units import format_duration
from datasync_scheduler.domain.untrusted import one_line
from datasync_scheduler_cli import day_one
from datasync_scheduler_cli.operate import ClientFactory, OperatorError


def _print_human(summary: dict[str, Any]) -> None:
    def out(text: str = "") -> None:
        # Task names, file names and DataSync's texts are in these lines: none may add a line or
        # steer the terminal (docs in domain/untrusted.py).
        print(one_line(text))

    out(f"Scenario {summary['scenario']}: {summary['description']}")
    out(
        f"Workflow ended {summary['status']} after {summary['state_transitions']} state transitions "
        f"({summary['history_events']} history events); virtual time {summary['started_at']} -> {summary['ended_at']} "
        f"({format_duration(summary['virtual_seconds'])}), real time {summary['real_seconds']:.2f} s"
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
    if summary.get("faults_injected"):
        # The scenario's faults (events/scenarios/README.md): each call that failed because of one.
        out("")
        out("Faults injected (each HTTP attempt of an API counts as one call):")
        for fault in summary["faults_injected"]:
            out(f"  {fault['target']} call {fault['call']}: {fault['error']}")
    events = summary["events"]
    out("")
    out(
        f"DataSync events: {events['emitted']} emitted, {events['delivered']} delivered, {events['dropped']} lost, "
        f"{events['duplicated']} duplicated"
    )
    if summary.get("reaction_seconds") is not None:
        out(f"Reaction to the end of the transfer: {summary['reaction_seconds']:.1f} s (virtual)")
    if summary.get("bus_events"):
        # The scheduler's own events, as a rule on the bus would get them (docs/events.md).
        out("")
        out("Events on the bus (source datasync-scheduler):")
        for event in summary["bus_events"]:
            out(f"  {event['time']}  {event['detail-type']}{_event_gist(event['detail'])}")
    for notification in summary["notifications"]:
        # The email as it arrives: SNS's display name as sender, the subject, the plain text.
        tags = ", ".join(f"{name}={value['Value']}" for name, value in notification.get("attributes", {}).items())
        out("")
        out(f"Email ({tags})" if tags else "Email")
        out("  | From: DataSync scheduler <no-reply@sns.amazonaws.com>")
        out(f"  | Subject: {notification['subject']}")
        out("  |")
        for line in notification["message"].splitlines():
            out(f"  | {line}")
    _print_slack(summary)


def _event_gist(detail: dict[str, Any]) -> str:
    """What one event says, in a few words: its verdict, its task, its schedule."""
    parts = []
    if detail.get("verdict"):
        parts.append(str(detail["verdict"]["status"]))
    if detail.get("taskName") or detail.get("taskArn"):
        parts.append(str(detail.get("taskName") or str(detail["taskArn"]).rsplit("/", 1)[-1]))
    if detail.get("tasks") is not None:
        parts.append(f"{detail['tasks']} task(s)")
    if detail.get("failures") and detail["failures"].get("byCategory"):
        parts.append(", ".join(f"{name} {count}" for name, count in detail["failures"]["byCategory"].items()))
    if detail.get("firing"):
        parts.append(f"schedule {detail['firing']['schedule']}")
    return f"  ({'; '.join(parts)})" if parts else ""


def _print_slack(summary: dict[str, Any]) -> None:
    from datasync_scheduler_cli.slack_readable import slack_readable

    for post in summary.get("slack_messages") or []:
        print("")
        print(f"Posted to Slack (the local webhook answered {post['status']}):")
        payload = post["payload"]
        shown = slack_readable(payload) if isinstance(payload, dict) else str(payload)
        for line in shown.split("\n"):
            print(f"  | {one_line(line)}")
    for queue, held in (summary.get("queue_messages") or {}).items():
        if held:
            print("")
            print(f"Kept in the {queue} queue after Lambda's retries: {len(held)} message(s)")
            for record in held:
                error = record.get("responsePayload") or {}
                print(one_line(f"  {error.get('errorType', '?')}: {error.get('errorMessage', '')}"))


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
    from datasync_scheduler_cli.failure_output import PrintedFailures
    from datasync_scheduler_cli.log_input import LogInputError, failures_in

    printed = PrintedFailures(sys.stdout, args.format)
    try:
        with ExitStack() as stack:
            if args.path in (None, "-"):
                name = "standard input"
                # Bytes, not the terminal's text: the input's own encoding is recognised.
                source: BinaryIO = getattr(sys.stdin, "buffer", None) or io.BytesIO(sys.stdin.read().encode())
            else:
                name = args.path
                try:
                    source = stack.enter_context(Path(args.path).open("rb"))
                except OSError as error:
                    raise LogInputError(f"cannot read {one_line(args.path)}: {error.strerror or error}") from None
            for failure in failures_in(source, name):
                printed.write(failure)
    except LogInputError as error:
        # Failures found before the problem are printed already; the status says the input was not read whole.
        print(f"error: {error}", file=sys.stderr)
        return 2
    printed.finish()
    return 0


def _analyze_execution(args: argparse.Namespace) -> int:
    from datasync_scheduler.adapters.datasync import DataSync
    from datasync_scheduler.adapters.execution_logs import ExecutionLogs
    from datasync_scheduler.adapters.task_reports import TaskReports
    from datasync_scheduler.composition.clock import utc_now
    from datasync_scheduler.workflow.analyze_run import analyze
    from datasync_scheduler_cli.failure_output import PrintedFailures

    clients: ClientFactory = args.clients
    datasync = DataSync(clients("datasync"))
    snapshot = datasync.describe(args.execution_arn)
    printed = PrintedFailures(sys.stdout, args.format)
    summary = analyze(
        snapshot,
        datasync.task(snapshot.task_arn),
        logs=ExecutionLogs(clients("logs")),
        reports=TaskReports(clients("s3")),
        sink=printed,
        now=utc_now(),
    )
    printed.finish({"available": summary["available"], "source": summary["source"], "note": summary["note"]})
    return 0


def _aws_clients(service: str) -> Any:
    """boto3's standard credential chain and endpoint settings (AWS_ENDPOINT_URL included), retried
    as the functions' clients are."""
    import boto3

    from datasync_scheduler.adapters.aws_clients import config

    # boto3 reads only AWS_DEFAULT_REGION; the SDKs' standard AWS_REGION is honoured first, as the AWS
    # CLI v2 does (docs/aws-facts.md#which-region-the-command-line-uses).
    region = os.environ.get("AWS_REGION") or None
    return boto3.client(service, region_name=region, config=config(service))  # type: ignore[call-overload]


def _resources(args: argparse.Namespace, *needed: str) -> Any:
    from datasync_scheduler_cli.operate import find_resources

    resources = find_resources(
        args.clients,
        args.stack_name,
        sync_workflow_arn=getattr(args, "state_machine_arn", None),
        batch_workflow_arn=getattr(args, "state_machine_arn", None),
        ledger_table=getattr(args, "ledger_table", None),
        needed=needed,
    )
    for name in needed:
        if not getattr(resources, name):
            output, flag = _OUTPUTS[name]
            raise OperatorError(
                f"stack {args.stack_name!r} has no output {output}: is it a datasync-scheduler stack? "
                f"Name the right one with --stack-name, or give {flag}"
            )
    return resources


# Where each resource comes from: the stack's output, or the flag that names it instead.
_OUTPUTS = {
    "sync_workflow_arn": ("SyncWorkflowArn", "--state-machine-arn"),
    "batch_workflow_arn": ("BatchWorkflowArn", "--state-machine-arn"),
    "ledger_table": ("RunLedgerTable", "--ledger-table"),
}


def _json_argument(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise OperatorError(f"{what} is not JSON: {error}") from error


def _run(args: argparse.Namespace) -> int:
    from datasync_scheduler_cli.operate import run_name, start_run

    if args.batch is not None:
        if args.overrides or args.includes or args.excludes:
            raise OperatorError("--overrides, --includes and --excludes go with --task; a batch names them per task")
        text = sys.stdin.read() if args.batch == "-" else Path(args.batch).read_text(encoding="utf-8")
        run_input = _json_argument(text, f"the batch {args.batch}")
        machine = _resources(args, "batch_workflow_arn").batch_workflow_arn
    else:
        run_input = {"taskArn": args.task}
        if args.overrides:
            run_input["overrides"] = _json_argument(args.overrides, "--overrides")
        for name in ("includes", "excludes"):
            if getattr(args, name):
                run_input[name] = getattr(args, name)
        machine = _resources(args, "sync_workflow_arn").sync_workflow_arn
    # The workflow validates the input and reports what is wrong with it, like any other run.
    sfn = args.clients("stepfunctions")
    execution_arn = start_run(sfn, machine, run_input, args.name or run_name(datetime.now(UTC)))
    print(execution_arn, flush=True)
    return _watch_execution(args, execution_arn) if args.watch else 0


def _retry_failures(args: argparse.Namespace) -> int:
    from datasync_scheduler_cli.operate import run_name, start_run

    machine = _resources(args, "sync_workflow_arn").sync_workflow_arn
    earlier = args.earlier_run
    if ":execution:" not in earlier:  # a run's name: an execution of this stack's SyncWorkflow
        earlier = f"{machine.replace(':stateMachine:', ':execution:')}:{earlier}"
    # The workflow finds the run's failed files and refuses, naming retryFailuresOf, when there is
    # nothing to retry: the same checks whoever starts it (a chat button, the console, this command).
    sfn = args.clients("stepfunctions")
    execution_arn = start_run(sfn, machine, {"retryFailuresOf": earlier}, args.name or run_name(datetime.now(UTC)))
    print(execution_arn, flush=True)
    return _watch_execution(args, execution_arn) if args.watch else 0


def _watch(args: argparse.Namespace) -> int:
    return _watch_execution(args, args.execution_arn)


def _watch_execution(args: argparse.Namespace, execution_arn: str) -> int:
    from datasync_scheduler_cli.operate import watch

    return watch(
        execution_arn,
        sfn=args.clients("stepfunctions"),
        datasync=args.clients("datasync"),
        out=sys.stdout,
        live=sys.stdout.isatty(),
        clock=time.monotonic,
        sleep=time.sleep,
        interval=args.interval,
    )


def _history(args: argparse.Namespace) -> int:
    from datasync_scheduler.adapters.ledger import DynamoDbLedger
    from datasync_scheduler_cli.operate import history_lines

    table = _resources(args, "ledger_table").ledger_table
    ledger = DynamoDbLedger(table, args.clients("dynamodb"))
    entries = ledger.history(args.task, limit=args.limit, schedule=args.schedule)
    if args.format == "json":
        print(json.dumps([entry.to_dict() for entry in entries], indent=2))
    else:
        for line in history_lines(entries, schedule=args.schedule):
            print(line)
    return 0


def _schedule_name(value: str) -> str:
    """A named schedule's name as EventBridge Scheduler allows it: anything else cannot have run."""
    from datasync_scheduler.domain.schedules import SCHEDULE_NAME

    if not SCHEDULE_NAME.fullmatch(value):
        raise argparse.ArgumentTypeError(
            "must be 1-64 letters, digits, '-', '_' or '.' (a schedule's name in the schedules file)"
        )
    return value


def _schedules(args: argparse.Namespace) -> int:
    from datasync_scheduler_cli.schedules import (
        OperatorTaskClients,
        Resolution,
        read_file,
        resolve,
        schedule_view,
        stack_home,
        view_lines,
    )

    schedules = read_file(Path(args.file))
    now = datetime.now(UTC)
    resolved: dict[str, Resolution] = {}
    if not args.no_resolve and schedules.schedules:
        from datasync_scheduler.adapters.datasync import DataSync
        from datasync_scheduler.adapters.tagged_tasks import DataSyncTaggedTasks

        try:
            home = stack_home(args.clients, args.stack_name)
            # Each call in the Region and account of the task it is about (docs/regions.md).
            task_clients = OperatorTaskClients("datasync", home, args.clients)
            tagged = DataSyncTaggedTasks(clients=task_clients)
            datasync = DataSync(clients=task_clients)
            resolved = {schedule.name: resolve(schedule, home, tagged, datasync) for schedule in schedules.schedules}
        except Exception as error:
            # No Region, no credentials, no stack: say so, and that the file alone can be listed.
            explanation = day_one.explain(error)
            if explanation is None or explanation.status != day_one.USAGE:
                raise
            raise OperatorError(f"{explanation.message}; or read the file only with --no-resolve") from error
    views = [schedule_view(schedule, now, resolved.get(schedule.name)) for schedule in schedules.schedules]
    if args.health and schedules.schedules:
        _add_health(args, schedules.schedules, views, now)
    if args.format == "json":
        print(json.dumps({"file": str(args.file), "schedules": views}, indent=2))
        return 0
    if not views:
        print(f"{args.file} declares no schedules (docs/schedules.md shows how)")
    for index, view in enumerate(views):
        if index:
            print()
        for line in view_lines(view):
            print(line)
        if view["health"] is not None:
            from datasync_scheduler_cli.schedule_health import health_lines

            for line in health_lines(view["health"], view["timezone"]):
                print(line)
    return 0


def _add_health(args: argparse.Namespace, schedules: Sequence[Any], views: list[dict[str, Any]], now: datetime) -> None:
    """Each schedule's health (last firing, missed firings), from the deployed stack's run ledger."""
    from datasync_scheduler.adapters.datasync import DataSync
    from datasync_scheduler.adapters.execution_logs import ExecutionLogs
    from datasync_scheduler.adapters.firing_arrivals import DynamoDbFiringArrivals
    from datasync_scheduler.adapters.tagged_tasks import DataSyncTaggedTasks
    from datasync_scheduler_cli.schedule_health import preflight_view, schedule_health
    from datasync_scheduler_cli.schedules import OperatorTaskClients, stack_home

    table = _resources(args, "ledger_table").ledger_table
    arrivals = DynamoDbFiringArrivals(table, args.clients("dynamodb"))
    home = stack_home(args.clients, args.stack_name)
    task_clients = OperatorTaskClients("datasync", home, args.clients)
    datasync, tagged = DataSync(clients=task_clients), DataSyncTaggedTasks(clients=task_clients)
    logs = ExecutionLogs(args.clients("logs"))
    # A task's log group is read where the task writes it (docs/regions.md).
    log_clients = OperatorTaskClients("logs", home, args.clients)

    def logs_for(log_group_arn: str) -> ExecutionLogs:
        return ExecutionLogs(log_clients.about(log_group_arn))

    for schedule, view in zip(schedules, views, strict=True):
        view["health"] = schedule_health(schedule, now, arrivals)
        view["health"]["preflight"] = preflight_view(schedule, home, datasync, tagged, logs, now, logs_for)


def _schedules_plan(args: argparse.Namespace) -> int:
    from datasync_scheduler_cli.schedules import deploy_plan, read_file

    the_plan = deploy_plan(args.clients, args.stack_name, read_file(Path(args.file)))
    if args.format == "json":
        print(json.dumps(the_plan.to_json(), indent=2))
    else:
        for line in the_plan.lines():
            print(one_line(line))
    return 0


def _local_serve(args: argparse.Namespace) -> int:
    from emulator.scenario import ScenarioError, load_scenario
    from emulator.server import serve_local_stack

    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop.set())
    try:
        with serve_local_stack(args.port, args.speed, scenario, args.stack_name) as server:
            _print_banner(server, args)
            while not stop.wait(0.5):
                pass
            print("stopping: running executions are stopped, everything is forgotten", flush=True)
    except OSError as error:
        print(f"error: cannot serve on 127.0.0.1:{args.port}: {error}", file=sys.stderr)
        return 1
    return 0


def _print_banner(server: Any, args: argparse.Namespace) -> None:
    minutes = args.speed / 60
    print(
        f"Local stack {server.stack.name!r} on {server.endpoint}: the template deployed on the emulator, "
        f"virtual time at {args.speed:g}x ({minutes:g} virtual minutes per second)."
    )
    print(f"Scenario {args.scenario}: its tasks are created, their executions scripted; nothing runs yet.")
    datasync = server.aws.datasync
    for task_arn in server.task_arns:
        print(f"  task {datasync.handle('DescribeTask', {'TaskArn': task_arn}).get('Name')}: {task_arn}")
    for key, value in server.stack.outputs.items():
        print(f"  {key}: {value}")
    print("In another terminal:")
    print(
        f"  export AWS_ENDPOINT_URL={server.endpoint} AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing "
        "AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1"
    )
    first = server.task_arns[0] if server.task_arns else "<task ARN>"
    stack = "" if server.stack.name == "datasync-scheduler" else f" --stack-name {server.stack.name}"
    print(f"  datasync-scheduler run{stack} --task {first} --watch")
    print(f"  datasync-scheduler history{stack}")
    print(f"  aws stepfunctions list-executions --state-machine-arn {server.stack.outputs.get('SyncWorkflowArn')}")
    print("Ctrl-C stops it.", flush=True)


def _add_stack_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--stack-name",
        default=os.environ.get("DATASYNC_SCHEDULER_STACK", "datasync-scheduler"),
        help="the deployed stack whose outputs name the resources (default: $DATASYNC_SCHEDULER_STACK "
        "or datasync-scheduler)",
    )


def main(argv: Sequence[str] | None = None, clients: ClientFactory | None = None) -> int:
    """Runs the command line; `clients` builds the AWS clients (tests point them at an endpoint)."""
    parser = argparse.ArgumentParser(
        prog="datasync-scheduler", description=__doc__.splitlines()[0] if __doc__ else None
    )
    parser.add_argument("--debug", action="store_true", help="show the traceback of an error, not only its sentence")
    commands = parser.add_subparsers(dest="command", required=True)

    run = commands.add_parser(
        "run",
        help="start a run of one task (SyncWorkflow) or a batch (BatchWorkflow); prints its execution ARN",
        description="Starts the workflow with your AWS credentials; the workflow checks the input and reports "
        "what is wrong with it like any other run.",
    )
    what = run.add_mutually_exclusive_group(required=True)
    what.add_argument("--task", help="the DataSync task ARN to run")
    what.add_argument("--batch", metavar="FILE", help='a batch input {"tasks": [...], "maxConcurrency": N}, or -')
    run.add_argument("--overrides", metavar="JSON", help="DataSync OverrideOptions for this run (with --task)")
    run.add_argument("--includes", help="an include filter for this run, e.g. '/a|/b*' (with --task)")
    run.add_argument("--excludes", help="an exclude filter for this run (with --task)")
    run.add_argument("--name", help="the execution name (default: manual-<UTC time>-<random>)")
    run.add_argument("--watch", action="store_true", help="follow the run to its end (see watch)")
    run.add_argument("--interval", type=float, default=2.0, help="seconds between looks with --watch (default 2)")
    run.add_argument(
        "--state-machine-arn",
        default=os.environ.get("DATASYNC_SCHEDULER_STATE_MACHINE_ARN"),
        help="the workflow to start, instead of the stack's output",
    )
    _add_stack_options(run)
    run.set_defaults(run=_run)

    retry_failures = commands.add_parser(
        "retry-failures",
        help="start a run of exactly the failed files of an earlier run that a retry can fix; prints its ARN",
        description='Starts SyncWorkflow with {"retryFailuresOf": RUN}: the earlier run\'s task, overrides and '
        "filters, and only its failed files whose category a rerun can fix (by a manifest or an Includes filter, "
        "as the automatic retry). The workflow refuses it, naming retryFailuresOf, when the run does not exist, "
        "has no failure report, had nothing a retry can fix, or its report has expired.",
    )
    retry_failures.add_argument("earlier_run", metavar="RUN", help="the earlier run: its execution ARN, or its name")
    retry_failures.add_argument("--name", help="the execution name (default: manual-<UTC time>-<random>)")
    retry_failures.add_argument("--watch", action="store_true", help="follow the run to its end (see watch)")
    retry_failures.add_argument(
        "--interval", type=float, default=2.0, help="seconds between looks with --watch (default 2)"
    )
    retry_failures.add_argument(
        "--state-machine-arn",
        default=os.environ.get("DATASYNC_SCHEDULER_STATE_MACHINE_ARN"),
        help="the SyncWorkflow to start, instead of the stack's output",
    )
    _add_stack_options(retry_failures)
    retry_failures.set_defaults(run=_retry_failures)

    watch = commands.add_parser(
        "watch",
        help="follow a run: DataSync phase, progress against its estimate, ETA, attempt; then the verdict",
        description="Exits 0 when the run SUCCEEDED, 1 otherwise. On a terminal one line is redrawn in place; "
        "otherwise a line is printed each time it changes.",
    )
    watch.add_argument("execution_arn", help="the workflow execution ARN (as `run` prints it)")
    watch.add_argument("--interval", type=float, default=2.0, help="seconds between looks (default 2)")
    watch.set_defaults(run=_watch)

    history = commands.add_parser("history", help="the last runs: outcome, data, failures, attempts, duration")
    history.add_argument("--task", help="only this task's runs (a DataSync task ARN)")
    history.add_argument("--schedule", type=_schedule_name, help="only the runs this named schedule's firings started")
    history.add_argument("--limit", type=int, default=10, help="how many runs, newest first (default 10)")
    history.add_argument("--format", choices=("text", "json"), default="text")
    history.add_argument(
        "--ledger-table",
        default=os.environ.get("DATASYNC_SCHEDULER_LEDGER_TABLE"),
        help="the run ledger table, instead of the stack's output",
    )
    _add_stack_options(history)
    history.set_defaults(run=_history)

    schedules = commands.add_parser(
        "schedules",
        help="the named schedules: when each fires next, its tasks (`schedules plan`: what a deploy changes)",
        description="Lists the schedules file's named schedules with their next firings in their own time zone and "
        "the tasks each resolves to now (listed, tagged), as the deployed stack's firing would find them.",
    )
    schedules.add_argument("--file", default=str(Path("schedules") / "schedules.yaml"), help="the schedules file")
    schedules.add_argument("--format", choices=("text", "json"), default="text")
    schedules.add_argument(
        "--no-resolve",
        action="store_true",
        help="read the file only: do not look up the tasks each schedule resolves to now (no AWS call)",
    )
    schedules.add_argument(
        "--health",
        action="store_true",
        help="each schedule's last firing and missed firings, read from the deployed stack's run ledger",
    )
    schedules.add_argument(
        "--ledger-table",
        default=os.environ.get("DATASYNC_SCHEDULER_LEDGER_TABLE"),
        help="the run ledger table for --health (default: the stack's RunLedgerTable output)",
    )
    _add_stack_options(schedules)
    schedules.set_defaults(run=_schedules)
    schedules_commands = schedules.add_subparsers(dest="schedules_command")
    schedules_plan = schedules_commands.add_parser(
        "plan",
        help="what `sam deploy` would add, change and remove in the stack's schedule group",
        description="Compares the schedules file with the deployed stack's schedule group, one line per schedule.",
    )
    schedules_plan.add_argument("--file", default=str(Path("schedules") / "schedules.yaml"), help="the schedules file")
    schedules_plan.add_argument("--format", choices=("text", "json"), default="text")
    _add_stack_options(schedules_plan)
    schedules_plan.set_defaults(run=_schedules_plan)

    demo = commands.add_parser("demo", help="run a scenario through the real workflow on the local emulator")
    demo.add_argument("--scenario", help="a scenario name from events/scenarios, or a path to a scenario file")
    demo.add_argument("--json", action="store_true", help="print the run summary as JSON")
    demo.add_argument("--list", action="store_true", help="list the available scenarios")
    demo.set_defaults(run=_demo)

    local = commands.add_parser("local", help="the local emulator as a service")
    local_commands = local.add_subparsers(dest="local_command", required=True)
    serve = local_commands.add_parser(
        "serve",
        help="serve the emulated AWS on 127.0.0.1 for the AWS CLI and this CLI",
        description="Deploys template.yaml on the local emulator, creates the scenario's DataSync tasks and serves "
        "AWS's APIs on 127.0.0.1 until Ctrl-C. Point clients at it with AWS_ENDPOINT_URL.",
    )
    serve.add_argument("--port", type=int, default=4566, help="the port (default 4566; 0 picks a free one)")
    serve.add_argument(
        "--speed",
        type=float,
        default=600.0,
        help="virtual seconds per real second (default 600: an 8-hour transfer takes 48 s)",
    )
    serve.add_argument("--scenario", default="nightly-success", help="whose tasks to create (default nightly-success)")
    serve.add_argument("--stack-name", default="datasync-scheduler", help="the stack name to answer to")
    serve.set_defaults(run=_local_serve)

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
    args.clients = clients or _aws_clients
    try:
        status = int(args.run(args))
        sys.stdout.flush()  # a reader that went away (`| head`) shows here, inside the try
        return status
    except BrokenPipeError:
        # The reader stopped reading: nothing is wrong and nothing is left to say. Python's own recipe
        # (docs/aws-facts.md#a-closed-pipe): stdout to devnull, so the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        return 130  # Ctrl-C: the shell's convention for SIGINT, without a traceback
    except Exception as error:  # noqa: BLE001 (every error ends in one sentence; --debug shows the rest)
        explanation = day_one.explain(error)
        if args.debug:
            traceback.print_exc()
        if explanation is None:
            print(f"error: unexpected {type(error).__name__}: {one_line(str(error))}", file=sys.stderr)
            if not args.debug:
                print("run it again with --debug to see where it happened", file=sys.stderr)
            return 1
        print(day_one.one_line_error(explanation), file=sys.stderr)
        return explanation.status


if __name__ == "__main__":
    raise SystemExit(main())
